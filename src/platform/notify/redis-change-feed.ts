import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { afterCommit } from '../db/transactor.ts';
import type { RedisHealth } from '../redis/redis-health.ts';
import { CHANGE_CHANNEL, createSubscribers, type ChangeFeed } from './change-feed.ts';

/**
 * The change feed over Redis pub/sub, for deployments that run Redis (`PARAPET_REDIS_URL`).
 * A change is published when its transaction commits (never for one that rolled back); every node,
 * this one included, hears it through its subscriber connection. Whenever that connection drops,
 * subscribers are reset (they drop their caches), once at the drop and again when it is back, since
 * anything published in between was missed.
 */
export async function createRedisChangeFeed(deps: { url: string; logger: Logger; connectionName?: string; health?: RedisHealth; channel?: string }): Promise<ChangeFeed> {
  // The installation's prefix is in the channel name (PARAPET_REDIS_PREFIX), so two installations
  // on one Redis never hear each other's changes.
  const channel = deps.channel ?? CHANGE_CHANNEL;
  const subscribers = createSubscribers(deps.logger);
  const options = { connectionName: deps.connectionName ?? 'parapet-change-feed', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
  const publisher = new Redis(deps.url, options);
  const subscriber = new Redis(deps.url, { ...options, enableOfflineQueue: true });
  let closing = false;
  let ready = false;
  // One report per outage: ioredis closes again after every failed reconnection attempt.
  let lost = false;
  for (const connection of [publisher, subscriber]) {
    // Errors are reported by the commands that fail; the connection retries on its own.
    connection.on('error', () => undefined);
  }
  subscriber.on('message', (_channel: string, payload: string) => {
    subscribers.dispatch(payload);
  });
  subscriber.on('close', () => {
    if (!ready || closing) return;
    // Dropped at every failed reconnection too (about every 2 s): what caches refill meanwhile
    // could have been revoked unheard.
    subscribers.reset();
    if (lost) return;
    lost = true;
    if (deps.health === undefined) deps.logger.warn('change feed: lost the Redis subscriber connection; caches dropped until it is back');
    else deps.health.down('change_feed');
  });
  subscriber.on('ready', () => {
    // ioredis re-subscribes on reconnect; what was published meanwhile is lost.
    if (ready) subscribers.reset();
    ready = true;
    lost = false;
  });
  await Promise.all([publisher.connect(), subscriber.connect()]);
  await subscriber.subscribe(channel);
  return {
    publish: async (tx, topic, key) => {
      const payload = `${topic}:${key}`;
      afterCommit(tx, () => {
        publisher.publish(channel, payload).catch((error: unknown) => {
          // Other nodes fall back on their caches' maximum ages (sessions 30 s, access 60 s).
          deps.logger.error({ err: error, topic }, 'change feed: could not publish a change to Redis');
        });
      });
    },
    subscribe: subscribers.subscribe,
    close: async () => {
      closing = true;
      // While Redis is away, QUIT would wait in the subscriber's offline queue for ever.
      for (const connection of [subscriber, publisher]) if (connection.status !== 'ready') connection.disconnect();
      await Promise.allSettled([subscriber, publisher].filter((connection) => connection.status === 'ready').map((connection) => connection.quit()));
    },
  };
}
