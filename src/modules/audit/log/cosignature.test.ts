import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { formatCheckpoint } from './checkpoint.ts';
import { cosignerFromSeed, cosignerKeyString, parseCosignerKey } from './cosignature.ts';
import { ed25519SignerFromSeed } from './ed25519-note-key.ts';
import { addSignature, openNote, signNote } from './signed-note.ts';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

describe('cosignature/v1 (C2SP tlog-cosignature)', () => {
  const body = formatCheckpoint({ origin: 'example.com/behind-the-sofa', size: 20852163, root: Buffer.alloc(32, 3) });
  const note = signNote(body, ed25519SignerFromSeed('example.com/behind-the-sofa', Buffer.alloc(32, 1)));
  const witness = cosignerFromSeed('witness.example.com/w1', Buffer.alloc(32, 2), 1679315147);

  it('signs "cosignature/v1\\ntime <t>\\n" and the checkpoint body, behind a big-endian u64 timestamp and a 0x04 key ID', () => {
    const cosigned = addSignature(note, witness);
    const line = cosigned.trimEnd().split('\n').at(-1) ?? '';
    assert.ok(line.startsWith('\u2014 witness.example.com/w1 '));
    const bytes = Buffer.from(line.split(' ')[2] ?? '', 'base64');
    assert.equal(bytes.subarray(0, 4).toString('hex'), witness.keyId);
    assert.equal(bytes.readBigUInt64BE(4), 1679315147n);
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, witness.publicKey]), format: 'der', type: 'spki' });
    assert.ok(verify(null, Buffer.from(`cosignature/v1\ntime 1679315147\n${body}`), key, bytes.subarray(12)));
  });

  it('verifies through its vkey, and refuses a cosignature over another checkpoint', () => {
    const vkey = cosignerKeyString(witness.name, witness.publicKey);
    assert.match(vkey, /^witness\.example\.com\/w1\+[0-9a-f]{8}\+/);
    const cosigned = addSignature(note, witness);
    assert.deepEqual(openNote(cosigned, [parseCosignerKey(vkey)]).verifiedBy, ['witness.example.com/w1']);
    const moved = cosigned.replace('20852163', '20852164');
    assert.throws(() => openNote(moved, [parseCosignerKey(vkey)]), /does not verify/);
    assert.throws(() => parseCosignerKey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')), /key ID/);
  });
});
