import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What falls back while Redis does not answer. */
export type RedisFallbackComponent = 'sign_in_counters' | 'rate_limits' | 'change_feed' | 'connection';

/**
 * This node's view of Redis (issue 15 part 2). Whatever cannot reach Redis reports `down` and
 * serves from its fallback (sign-in counters from PostgreSQL, per-IP limits from this node's
 * memory); the first report of an outage logs the one warning, and the counters connection's
 * return (or an answered command) logs the one info line. `/readyz` lists Redis as degraded
 * meanwhile, and `/metrics` exports `parapet_redis_fallback_active` and
 * `parapet_redis_fallbacks_total`.
 */
export interface RedisHealth {
  /** A command failed or a connection closed: starts an outage (logged once) and counts the fallback. */
  down(component: RedisFallbackComponent): void;
  /** Redis answered again: ends the outage, if one is running. */
  up(): void;
  /** Whether an outage is running. */
  degraded(): boolean;
}

export function createRedisHealth(deps: { logger: Logger; registry?: Registry }): RedisHealth {
  const registers = deps.registry === undefined ? [] : [deps.registry];
  const active = new Gauge({ name: 'parapet_redis_fallback_active', help: '1 while Redis does not answer and sign-in counters and per-IP limits run on their fallbacks.', registers });
  const fallbacks = new Counter({ name: 'parapet_redis_fallbacks_total', help: 'Operations served by a fallback because Redis did not answer, by component.', labelNames: ['component'] as const, registers });
  active.set(0);
  let since: number | undefined;
  return {
    down: (component) => {
      fallbacks.inc({ component });
      if (since !== undefined) return;
      since = Date.now();
      active.set(1);
      deps.logger.warn(
        { component },
        'Redis does not answer: sign-in counters fall back to PostgreSQL, per-IP rate limits to per-node memory, and revocations to cache expiry until it is back',
      );
    },
    up: () => {
      if (since === undefined) return;
      const seconds = Math.round((Date.now() - since) / 1000);
      since = undefined;
      active.set(0);
      deps.logger.info({ outage_seconds: seconds }, 'Redis answers again: sign-in counters and per-IP rate limits are shared through it again');
    },
    degraded: () => since !== undefined,
  };
}
