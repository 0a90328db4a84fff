import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditLogError } from './audit-log-error.ts';
import { ed25519SignerFromSeed } from './ed25519-note-key.ts';
import { ENOCH_VKEY, PETER_VKEY, peterSeed } from './note-test-fixture.ts';
import { parseVerifierKey, verifierKeyString } from './verifier-key.ts';

const malformedKey = (error: unknown) => error instanceof AuditLogError && error.code === 'malformed_key';

test('writes the published verifier key of the reference implementation\'s example signer', () => {
  const signer = ed25519SignerFromSeed('PeterNeumann', peterSeed());
  assert.equal(signer.keyId, 'c74f20a3');
  assert.equal(verifierKeyString(signer.name, signer.publicKey), PETER_VKEY);
});

test('reads a verifier key back to the same name, key ID and public key', () => {
  const signer = ed25519SignerFromSeed('PeterNeumann', peterSeed());
  const verifier = parseVerifierKey(PETER_VKEY);
  assert.equal(verifier.name, 'PeterNeumann');
  assert.equal(verifier.keyId, 'c74f20a3');
  assert.deepEqual(Buffer.from(verifier.publicKey), Buffer.from(signer.publicKey));
  assert.equal(parseVerifierKey(ENOCH_VKEY).keyId, 'af0cfe78');
});

test('refuses every truncation and every single-character change of a verifier key', () => {
  // The mangling test of golang.org/x/mod/sumdb/note TestNewVerifier.
  for (let i = 0; i <= PETER_VKEY.length; i += 1) {
    for (let j = i + 1; j <= PETER_VKEY.length; j += 1) {
      if (i === 0 && j === PETER_VKEY.length) continue;
      assert.throws(() => parseVerifierKey(PETER_VKEY.slice(i, j)), malformedKey, PETER_VKEY.slice(i, j));
    }
  }
  for (let i = 0; i < PETER_VKEY.length; i += 1) {
    const changed = PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1);
    assert.throws(() => parseVerifierKey(changed), malformedKey, changed);
  }
});

test('refuses a key of the wrong length or of an unknown type even when its key ID matches', () => {
  assert.throws(() => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='), malformedKey);
  assert.throws(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), malformedKey);
});

test('refuses an upper-case key ID and extra text after the key', () => {
  assert.throws(() => parseVerifierKey(PETER_VKEY.replace('c74f20a3', 'C74F20A3')), malformedKey);
  assert.throws(() => parseVerifierKey(`${PETER_VKEY}+extra`), malformedKey);
  assert.throws(() => parseVerifierKey(`${PETER_VKEY}\n`), malformedKey);
});

test('refuses to write a verifier key for an invalid name or key', () => {
  const { publicKey } = ed25519SignerFromSeed('PeterNeumann', peterSeed());
  assert.throws(() => verifierKeyString('Peter Neumann', publicKey), AuditLogError);
  assert.throws(() => verifierKeyString('a+b', publicKey), AuditLogError);
  assert.throws(() => verifierKeyString('PeterNeumann', publicKey.subarray(1)), AuditLogError);
});
