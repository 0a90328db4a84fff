import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/index.ts';

/** The one notification channel Parapet uses; payloads are `<topic>:<key>`. */
export const CHANGE_CHANNEL = 'parapet_changes';

/**
 * Cross-node change events (ARCHITECTURE: platform/notify). A change is published inside the
 * transaction that makes it, so every node (this one included) hears of it exactly when it
 * commits, and never of a change that rolled back. Caches subscribe and drop what changed; after a
 * lost connection, `reset` tells them to drop everything, since notifications were missed.
 */
export interface ChangeFeed {
  publish(tx: Transaction<unknown>, topic: string, key: string): Promise<void>;
  subscribe(topic: string, onChange: (key: string) => void, onReset: () => void): () => void;
  close(): Promise<void>;
}

/** The subscribers of one node, shared by every transport. */
export interface Subscribers {
  /** Delivers a `<topic>:<key>` payload to the topic's subscribers. */
  readonly dispatch: (payload: string) => void;
  /** Tells every subscriber that changes may have been missed. */
  readonly reset: () => void;
  subscribe: ChangeFeed['subscribe'];
}

/** Where the feed writes its cache events: each change at trace, each reset (every cache dropped) at debug. */
export interface FeedLog {
  trace(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export function createSubscribers(log?: FeedLog): Subscribers {
  const subscribers = new Map<string, Set<{ onChange: (key: string) => void; onReset: () => void }>>();
  return {
    dispatch: (payload) => {
      const colon = payload.indexOf(':');
      if (colon === -1) return;
      log?.trace({ topic: payload.slice(0, colon), subscribers: subscribers.get(payload.slice(0, colon))?.size ?? 0 }, 'change feed: change heard; dropping cached entries');
      for (const subscriber of subscribers.get(payload.slice(0, colon)) ?? []) subscriber.onChange(payload.slice(colon + 1));
    },
    reset: () => {
      log?.debug({ topics: [...subscribers.keys()] }, 'change feed: changes may have been missed; every cache dropped');
      for (const set of subscribers.values()) for (const subscriber of set) subscriber.onReset();
    },
    subscribe: (topic, onChange, onReset) => {
      const entry = { onChange, onReset };
      let set = subscribers.get(topic);
      if (set === undefined) subscribers.set(topic, (set = new Set()));
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
  };
}

/** The default transport: `pg_notify` inside the transaction, one LISTEN connection per node. */
export async function createChangeFeed(db: Pick<Database<unknown>, 'listen'>, log?: FeedLog): Promise<ChangeFeed> {
  const subscribers = createSubscribers(log);
  const stop = await db.listen(CHANGE_CHANNEL, subscribers.dispatch, subscribers.reset);
  return {
    publish: async (tx, topic, key) => {
      await sql`select pg_notify(${CHANGE_CHANNEL}, ${`${topic}:${key}`})`.execute(tx);
    },
    subscribe: subscribers.subscribe,
    close: stop,
  };
}
