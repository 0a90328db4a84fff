import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuditLogError, appendLeaf, canonicalJson, consistencyProof, ed25519SignerFromSeed, formatCheckpoint, frontierRoot,
  inclusionProof, leafHash, openNote, parseCheckpoint, parseVerifierKey, signNote, verifierKeyString,
  verifyConsistency, verifyInclusion, type GetNode, type NoteSigner,
} from './index.ts';

// The whole path through the public surface: the log operator appends events and signs
// checkpoints; a customer holding only the verifier key string checks everything offline.
const ORIGIN = 'parapet.example/audit/0190c3d2-7c4e-7000-8000-000000000001';
const operatorKey = ed25519SignerFromSeed('parapet.example/audit', new Uint8Array(32).fill(42));
const VKEY = verifierKeyString(operatorKey.name, operatorKey.publicKey);

const event = (seq: number, outcome = 'success') => ({ v: 1, seq, action: 'session.created', outcome, actor: { type: 'user', id: `u${seq}` } });

interface OperatorLog { readonly events: unknown[]; readonly getNode: GetNode; checkpoint(size: number): string }

function operate(events: unknown[], signer: NoteSigner): OperatorLog {
  const nodes = new Map<string, Uint8Array>();
  const notes: string[] = [];
  let frontier: Uint8Array[] = [];
  events.forEach((value, size) => {
    const appended = appendLeaf(frontier, size, leafHash(canonicalJson(value)));
    frontier = appended.frontier;
    for (const node of appended.newNodes) nodes.set(`${node.level}/${node.index}`, node.hash);
    notes.push(signNote(formatCheckpoint({ origin: ORIGIN, size: size + 1, root: frontierRoot(frontier) }), signer));
  });
  return {
    events,
    getNode: async (level, index) => nodes.get(`${level}/${index}`) ?? new Uint8Array(),
    checkpoint: (size) => notes[size - 1] ?? '',
  };
}

/** What a customer does with a signed checkpoint: verify it with the key string, then read it. */
function readCheckpoint(note: string) {
  const checkpoint = parseCheckpoint(openNote(note, [parseVerifierKey(VKEY)]).body);
  assert.equal(checkpoint.origin, ORIGIN);
  return checkpoint;
}

const honest = operate(Array.from({ length: 25 }, (_, seq) => event(seq)), operatorKey);

test('AUD-2: anyone holding only the verifier key string can prove an event is logged and the log only grew', async () => {
  const old = readCheckpoint(honest.checkpoint(10));
  const current = readCheckpoint(honest.checkpoint(25));
  const path = await inclusionProof(7, current.size, honest.getNode);
  assert.ok(verifyInclusion(leafHash(canonicalJson(event(7))), 7, current.size, path, current.root));
  const proof = await consistencyProof(old.size, current.size, honest.getNode);
  assert.ok(verifyConsistency(old.size, current.size, old.root, current.root, proof));
});

test('AUD-2: a checkpoint changed after signing, or signed by another key under the same name, is refused', () => {
  const note = honest.checkpoint(25);
  const shrunk = note.replace(/^(.*\n)25\n/, '$124\n');
  assert.notEqual(shrunk, note);
  assert.throws(() => readCheckpoint(shrunk), (error: unknown) => error instanceof AuditLogError && error.code === 'invalid_signature');
  const forger = ed25519SignerFromSeed(operatorKey.name, new Uint8Array(32).fill(7));
  const forged = operate(honest.events, forger).checkpoint(25);
  assert.throws(() => readCheckpoint(forged), (error: unknown) => error instanceof AuditLogError && error.code === 'unverified_note');
});

test('AUD-2: even the key holder cannot alter, remove or reorder a logged event without failing the proofs', async () => {
  const old = readCheckpoint(honest.checkpoint(10));
  const rewrites = [
    honest.events.map((value, seq) => (seq === 3 ? event(3, 'failure') : value)),
    honest.events.filter((_, seq) => seq !== 3),
    [...honest.events.slice(0, 3), honest.events[4], honest.events[3], ...honest.events.slice(5)],
  ];
  for (const events of rewrites) {
    const rewritten = operate(events, operatorKey);
    const current = readCheckpoint(rewritten.checkpoint(events.length));
    const proof = await consistencyProof(old.size, current.size, rewritten.getNode);
    assert.equal(verifyConsistency(old.size, current.size, old.root, current.root, proof), false);
    // What the rewritten log now holds at seq 3 cannot be proven to be what the old checkpoint signed.
    const path = await inclusionProof(3, old.size, rewritten.getNode);
    assert.equal(verifyInclusion(leafHash(canonicalJson(events[3])), 3, old.size, path, old.root), false);
  }
});
