// Worker thread: hashes batches of canonical events for the verifier (hashEvent per event).
import { parentPort } from 'node:worker_threads';
import { answer, type HashRequest } from './hash-pool.ts';

parentPort?.on('message', (request: HashRequest) => {
  const response = answer(request);
  parentPort?.postMessage(response, [response.leaves.buffer, response.canonicalOk.buffer, response.seqs.buffer]);
});
