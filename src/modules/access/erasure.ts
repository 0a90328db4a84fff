import { sql } from 'kysely';
import type { Tx } from '../../database.ts';

/**
 * DATA-3 erasure: removes at most `limit` of a user's role bindings in one organization (one bounded
 * statement, inside that organization's context); the number removed. The caller repeats until fewer
 * than `limit` are removed, then tells access that the organization changed.
 */
export async function eraseUserBindings(tx: Tx, tenantId: string, userId: string, limit: number): Promise<number> {
  const result = await sql`delete from role_bindings where ctid = any(array(select ctid from role_bindings where tenant_id = ${tenantId} and principal_type = 'user' and principal_id = ${userId} limit ${limit}))`.execute(tx);
  return Number(result.numAffectedRows ?? 0n);
}
