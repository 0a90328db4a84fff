import { sql, type QueryExecutorProvider } from 'kysely';

/**
 * DATA-3 erasure: removes at most `limit` delivery records addressed to any of `addresses` (compared
 * lower-cased; one bounded statement); the number removed. The records hold no body, only the
 * recipient, kind and status.
 */
export async function eraseDeliveriesTo(tx: QueryExecutorProvider, addresses: readonly string[], limit: number): Promise<number> {
  if (addresses.length === 0) return 0;
  const forms = [...new Set(addresses.map((address) => address.toLowerCase()))];
  const result = await sql`delete from mail_deliveries where ctid = any(array(select ctid from mail_deliveries where lower(recipient) in (${sql.join(forms)}) limit ${limit}))`.execute(tx);
  return Number(result.numAffectedRows ?? 0n);
}
