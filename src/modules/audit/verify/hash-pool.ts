import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { hashEvent, type HashedEvent } from './log-verifier.ts';

/** Hashes batches of canonical events on worker threads, answering in submission order. */
export interface HashPool {
  hash(events: readonly Uint8Array[]): Promise<HashedEvent[]>;
  close(): Promise<void>;
}

/** A batch on its way to a worker: every event's bytes in one transferable buffer. */
export interface HashRequest {
  readonly id: number;
  readonly data: Uint8Array<ArrayBuffer>;
  /** Event `i` is `data[offsets[i], offsets[i + 1])`. */
  readonly offsets: Uint32Array<ArrayBuffer>;
}

/** A worker's answer, in flat arrays so that posting it back copies little. */
export interface HashResponse {
  readonly id: number;
  /** 32 bytes per event. */
  readonly leaves: Uint8Array<ArrayBuffer>;
  readonly canonicalOk: Uint8Array<ArrayBuffer>;
  /** NaN where the event has no numeric seq. */
  readonly seqs: Float64Array<ArrayBuffer>;
  readonly tenantIds: (string | undefined)[];
}

/** Hashes one request (runs in the worker). */
export function answer(request: HashRequest): HashResponse {
  const count = request.offsets.length - 1;
  const leaves = new Uint8Array(count * 32);
  const canonicalOk = new Uint8Array(count);
  const seqs = new Float64Array(count);
  const tenantIds: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const hashed = hashEvent(request.data.subarray(request.offsets[i], request.offsets[i + 1]));
    leaves.set(hashed.leafHash, i * 32);
    canonicalOk[i] = hashed.canonicalOk ? 1 : 0;
    seqs[i] = hashed.seq ?? Number.NaN;
    tenantIds.push(hashed.tenantId);
  }
  return { id: request.id, leaves, canonicalOk, seqs, tenantIds };
}

function unpack(response: HashResponse): HashedEvent[] {
  return response.tenantIds.map((tenantId, i) => {
    const seq = response.seqs[i] ?? Number.NaN;
    return { leafHash: response.leaves.subarray(i * 32, i * 32 + 32), canonicalOk: response.canonicalOk[i] === 1, seq: Number.isNaN(seq) ? undefined : seq, tenantId };
  });
}

/** With `threads` 0 hashing runs inline (small inputs, tests). */
export function createHashPool(threads = Math.max(1, availableParallelism() - 1)): HashPool {
  if (threads === 0) {
    return { hash: async (events) => events.map((bytes) => hashEvent(bytes)), close: async () => undefined };
  }
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./hash-worker.ts', import.meta.url)));
  const waiting = new Map<number, (results: HashedEvent[]) => void>();
  for (const worker of workers) {
    worker.on('message', (message: HashResponse) => {
      const resolve = waiting.get(message.id);
      waiting.delete(message.id);
      resolve?.(unpack(message));
    });
  }
  let next = 0;
  return {
    hash: (events) =>
      new Promise((resolve) => {
        const id = next++;
        const offsets = new Uint32Array(events.length + 1);
        for (let i = 0; i < events.length; i++) offsets[i + 1] = (offsets[i] ?? 0) + (events[i]?.length ?? 0);
        const data = new Uint8Array(offsets[events.length] ?? 0);
        events.forEach((bytes, i) => {
          data.set(bytes, offsets[i]);
        });
        waiting.set(id, resolve);
        const request: HashRequest = { id, data, offsets };
        workers[id % workers.length]?.postMessage(request, [data.buffer, offsets.buffer]);
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
