import type { Tx } from '../../database.ts';

// What other modules read of the lifecycle tables (DATA-3's checks), named here so that lifecycle
// stays the only SQL on them (issue 12).

/** How many live (not cancelled) deletions of the organization were due before `before`. */
export async function overdueOrganizationDeletions(tx: Tx, tenantId: string, before: Date): Promise<number> {
  return (await tx.selectFrom('organization_deletions').select('purge_after').where('tenant_id', '=', tenantId).where('cancelled_at', 'is', null).where('purge_after', '<', before).execute()).length;
}

/** How many account deletions were due before `before` (run on the platform context). */
export async function overdueAccountDeletions(tx: Tx, before: Date): Promise<number> {
  const row = await tx.selectFrom('user_deletions').select((eb) => eb.fn.countAll<string>().as('n')).where('purge_after', '<', before).executeTakeFirstOrThrow();
  return Number(row.n);
}
