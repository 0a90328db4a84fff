import type { Clock } from '../../platform/clock.ts';

/**
 * Rendered pages kept in memory: a hit costs a map lookup. An entry is rebuilt after `ttlMs` or
 * when `invalidate` is called (new check results, an edited entry); concurrent misses share one
 * build, so a burst after expiry renders once.
 */
export function createPageCache<T>(deps: { clock: Clock; ttlMs: number }) {
  const entries = new Map<string, { value: T; at: number; generation: number }>();
  const building = new Map<string, Promise<T>>();
  let generation = 0;
  return {
    async get(key: string, build: () => Promise<T>): Promise<T> {
      const now = deps.clock.now().getTime();
      const hit = entries.get(key);
      if (hit !== undefined && hit.generation === generation && now - hit.at < deps.ttlMs) return hit.value;
      const pending = building.get(key);
      if (pending !== undefined) return pending;
      const started = generation;
      const promise = build()
        .then((value) => {
          if (started === generation) entries.set(key, { value, at: now, generation: started });
          return value;
        })
        .finally(() => building.delete(key));
      building.set(key, promise);
      return promise;
    },
    invalidate(): void {
      generation++;
      entries.clear();
      building.clear();
    },
  };
}

export type PageCache<T> = ReturnType<typeof createPageCache<T>>;
