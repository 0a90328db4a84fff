import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { TrustCheckResultsTable } from './trust-tables.ts';

export type CheckResultRow = Selectable<TrustCheckResultsTable>;

export async function insertResults(tx: Tx, rows: readonly CheckResultRow[]): Promise<void> {
  if (rows.length > 0) await tx.insertInto('trust_check_results').values([...rows]).execute();
}

/** The newest result of each check. */
export async function latestResults(tx: Tx): Promise<CheckResultRow[]> {
  return tx.selectFrom('trust_check_results').selectAll().distinctOn('check_id').orderBy('check_id').orderBy('finished_at', 'desc').orderBy('id', 'desc').execute();
}

/** Deletes results older than `before`, keeping each check's newest whatever its age. */
export async function pruneResults(tx: Tx, before: Date): Promise<number> {
  const latest = tx.selectFrom('trust_check_results').select('id').distinctOn('check_id').orderBy('check_id').orderBy('finished_at', 'desc').orderBy('id', 'desc');
  const deleted = await tx.deleteFrom('trust_check_results').where('finished_at', '<', before).where('id', 'not in', latest).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}
