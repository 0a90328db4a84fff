import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import { touchKey } from './api-keys-store.ts';

/** Records when and from where each key was last used, without a write on the request path. */
export interface KeyUsage {
  /** Notes a use in memory (the hot path: one Map write). */
  note(tenantId: string, keyId: string, at: Date, ip: string): void;
  /** Writes what was noted since the last flush: one UPDATE per key, one transaction per organization. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `last_used_at`/`last_used_ip` are buffered and written once per interval (a minute by default),
 * so each key's row is written at most once a minute per node however busy the key is.
 */
export function createKeyUsage(deps: { transactor: AppTransactor; logger: Logger; intervalMs?: number }): KeyUsage {
  let pending = new Map<string, { tenantId: string; at: Date; ip: string }>();

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const byTenant = new Map<string, { keyId: string; at: Date; ip: string }[]>();
    for (const [keyId, use] of batch) {
      let list = byTenant.get(use.tenantId);
      if (list === undefined) byTenant.set(use.tenantId, (list = []));
      list.push({ keyId, at: use.at, ip: use.ip });
    }
    for (const [tenantId, uses] of byTenant) {
      try {
        await deps.transactor.withTenant(tenantId, async (tx) => {
          for (const use of uses) await touchKey(tx, tenantId, use.keyId, use.at, use.ip);
        });
      } catch (error) {
        deps.logger.warn({ err: error, tenantId }, 'could not record API key use');
      }
    }
  }

  const timer = setInterval(() => {
    void flush();
  }, deps.intervalMs ?? 60_000);
  timer.unref();

  return {
    note: (tenantId, keyId, at, ip) => {
      pending.set(keyId, { tenantId, at, ip });
    },
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
