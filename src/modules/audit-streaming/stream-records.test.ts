import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interleave, type CheckpointRecord, type EventRecord } from './stream-records.ts';

const event = (seq: number): EventRecord => ({ type: 'event', seq, action: 'project.renamed', outcome: 'success', occurred_at: '', event: {} });
const checkpoint = (size: number): CheckpointRecord => ({ type: 'checkpoint', kind: 'regular', size, created_at: '', note: '', verifier_key: '' });
const order = (records: ReturnType<typeof interleave>) => records.map((r) => (r.type === 'event' ? `e${r.seq}` : r.type === 'checkpoint' ? `c${r.size}` : 't'));

describe('stream order', () => {
  it('AUD-5: puts each checkpoint right after the last event it covers', () => {
    assert.deepEqual(order(interleave([event(5), event(6), event(7)], [checkpoint(5), checkpoint(7), checkpoint(8)])), ['c5', 'e5', 'e6', 'c7', 'e7', 'c8']);
    assert.deepEqual(order(interleave([], [checkpoint(3)])), ['c3']);
  });
});
