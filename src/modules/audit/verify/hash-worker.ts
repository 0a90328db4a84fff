// Worker thread: hashes batches of canonical events for the verifier (hashEvent per event).
import { parentPort } from 'node:worker_threads';
import { hashEvent } from './log-verifier.ts';

parentPort?.on('message', (batch: { id: number; events: string[] }) => {
  const results = batch.events.map((text) => hashEvent(Buffer.from(text, 'utf8')));
  parentPort?.postMessage({ id: batch.id, results });
});
