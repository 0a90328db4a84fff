import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { AuditLogError } from './audit-log-error.ts';
import { ed25519KeyId, ed25519SignerFromSeed, verifierFromPublicKey } from './ed25519-note-key.ts';
import { fromHex, toHex } from './merkle-test-fixture.ts';

// RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72).
const TEST_1 = {
  seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};
const TEST_2 = {
  seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: '72',
  signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
};

test('derives the RFC 8032 public key from a seed and makes the RFC 8032 signatures', () => {
  for (const vector of [TEST_1, TEST_2]) {
    const signer = ed25519SignerFromSeed('example.com/log', fromHex(vector.seed));
    assert.equal(toHex(signer.publicKey), vector.publicKey);
    assert.equal(toHex(signer.sign(fromHex(vector.message))), vector.signature);
    const verifier = verifierFromPublicKey('example.com/log', fromHex(vector.publicKey));
    assert.ok(verifier.verify(fromHex(vector.message), fromHex(vector.signature)));
  }
});

test('the key ID is the first four bytes of SHA-256 over the name, a newline, 0x01 and the public key', () => {
  const publicKey = fromHex(TEST_1.publicKey);
  const expected = createHash('sha256').update(Buffer.concat([Buffer.from('example.com/log\n'), Buffer.from([1]), publicKey])).digest('hex').slice(0, 8);
  assert.equal(ed25519KeyId('example.com/log', publicKey), expected);
  assert.equal(ed25519SignerFromSeed('example.com/log', fromHex(TEST_1.seed)).keyId, expected);
  assert.equal(verifierFromPublicKey('example.com/log', publicKey).keyId, expected);
  assert.notEqual(ed25519KeyId('example.com/other', publicKey), expected);
});

test('a verifier refuses another message, another key\'s signature, and signatures of the wrong length', () => {
  const signer = ed25519SignerFromSeed('example.com/log', fromHex(TEST_1.seed));
  const verifier = verifierFromPublicKey(signer.name, signer.publicKey);
  const message = new TextEncoder().encode('checkpoint\n');
  const signature = signer.sign(message);
  assert.ok(verifier.verify(message, signature));
  assert.equal(verifier.verify(new TextEncoder().encode('checkpoint!'), signature), false);
  assert.equal(verifier.verify(message, ed25519SignerFromSeed('example.com/log', fromHex(TEST_2.seed)).sign(message)), false);
  assert.equal(verifier.verify(message, signature.subarray(0, 63)), false);
  assert.equal(verifier.verify(message, new Uint8Array(0)), false);
});

test('refuses seeds and public keys that are not 32 bytes, and invalid key names', () => {
  assert.throws(() => ed25519SignerFromSeed('example.com/log', new Uint8Array(31)), AuditLogError);
  assert.throws(() => ed25519SignerFromSeed('example.com/log', new Uint8Array(33)), AuditLogError);
  assert.throws(() => verifierFromPublicKey('example.com/log', new Uint8Array(31)), AuditLogError);
  for (const name of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u2003b', 'a\u0085b', 'a\nb']) {
    assert.throws(() => ed25519SignerFromSeed(name, new Uint8Array(32)), AuditLogError, JSON.stringify(name));
  }
});

test('a signer is frozen and does not expose its seed', () => {
  const signer = ed25519SignerFromSeed('example.com/log', fromHex(TEST_1.seed));
  assert.ok(Object.isFrozen(signer));
  assert.deepEqual(Object.keys(signer).sort(), ['keyId', 'name', 'publicKey', 'sign']);
  assert.ok(!JSON.stringify(signer).includes(TEST_1.seed));
});
