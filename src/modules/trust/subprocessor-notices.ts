import { isDeepStrictEqual } from 'node:util';
import type { Tx } from '../../database.ts';
import type { AuditContext } from '../audit/index.ts';
import type { SubprocessorData } from './trust-entries.ts';

/** What the subscriptions module is told about a subprocessor change (TR-3). */
export interface SubprocessorNotice {
  readonly event: 'subprocessor.added' | 'subprocessor.changed' | 'subprocessor.removed';
  readonly title: string;
  readonly body: string;
  readonly effectiveAt?: Date;
  readonly sourceId: string;
}

/** Publishes to the `subprocessors` topic in the caller's transaction; refuses a change announced less than 30 days ahead. */
export type PublishSubprocessorNotice = (tx: Tx, notice: SubprocessorNotice, ctx: AuditContext) => Promise<unknown>;

const DAY_MS = 86_400_000;

/**
 * The notice for a created, replaced or removed subprocessor entry, or undefined when there is
 * nothing to announce. An entry whose `effective_from` is before today records the list as it
 * already is (the first import, a correction) and is not announced; one from today on is a change
 * and must be announced at least 30 days ahead (the subscriptions module refuses a shorter notice).
 * A removal is announced at once: it takes no data anywhere new. Saving an entry unchanged (its
 * position only, say) announces nothing.
 */
export function subprocessorNotice(change: 'created' | 'updated' | 'deleted', id: string, data: SubprocessorData, now: Date, previous?: unknown): SubprocessorNotice | undefined {
  if (change === 'updated' && isDeepStrictEqual(previous, data)) return undefined;
  const describe = `${data.name}: ${data.purpose}. Data: ${data.data_categories.join(', ') || 'none listed'}. Location: ${data.location}.`;
  if (change === 'deleted') return { event: 'subprocessor.removed', title: `Subprocessor removed: ${data.name}`, body: describe, sourceId: id };
  const effectiveAt = new Date(`${data.effective_from}T00:00:00Z`);
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  if (Number.isNaN(effectiveAt.getTime()) || effectiveAt.getTime() < today) return undefined;
  return { event: change === 'created' ? 'subprocessor.added' : 'subprocessor.changed', title: `${change === 'created' ? 'New subprocessor' : 'Subprocessor change'}: ${data.name}`, body: describe, effectiveAt, sourceId: id };
}
