import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditLogError, type AuditLogErrorCode } from './audit-log-error.ts';
import { ed25519SignerFromSeed, verifierFromPublicKey } from './ed25519-note-key.ts';
import type { NoteVerifier } from './note-key.ts';
import { ENOCH_SIG, ENOCH_VKEY, NOTE_TEXT, PETER_SIG, PETER_VKEY, peterSeed } from './note-test-fixture.ts';
import { openNote, signNote } from './signed-note.ts';
import { parseVerifierKey } from './verifier-key.ts';

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);
const signed = `${NOTE_TEXT}\n${PETER_SIG}`;
const fails = (code: AuditLogErrorCode) => (error: unknown) => error instanceof AuditLogError && error.code === code;

test('signs the published example note byte for byte as the reference implementation does', () => {
  assert.equal(signNote(NOTE_TEXT, ed25519SignerFromSeed('PeterNeumann', peterSeed())), signed);
});

test('opens a note with the known keys that signed it and ignores signatures by unknown keys', () => {
  assert.deepEqual(openNote(`${signed}${ENOCH_SIG}`, [peter]), { body: NOTE_TEXT, verifiedBy: ['PeterNeumann'] });
  assert.deepEqual(openNote(`${signed}${ENOCH_SIG}`, [peter, enoch]), { body: NOTE_TEXT, verifiedBy: ['PeterNeumann', 'EnochRoot'] });
  assert.deepEqual(openNote(new TextEncoder().encode(signed), [peter]).verifiedBy, ['PeterNeumann']);
});

test('refuses a note that no known key signed', () => {
  assert.throws(() => openNote(`${signed}${ENOCH_SIG}`, []), fails('unverified_note'));
  assert.throws(() => openNote(`${NOTE_TEXT}\n${ENOCH_SIG}`, [peter]), fails('unverified_note'));
});

test('ignores a signature whose key shares only the name with a known key', () => {
  const impostor = ed25519SignerFromSeed('PeterNeumann', new Uint8Array(32).fill(7));
  assert.notEqual(impostor.keyId, peter.keyId);
  assert.throws(() => openNote(signNote(NOTE_TEXT, impostor), [peter]), fails('unverified_note'));
});

test('refuses the whole note when a known key\'s signature does not verify', () => {
  const corrupted = `${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
  assert.throws(() => openNote(`${NOTE_TEXT}\n${corrupted}`, [peter]), fails('invalid_signature'));
  assert.throws(() => openNote(`${NOTE_TEXT}\n${PETER_SIG}${corrupted}${ENOCH_SIG}`, [peter, enoch]), fails('invalid_signature'));
  const liar: NoteVerifier = { ...peter, verify: () => false };
  assert.throws(() => openNote(signed, [liar]), fails('invalid_signature'));
});

test('refuses a note whose text was changed after signing', () => {
  const tampered = signed.replace('cryptography', 'cryptographY');
  assert.throws(() => openNote(tampered, [peter]), fails('invalid_signature'));
  assert.throws(() => openNote(`extra line\n${signed}`, [peter]), fails('invalid_signature'));
});

test('counts a repeated signature once and drops repeated unknown ones', () => {
  const corruptedEnoch = `${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
  const note = `${NOTE_TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${corruptedEnoch}`;
  assert.deepEqual(openNote(note, [peter]).verifiedBy, ['PeterNeumann']);
});

test('refuses to choose between two known keys with the same name and key ID', () => {
  assert.throws(() => openNote(`${NOTE_TEXT}\n${ENOCH_SIG}`, [enoch, peter, enoch]), fails('ambiguous_key'));
  assert.deepEqual(openNote(signed, [enoch, peter, enoch]).verifiedBy, ['PeterNeumann']);
});

test('refuses malformed notes the way the reference implementation does', () => {
  const malformed = [
    NOTE_TEXT,
    `${NOTE_TEXT}\n`,
    `${NOTE_TEXT}\n${PETER_SIG.slice(0, -1)}`,
    `\u0001${signed}`,
    `${NOTE_TEXT}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
    `${signed}Unexpected line.\n`,
    `${NOTE_TEXT}\n${PETER_SIG.repeat(101)}`,
    `${NOTE_TEXT}\n- PeterNeumann ${PETER_SIG.slice(15)}`,
    `${NOTE_TEXT}\n${PETER_SIG.replace('=\n', '\n')}`,
    `${NOTE_TEXT}\n\u2014 PeterNeumann AAAAAA==\n`,
    signed.replaceAll('\n', '\r\n'),
    `${signed}\n`,
    `\ud800${signed}`,
  ];
  for (const note of malformed) assert.throws(() => openNote(note, [peter]), fails('malformed_note'), JSON.stringify(note));
  const invalidUtf8 = Buffer.concat([Buffer.from([0xff]), Buffer.from(signed)]);
  assert.throws(() => openNote(invalidUtf8, [peter]), fails('malformed_note'));
});

test('accepts up to 100 signatures', () => {
  const others = Array.from({ length: 99 }, (_, i) => signNote(NOTE_TEXT, ed25519SignerFromSeed(`other${i}`, new Uint8Array(32).fill(i))).slice(NOTE_TEXT.length + 1));
  assert.deepEqual(openNote(`${signed}${others.join('')}`, [peter]).verifiedBy, ['PeterNeumann']);
});

test('refuses to sign text that is not a valid note body', () => {
  const signer = ed25519SignerFromSeed('example.com/log', new Uint8Array(32));
  for (const body of ['no final newline', '', 'tab\there\n', 'cr\r\n', '\ud800\n']) {
    assert.throws(() => signNote(body, signer), fails('invalid_argument'), JSON.stringify(body));
  }
});

test('a body may itself hold blank lines and lines that look like signatures', () => {
  const signer = ed25519SignerFromSeed('example.com/log', new Uint8Array(32));
  const body = 'first\n\n\u2014 example.com/log AAAAAAA=\n\n';
  const opened = openNote(signNote(body, signer), [verifierFromPublicKey(signer.name, signer.publicKey)]);
  assert.equal(opened.body, body);
});
