import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { hashEvent, type HashedEvent } from './log-verifier.ts';

/** Hashes batches of canonical event texts on worker threads, answering in submission order. */
export interface HashPool {
  hash(events: readonly string[]): Promise<HashedEvent[]>;
  close(): Promise<void>;
}

/** With `threads` 0 hashing runs inline (small inputs, tests). */
export function createHashPool(threads = Math.max(1, availableParallelism() - 1)): HashPool {
  if (threads === 0) {
    return { hash: async (events) => events.map((text) => hashEvent(Buffer.from(text, 'utf8'))), close: async () => undefined };
  }
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./hash-worker.ts', import.meta.url)));
  const waiting = new Map<number, (results: HashedEvent[]) => void>();
  for (const worker of workers) {
    worker.on('message', (message: { id: number; results: HashedEvent[] }) => {
      const resolve = waiting.get(message.id);
      waiting.delete(message.id);
      resolve?.(message.results.map((r) => ({ ...r, leafHash: new Uint8Array(r.leafHash) })));
    });
  }
  let next = 0;
  return {
    hash: (events) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        workers[id % workers.length]?.postMessage({ id, events });
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
