import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisHealth } from './redis-health.ts';

/** A Redis connection the app owns, closed with the app. */
export interface RedisConnection {
  readonly client: Redis;
  close(): Promise<void>;
}

/**
 * Opens one connection to `url` (`PARAPET_REDIS_URL`) and waits until it answers, so a wrong URL
 * stops start-up. Commands never queue while the connection is down and give up after
 * `commandTimeoutMs`: callers decide what an unanswered command means (per-IP limits fall back to
 * this node's memory, sign-in counters answer 503) instead of holding requests. The connection
 * retries on its own; its loss and return are logged once each — or, with `health`, reported to it
 * (which logs once per outage for every user of Redis).
 */
export async function connectRedis(deps: { url: string; logger: Logger; connectionName: string; commandTimeoutMs?: number; health?: RedisHealth }): Promise<RedisConnection> {
  const client = new Redis(deps.url, {
    connectionName: deps.connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: deps.commandTimeoutMs ?? 500,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  });
  let closing = false;
  let lost = false;
  // Errors are reported by the commands that fail; the connection retries on its own.
  client.on('error', () => undefined);
  client.on('close', () => {
    if (closing || lost) return;
    lost = true;
    if (deps.health === undefined) deps.logger.warn({ connection: deps.connectionName }, 'lost the Redis connection; retrying');
    else deps.health.down('connection');
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    if (deps.health === undefined) deps.logger.info({ connection: deps.connectionName }, 'the Redis connection is back');
    else deps.health.up();
  });
  try {
    await client.connect();
  } catch (error) {
    closing = true;
    client.disconnect();
    throw error;
  }
  return {
    client,
    close: async () => {
      closing = true;
      await client.quit().catch(() => {
        client.disconnect();
      });
    },
  };
}

/**
 * A second connection to `client`'s server, with its options but without ioredis's command
 * timeout: its user sets a deadline of its own (`answeredWithin`). Opened before it is returned,
 * so a Redis that stopped answering since start-up stops start-up here too.
 */
export async function openUntimedConnection(client: Redis, connectionName: string): Promise<Redis> {
  const duplicate = client.duplicate({ commandTimeout: undefined, connectionName, lazyConnect: true });
  // Errors are reported by the commands that fail; the connection retries on its own.
  duplicate.on('error', () => undefined);
  try {
    await duplicate.connect();
  } catch (error) {
    duplicate.disconnect();
    throw error;
  }
  return duplicate;
}
