import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditLogError } from './audit-log-error.ts';
import { decodeBase64 } from './base64.ts';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.ts';
import { emptyRoot } from './merkle-hash.ts';

// The example of c2sp.org/tlog-checkpoint.
const SPEC_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_ROOT = decodeBase64('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=') ?? new Uint8Array();
const malformedCheckpoint = (error: unknown) => error instanceof AuditLogError && error.code === 'malformed_checkpoint';

test('formats the checkpoint body of the C2SP example', () => {
  assert.equal(formatCheckpoint({ origin: 'example.com/behind-the-sofa', size: 20852163, root: SPEC_ROOT }), SPEC_BODY);
});

test('parses what it formats, with and without extension lines', () => {
  const plain = { origin: 'parapet.example/audit/0190c3d2', size: 0, root: emptyRoot(), extensions: [] };
  assert.deepEqual(parseCheckpoint(formatCheckpoint(plain)), plain);
  const extended = { origin: 'parapet.example/audit/0190c3d2', size: Number.MAX_SAFE_INTEGER, root: SPEC_ROOT, extensions: ['retained-from 17', 'x'] };
  const body = formatCheckpoint(extended);
  assert.equal(body, `parapet.example/audit/0190c3d2\n9007199254740991\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nretained-from 17\nx\n`);
  assert.deepEqual(parseCheckpoint(body), extended);
});

test('parses the C2SP example, whose origin is not necessarily a key name', () => {
  assert.deepEqual(parseCheckpoint(SPEC_BODY), { origin: 'example.com/behind-the-sofa', size: 20852163, root: SPEC_ROOT, extensions: [] });
  assert.equal(parseCheckpoint(SPEC_BODY.replace('example.com/behind-the-sofa', 'any origin+at all')).origin, 'any origin+at all');
});

test('refuses malformed checkpoint text', () => {
  const [origin, size, root] = ['example.com/log', '5', 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I='];
  const bodies = [
    `${origin}\n${size}\n${root}`,
    `${origin}\n${size}\n`,
    `\n${size}\n${root}\n`,
    `${origin}\n05\n${root}\n`,
    `${origin}\n+5\n${root}\n`,
    `${origin}\n-5\n${root}\n`,
    `${origin}\n5.0\n${root}\n`,
    `${origin}\n1e3\n${root}\n`,
    `${origin}\n 5\n${root}\n`,
    `${origin}\n\n${root}\n`,
    `${origin}\n9007199254740992\n${root}\n`,
    `${origin}\n${size}\n${root.slice(0, -1)}\n`,
    `${origin}\n${size}\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n`,
    `${origin}\n${size}\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n`,
    `${origin}\n${size}\nAAAA\n`,
    `${origin}\n${size}\n${root}\n\n`,
    `${origin}\n${size}\n${root}\next\n\n`,
    `${origin}\r\n${size}\r\n${root}\r\n`,
    `${origin}\t\n${size}\n${root}\n`,
    `\ud800\n${size}\n${root}\n`,
  ];
  for (const body of bodies) assert.throws(() => parseCheckpoint(body), malformedCheckpoint, JSON.stringify(body));
});

test('refuses to format a checkpoint that would not parse or could not be signed under its origin', () => {
  const valid = { origin: 'example.com/log', size: 1, root: SPEC_ROOT };
  const invalid = [
    { ...valid, origin: '' },
    { ...valid, origin: 'example.com/a log' },
    { ...valid, origin: 'example.com/a+log' },
    { ...valid, origin: 'example.com/log\n' },
    { ...valid, size: -1 },
    { ...valid, size: 1.5 },
    { ...valid, size: 2 ** 53 },
    { ...valid, root: SPEC_ROOT.subarray(1) },
    { ...valid, extensions: [''] },
    { ...valid, extensions: ['two\nlines'] },
  ];
  for (const checkpoint of invalid) assert.throws(() => formatCheckpoint(checkpoint), AuditLogError, JSON.stringify(checkpoint.origin));
});
