import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKey, readCleartextMessage, readKey, verify } from 'openpgp';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { CLAIMS } from './claims-catalogue.ts';

/** RFC 9116 §3: `Field: value` lines; returns each field's values in order. */
function fields(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z-]+): (.+)$/.exec(line);
    assert.ok(match, `not a field line: ${line}`);
    const name = (match[1] ?? '').toLowerCase();
    out.set(name, [...(out.get(name) ?? []), match[2] ?? '']);
  }
  return out;
}

const NOW = new Date('2026-12-07T10:00:00.000Z');
const env = {
  PARAPET_PUBLIC_URL: 'https://trust.example.com',
  PARAPET_SECURITY_CONTACTS: 'mailto:security@example.com, https://example.com/report',
  PARAPET_SECURITY_TXT_EXPIRES_DAYS: '90',
  PARAPET_SECURITY_TXT_ENCRYPTION_URL: 'https://example.com/pgp-key.txt',
  PARAPET_SECURITY_TXT_ACKNOWLEDGMENTS_URL: 'https://example.com/hall-of-fame',
  PARAPET_SECURITY_TXT_LANGUAGES: 'en, de',
  PARAPET_TRUST_DISCLOSURE_URL: '/security/disclosure',
  PARAPET_SECURITY_TXT_CSAF_URL: 'https://trust.example.com/.well-known/csaf/provider-metadata.json',
};

describe('security.txt (VDP-1, RFC 9116)', () => {
  let t: TestApp;
  let signed: TestApp;
  let publicKey: string;

  before(async () => {
    const key = await generateKey({ type: 'curve25519', userIDs: [{ name: 'Security', email: 'security@example.com' }], passphrase: 'pgp passphrase here', format: 'armored' });
    publicKey = key.publicKey;
    const dir = mkdtempSync(join(tmpdir(), 'parapet-pgp-'));
    writeFileSync(join(dir, 'key.asc'), key.privateKey, { mode: 0o600 });
    t = await createTestApp({ env, clock: { now: () => NOW } });
    signed = await createTestApp({ env: { ...env, PARAPET_SECURITY_PGP_KEY_FILE: join(dir, 'key.asc'), PARAPET_SECURITY_PGP_PASSPHRASE: 'pgp passphrase here' }, clock: { now: () => NOW }, database: t.database });
  });
  after(async () => {
    await signed.close();
    await t.close();
  });

  it('VDP-1: serves every field as text/plain, with Expires the configured days ahead and Canonical naming its URL', async () => {
    const response = await t.inject({ method: 'GET', url: '/.well-known/security.txt' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    const f = fields(response.body);
    assert.deepEqual(f.get('contact'), ['mailto:security@example.com', 'https://example.com/report']);
    assert.deepEqual(f.get('expires'), ['2027-03-07T10:00:00Z']);
    assert.deepEqual(f.get('encryption'), ['https://example.com/pgp-key.txt']);
    assert.deepEqual(f.get('acknowledgments'), ['https://example.com/hall-of-fame']);
    assert.deepEqual(f.get('preferred-languages'), ['en, de']);
    assert.deepEqual(f.get('canonical'), ['https://trust.example.com/.well-known/security.txt']);
    assert.deepEqual(f.get('policy'), ['https://trust.example.com/security/disclosure']);
    assert.deepEqual(f.get('csaf'), ['https://trust.example.com/.well-known/csaf/provider-metadata.json']);
    // §2.5.5: Expires is in the future and less than a year away.
    const expires = Date.parse(f.get('expires')?.[0] ?? '');
    assert.ok(expires > NOW.getTime() && expires - NOW.getTime() < 365 * 86_400_000);
  });

  it('VDP-1: the signed file is an OpenPGP cleartext message whose signature verifies, and an altered one does not', async () => {
    const response = await signed.inject({ method: 'GET', url: '/.well-known/security.txt' });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /^-----BEGIN PGP SIGNED MESSAGE-----\n/);
    const verificationKeys = await readKey({ armoredKey: publicKey });
    const message = await readCleartextMessage({ cleartextMessage: response.body });
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- openpgp's own key object, from readKey
    const result = await verify({ message, verificationKeys, expectSigned: true });
    assert.match(result.data, /^Contact: mailto:security@example.com$/m);
    const altered = await readCleartextMessage({ cleartextMessage: response.body.replace('mailto:security@example.com', 'mailto:attacker@example.com') });
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- as above
    await assert.rejects(verify({ message: altered, verificationKeys, expectSigned: true }));
  });

  it('VDP-1: without a configured contact there is no security.txt (RFC 9116 requires Contact)', async () => {
    const bare = await createTestApp({ database: t.database });
    try {
      const response = await bare.inject({ method: 'GET', url: '/.well-known/security.txt' });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json<{ code: string }>().code, 'not_found');
    } finally {
      await bare.close();
    }
  });

  it('TR-4: the trust center lists every claim id of docs/claims.md as a control', () => {
    const doc = readFileSync(new URL('../../../docs/claims.md', import.meta.url), 'utf8');
    const ids = [...doc.matchAll(/^\| ([A-Z]+-\d+) /gm)].map((m) => m[1]);
    assert.ok(ids.length > 30);
    const known = new Set(CLAIMS.map((c) => c.id));
    assert.deepEqual(ids.filter((id) => id !== undefined && !known.has(id)), []);
  });
});
