// Attacks on documents under NDA (TR-2): reusing, sharing, outliving or forging a download link,
// downloading after revocation or without a verified address, and learning about other requesters
// or accounts from the answers. Each case fails when its defence is removed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD } from '../../../test/support/app.ts';
import { manualClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { allowDomains, auditActionsOf, download, downloadCode, NDA_TEXT, readPdf, requestDocument, requestRow, startNdaFixture, verifyCode, type NdaFixture } from './nda-test-fixture.ts';

const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
const unique = (domain: string) => `r-${systemRandom(5).toString('hex')}@${domain}`;
const problemCode = (r: { body: string }) => (JSON.parse(r.body) as { code: string }).code;

describe('documents under NDA: attacks (TR-2)', () => {
  let f: NdaFixture;
  before(async () => {
    f = await startNdaFixture({ clock, app: (env) => createTestApp({ env, clock }) });
    await allowDomains(f, ['allowed.example']);
  });
  after(async () => {
    await f.close();
  });

  /** A request by `email` at the allowed domain, verified and so approved; returns its download code. */
  async function approvedCode(email: string): Promise<string> {
    assert.equal((await verifyCode(f, await requestDocument(f, email))).statusCode, 200);
    return downloadCode(f, email);
  }

  it('TR-2: a download link works once — a second use, or a parallel one, is refused', async () => {
    const email = unique('allowed.example');
    const code = await approvedCode(email);
    const [a, b] = await Promise.all([download(f, email, code), download(f, email, code)]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 400], 'exactly one of two parallel uses wins');
    const again = await download(f, email, code);
    assert.equal(again.statusCode, 400);
    assert.equal(problemCode(again), 'trust_link_invalid');
  });

  it('TR-2: a link works only with the address it was mailed to: another requester\'s email (or a stranger\'s) is refused and does not spend it', async () => {
    const owner = unique('allowed.example');
    const other = unique('allowed.example');
    const code = await approvedCode(owner);
    await approvedCode(other);
    for (const email of [other, 'stranger@elsewhere.example']) {
      const stolen = await download(f, email, code);
      assert.equal(stolen.statusCode, 400, email);
      assert.equal(problemCode(stolen), 'trust_link_invalid');
    }
    assert.equal((await download(f, owner.toUpperCase(), code)).statusCode, 200, 'the owner still downloads (the address is compared case-insensitively)');
  });

  it('TR-2: after access is revoked an unused download link is refused; the revocation is audited', async () => {
    const email = unique('allowed.example');
    const code = await approvedCode(email);
    const row = await requestRow(f, email);
    const revoked = await f.t.inject({ method: 'POST', url: `/api/v1/platform/trust/nda-requests/${row.id}/revoke`, headers: { cookie: f.admin } });
    assert.equal(revoked.statusCode, 204, revoked.body);
    const refused = await download(f, email, code);
    assert.equal(refused.statusCode, 400);
    assert.equal(problemCode(refused), 'trust_link_invalid');
    assert.ok((await auditActionsOf(f, row.id)).includes('trust.nda_access_revoked'));
    assert.equal((await f.t.inject({ method: 'POST', url: `/api/v1/platform/trust/nda-requests/${row.id}/approve`, headers: { cookie: f.admin } })).statusCode, 409, 'a revoked request is not approved again by replaying the approval');
  });

  it('TR-2: an unverified address is never approved — not by rule, not by an administrator — and its verification code is no download code', async () => {
    const email = unique('allowed.example');
    const verifyToken = await requestDocument(f, email);
    const row = await requestRow(f, email);
    assert.equal(row.status, 'unverified');
    const approve = await f.t.inject({ method: 'POST', url: `/api/v1/platform/trust/nda-requests/${row.id}/approve`, headers: { cookie: f.admin } });
    assert.equal(approve.statusCode, 409);
    assert.equal(problemCode(approve), 'nda_request_closed');
    const asDownload = await download(f, email, verifyToken);
    assert.equal(asDownload.statusCode, 400, 'a verification code does not download');
    await f.t.app.services.mail.idle();
    assert.equal(f.smtp.messages.filter((m) => m.to.includes(email) && /ready/.test(m.subject)).length, 0, 'no download link was mailed');
  });

  it('TR-2: a verification link works once', async () => {
    const email = unique('elsewhere.example');
    const token = await requestDocument(f, email);
    assert.equal((await verifyCode(f, token)).statusCode, 200);
    const again = await verifyCode(f, token);
    assert.equal(again.statusCode, 400);
    assert.equal(problemCode(again), 'trust_link_invalid');
  });

  it('TR-2: the PDF served is watermarked on every page with the requester\'s address and the time of the download', async () => {
    const email = unique('allowed.example');
    const code = await approvedCode(email);
    const response = await download(f, email, code);
    assert.equal(response.statusCode, 200);
    const pdf = await readPdf(response.rawPayload);
    const expected = `Confidential - provided to ${email} on ${clock.now().toISOString()} under NDA version ${f.ndaVersion}`;
    assert.ok(pdf.pages.length > 0);
    for (const page of pdf.pages) assert.equal(page.filter((text) => text === expected).length, 2, `a line at the foot and one across the page: ${JSON.stringify(page)}`);
    assert.equal(pdf.subject, expected);
  });

  it('TR-2: the request records the exact NDA version\'s SHA-256, the email, the time and the IP; the audit event carries the hash', async () => {
    const email = unique('elsewhere.example');
    await requestDocument(f, email, { 'x-forwarded-for': '203.0.113.9' });
    const row = await requestRow(f, email);
    assert.equal(row['nda_sha256'], createHash('sha256').update(NDA_TEXT).digest('hex'));
    assert.equal(row['nda_version'], f.ndaVersion);
    assert.equal(row['email'], email);
    assert.equal((row['accepted_at'] as Date).toISOString(), clock.now().toISOString());
    assert.equal(typeof row['accepted_ip'], 'string');
    assert.ok((row['accepted_ip'] as string).length > 0);
    await f.t.app.services.audit.sequencer.drain();
    // Read as the app in the platform log's context (the owner is under forced RLS on PostgreSQL).
    const platform = '00000000-0000-0000-0000-000000000000';
    const events = await f.t.transactor.withTenant(platform, (tx) => tx.selectFrom('audit_events').select(['canonical', 'target_ids']).where('tenant_id', '=', platform).where('action', '=', 'trust.nda_requested').execute());
    const event = events.find((e) => e.target_ids.includes(row.id));
    assert.ok(event !== undefined);
    assert.equal((JSON.parse(Buffer.from(event.canonical).toString('utf8')) as { metadata: Record<string, unknown> }).metadata['nda_sha256'], row['nda_sha256']);
  });

  it('TR-2: answers do not tell whether an address has an account, was approved by rule, or what others requested', async () => {
    const accountEmail = unique('elsewhere.example');
    await f.t.createUser(accountEmail, TEST_PASSWORD);
    const body = (email: string) => ({ document_id: f.entryId, email, name: 'N', company: 'C', nda_version: f.ndaVersion, accept_nda: true });
    const withAccount = await f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-requests', payload: body(accountEmail) });
    const without = await f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-requests', payload: body(unique('elsewhere.example')) });
    assert.equal(withAccount.statusCode, without.statusCode);
    assert.equal(withAccount.body, without.body);

    const ruled = await verifyCode(f, await requestDocument(f, unique('allowed.example')));
    const waiting = await verifyCode(f, await requestDocument(f, unique('elsewhere.example')));
    assert.equal(ruled.body, waiting.body, 'verification answers the same whether the rule approved');

    const someone = unique('allowed.example');
    await approvedCode(someone);
    for (const url of ['/trust/documents', `/trust/documents/${f.entryId}/request`, '/trust/documents/download', '/trust/documents/verify', '/api/v1/trust/nda']) {
      const page = await f.t.inject({ method: 'GET', url });
      assert.ok(!page.body.includes(someone), `${url} names no requester`);
    }
    const unknown = await download(f, someone, 'A'.repeat(43));
    const wrongEmail = await download(f, 'nobody@elsewhere.example', await downloadCode(f, someone));
    assert.deepEqual([unknown.statusCode, problemCode(unknown)], [wrongEmail.statusCode, problemCode(wrongEmail)], 'a wrong address looks like an unknown code');
  });

  it('TR-2: only platform administrators read requests or decide them: an organization user gets 403, an anonymous caller 401', async () => {
    const email = unique('elsewhere.example');
    await f.t.createUser(email, TEST_PASSWORD);
    const user = await f.t.login(email, TEST_PASSWORD);
    const row = await requestRow(f, (await (async () => {
      const e = unique('elsewhere.example');
      await verifyCode(f, await requestDocument(f, e));
      return e;
    })()));
    for (const [method, url] of [['GET', '/api/v1/platform/trust/nda-requests'], ['POST', `/api/v1/platform/trust/nda-requests/${row.id}/approve`], ['POST', `/api/v1/platform/trust/nda-requests/${row.id}/revoke`], ['PUT', '/api/v1/platform/trust/nda-allowed-domains'], ['POST', '/api/v1/platform/trust/nda']] as const) {
      const payload = method === 'PUT' ? { domains: ['evil.example'] } : method === 'POST' && url.endsWith('/nda') ? { body: 'x' } : undefined;
      const asUser = await f.t.inject({ method, url, headers: { cookie: user }, ...(payload === undefined ? {} : { payload }) });
      assert.equal(asUser.statusCode, 403, `${method} ${url}`);
      const anonymous = await f.t.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
      assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
    }
    assert.equal((await requestRow(f, row['email'] as string)).status, 'pending');
  });

  it('TR-2: one address may request at most 5 times an hour (on top of the per-IP limit of the auth rate limiter)', async () => {
    const email = unique('elsewhere.example');
    const payload = { document_id: f.entryId, email, name: 'N', company: 'C', nda_version: f.ndaVersion, accept_nda: true };
    for (let i = 0; i < 5; i++) assert.equal((await f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-requests', payload })).statusCode, 202);
    const sixth = await f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-requests', payload });
    assert.equal(sixth.statusCode, 429);
    assert.equal(problemCode(sixth), 'rate_limited');
  });

  // Last: it moves the clock.
  it('TR-2: an expired link is refused — a verification link after 24 hours, a download link after 48 hours', async () => {
    const late = unique('allowed.example');
    const verifyToken = await requestDocument(f, late);
    const email = unique('allowed.example');
    const code = await approvedCode(email);
    clock.advance(24 * 3_600_000 + 1_000);
    assert.equal((await verifyCode(f, verifyToken)).statusCode, 400);
    clock.advance(24 * 3_600_000);
    const expired = await download(f, email, code);
    assert.equal(expired.statusCode, 400);
    assert.equal(problemCode(expired), 'trust_link_invalid');
  });
});
