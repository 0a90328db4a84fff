import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import { afterCommit } from '../../platform/db/transactor.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';

/** The change-feed topic of audit work; keys are the kinds below. */
export const AUDIT_WORK_TOPIC = 'audit';

/** `inbox`: events were recorded (the sequencer has work). `log`: events were sequenced (streaming has work). */
export type AuditWork = 'inbox' | 'log';

/**
 * Tells every node's audit loops that work arrived, so an idle sequencer or delivery loop waits on
 * the change feed (LISTEN/NOTIFY, or Redis) instead of polling the database. Announcements go out
 * after the commit that made the work, in a transaction of their own (a NOTIFY inside every writer's
 * transaction would serialise their commits on PostgreSQL's notification queue lock), at most one
 * per kind per `minIntervalMs` per node: one arriving within that interval is sent at its end, never
 * dropped, so a loop cannot sleep through work.
 */
export interface AuditAnnouncer {
  /** Announces `work` after `tx` commits (at once when `tx` is not a transactor's). */
  afterCommit(tx: Tx, work: AuditWork): void;
  announce(work: AuditWork): void;
  /** Calls `wake` whenever `work` is announced by any node, and when announcements may have been missed (the listener reconnected). */
  subscribe(work: AuditWork, wake: () => void): () => void;
  close(): void;
}

export function createAuditAnnouncer(deps: { feed: ChangeFeed; transactor: AppTransactor; logger: Pick<Logger, 'warn'>; minIntervalMs?: number }): AuditAnnouncer {
  const minIntervalMs = deps.minIntervalMs ?? 50;
  const last = new Map<AuditWork, number>();
  const trailing = new Map<AuditWork, NodeJS.Timeout>();
  let closed = false;

  function send(work: AuditWork): void {
    last.set(work, performance.now());
    deps.transactor
      .withPlatform((tx) => deps.feed.publish(tx as never, AUDIT_WORK_TOPIC, work))
      .catch((error: unknown) => {
        // The loops' safety poll picks the work up anyway.
        deps.logger.warn({ err: error, work }, 'could not announce audit work; the loops will find it at their next poll');
      });
  }

  function announce(work: AuditWork): void {
    if (closed || trailing.has(work)) return;
    const wait = (last.get(work) ?? Number.NEGATIVE_INFINITY) + minIntervalMs - performance.now();
    if (wait <= 0) {
      send(work);
      return;
    }
    const timer = setTimeout(() => {
      trailing.delete(work);
      if (!closed) send(work);
    }, wait);
    timer.unref();
    trailing.set(work, timer);
  }

  return {
    announce,
    afterCommit: (tx, work) => {
      try {
        afterCommit(tx as never, () => {
          announce(work);
        });
      } catch {
        announce(work);
      }
    },
    subscribe: (work, wake) =>
      deps.feed.subscribe(
        AUDIT_WORK_TOPIC,
        (key) => {
          if (key === work) wake();
        },
        wake,
      ),
    close: () => {
      closed = true;
      for (const timer of trailing.values()) clearTimeout(timer);
      trailing.clear();
    },
  };
}
