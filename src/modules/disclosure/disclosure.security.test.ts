// The disclosure program's defences (VDP-2): a report counts only once its reporter's address is
// verified; links are single-use and expire; a portal link shows only its own address's reports;
// reporter text is never rendered as HTML; report text is encrypted at rest; triage is for
// platform administrators only; intake is bounded in size and rate.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { PER_EMAIL_PER_HOUR, PORTAL_TTL_MS, VERIFY_TTL_MS } from './disclosure-service.ts';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';

describe('vulnerability disclosure: defences (VDP-2)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const clock = manualClock(new Date());

  const code = (text: string) => {
    const match = /#token=([A-Za-z0-9_-]{43})/.exec(text);
    assert.ok(match?.[1], `no link in ${text}`);
    return match[1];
  };
  const submit = async (email: string, title = 'A finding', body = 'Steps to reproduce') => {
    const response = await t.inject({ method: 'POST', url: '/api/v1/disclosure/reports', payload: { email, title, body } });
    assert.equal(response.statusCode, 202, response.body);
    return code((await mailTo(t, smtp, email, /Confirm your vulnerability report/)).text);
  };
  const verify = (token: string) => t.inject({ method: 'POST', url: '/api/v1/disclosure/verify', payload: { token } });
  const portalToken = async (email: string) => {
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/disclosure/portal/link', payload: { email } })).statusCode, 202);
    return code((await mailTo(t, smtp, email, /Your vulnerability reports/)).text);
  };
  const portal = (token: string) => t.inject({ method: 'POST', url: '/api/v1/disclosure/portal/reports', payload: { token } });
  // The manual clock moves past sessions' lifetimes, so each administrator step signs in afresh.
  const asAdmin = async () => t.login('vdp-admin@example.com', TEST_PASSWORD);
  const adminList = async () => (await t.inject({ method: 'GET', url: '/api/v1/platform/disclosure/reports', headers: { cookie: await asAdmin() } })).json<{ items: { id: string; status: string }[] }>().items;

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env, clock });
    await t.createUser('vdp-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    await t.createUser('vdp-user@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('VDP-2: an unverified report is not accepted: triage does not see it and its reporter\'s portal is empty of it', async () => {
    const email = `unverified-${crypto.randomUUID()}@example.com`;
    await submit(email);
    const [row] = await t.database.db.withOwner((s) => s.query<{ id: string; status: string }>(`select id, status from disclosure_reports where reporter_email = '${email}'`));
    assert.equal(row?.status, 'unverified');
    assert.ok(!(await adminList()).some((r) => r.id === row.id));
    const read = await t.inject({ method: 'GET', url: `/api/v1/platform/disclosure/reports/${row.id}`, headers: { cookie: await asAdmin() } });
    assert.equal(read.statusCode, 404);
  });

  it('VDP-2: a verification link works once', async () => {
    const token = await submit(`once-${crypto.randomUUID()}@example.com`);
    const first = await verify(token);
    assert.equal(first.statusCode, 200, first.body);
    const second = await verify(token);
    assert.equal(second.statusCode, 400);
    assert.equal(second.json<{ code: string }>().code, 'disclosure_link_invalid');
  });

  it('VDP-2: a verification link expires after 24 hours', async () => {
    const token = await submit(`expired-${crypto.randomUUID()}@example.com`);
    clock.advance(VERIFY_TTL_MS + 1);
    const response = await verify(token);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ code: string }>().code, 'disclosure_link_invalid');
  });

  it('VDP-2: parallel uses of one verification link: exactly one succeeds', async () => {
    const token = await submit(`parallel-${crypto.randomUUID()}@example.com`);
    const results = await Promise.all([verify(token), verify(token), verify(token)]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 400, 400]);
  });

  it('VDP-2: a portal link shows only the reports of the address it was mailed to, once, until it expires', async () => {
    const alice = `alice-${crypto.randomUUID()}@example.com`;
    const mallory = `mallory-${crypto.randomUUID()}@example.com`;
    assert.equal((await verify(await submit(alice, 'Alice finding', 'alice secret body'))).statusCode, 200);
    assert.equal((await verify(await submit(mallory, 'Mallory finding', 'mallory body'))).statusCode, 200);
    const token = await portalToken(mallory);
    const seen = await portal(token);
    assert.equal(seen.statusCode, 200, seen.body);
    const items = seen.json<{ items: { title: string; body: string }[] }>().items;
    assert.deepEqual(items.map((i) => i.title), ['Mallory finding']);
    assert.doesNotMatch(seen.body, /alice/i);
    assert.equal((await portal(token)).statusCode, 400, 'single use');
    const later = await portalToken(mallory);
    clock.advance(PORTAL_TTL_MS + 1);
    assert.equal((await portal(later)).statusCode, 400, 'expired');
  });

  it('VDP-2: a verification link is not a portal link, and a token of the wrong shape or injected SQL is refused', async () => {
    const token = await submit(`cross-${crypto.randomUUID()}@example.com`);
    assert.equal((await portal(token)).statusCode, 400);
    assert.equal((await verify("' or '1'='1")).statusCode, 400);
    assert.equal((await portal("x' or 1=1 --")).statusCode, 400);
    assert.equal((await verify(token)).statusCode, 200, 'the verification link still works for its purpose');
  });

  it('VDP-2: the portal link request answers the same whether or not the address reported anything', async () => {
    const none = await t.inject({ method: 'POST', url: '/api/v1/disclosure/portal/link', payload: { email: `nobody-${crypto.randomUUID()}@example.com` } });
    assert.equal(none.statusCode, 202);
    assert.equal(none.body, '');
  });

  it('VDP-2: reporter text with script is escaped on the portal page and returned only as JSON to administrators', async () => {
    const email = `xss-${crypto.randomUUID()}@example.com`;
    const form = new URLSearchParams({ email, title: XSS, body: XSS }).toString();
    const posted = await t.inject({ method: 'POST', url: '/security/disclosure/reports', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
    assert.equal(posted.statusCode, 202, posted.body);
    assert.doesNotMatch(posted.body, /<script>|onerror=/);
    const token = code((await mailTo(t, smtp, email, /Confirm your vulnerability report/)).text);
    const verified = await t.inject({ method: 'POST', url: '/security/disclosure/verify', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token}` });
    assert.equal(verified.statusCode, 200, verified.body);
    const opened = await t.inject({ method: 'POST', url: '/security/disclosure/portal', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${await portalToken(email)}` });
    assert.equal(opened.statusCode, 303, opened.body);
    const cookie = String(opened.headers['set-cookie']).split(';')[0] ?? '';
    const page = await t.inject({ method: 'GET', url: '/security/disclosure/portal/reports', headers: { cookie } });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.doesNotMatch(page.body, /<script>alert|<img src=x/);
    assert.match(page.body, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
    const [found] = await t.database.db.withOwner((s) => s.query<{ id: string }>(`select id from disclosure_reports where reporter_email = '${email}'`));
    const id = found?.id;
    assert.ok((await adminList()).some((r) => r.id === id), 'the verified report is listed');
    const read = await t.inject({ method: 'GET', url: `/api/v1/platform/disclosure/reports/${id}`, headers: { cookie: await asAdmin() } });
    assert.equal(read.statusCode, 200);
    assert.match(read.headers['content-type'] as string, /^application\/json/);
    assert.equal(read.json<{ body: string }>().body, XSS);
  });

  it('VDP-2: a report\'s title and body are encrypted at rest, bound to their row', async () => {
    const email = `sealed-${crypto.randomUUID()}@example.com`;
    const canary = `canary-${crypto.randomUUID()}`;
    await submit(email, canary, `${canary} body`);
    const rows = await t.database.db.withOwner((s) => s.query<{ id: string; content_sealed: string }>(`select id, content_sealed from disclosure_reports where reporter_email = '${email}'`));
    const row = rows[0];
    assert.ok(row);
    assert.match(row.content_sealed, /^pk1\.\d+\./);
    assert.ok(!row.content_sealed.includes(canary));
    const dump = await t.database.db.withOwner((s) => s.query<{ t: string }>(`select row_to_json(r)::text as t from disclosure_reports r`));
    assert.ok(!dump.some((d) => d.t.includes(canary)), 'no column holds the text in clear');
  });

  it('VDP-2: only platform administrators list, read and triage reports, and edit the policy', async () => {
    const anyId = '00000000-0000-7000-8000-000000000000';
    const user = await t.login('vdp-user@example.com', TEST_PASSWORD);
    for (const [method, url, payload] of [
      ['GET', '/api/v1/platform/disclosure/reports', undefined],
      ['GET', `/api/v1/platform/disclosure/reports/${anyId}`, undefined],
      ['POST', `/api/v1/platform/disclosure/reports/${anyId}/triage`, { status: 'acknowledged' }],
      ['GET', '/api/v1/platform/disclosure/policy', undefined],
    ] as const) {
      const asUser = await t.inject({ method, url, headers: { cookie: user }, ...(payload === undefined ? {} : { payload }) });
      assert.equal(asUser.statusCode, 403, `${method} ${url}`);
      const anonymous = await t.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
      assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
    }
  });

  it('VDP-2: an oversized report is refused before it is stored, and one address cannot flood intake', async () => {
    const email = `flood-${crypto.randomUUID()}@example.com`;
    const big = await t.inject({ method: 'POST', url: '/api/v1/disclosure/reports', payload: { email, title: 'big', body: 'x'.repeat(20_001) } });
    assert.equal(big.statusCode, 400);
    const huge = await t.inject({ method: 'POST', url: '/api/v1/disclosure/reports', payload: { email, title: 'huge', body: 'x'.repeat(70_000) } });
    assert.equal(huge.statusCode, 413);
    for (let i = 0; i < PER_EMAIL_PER_HOUR; i++) assert.equal((await t.inject({ method: 'POST', url: '/api/v1/disclosure/reports', payload: { email, title: `n${i}`, body: 'b' } })).statusCode, 202);
    const over = await t.inject({ method: 'POST', url: '/api/v1/disclosure/reports', payload: { email, title: 'over', body: 'b' } });
    assert.equal(over.statusCode, 429);
    assert.equal(over.json<{ code: string }>().code, 'rate_limited');
  });
});
