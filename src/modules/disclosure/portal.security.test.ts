// The researcher portal's defences (VDP-2): a portal link opens one session, once, before it
// expires; the session cookie is HttpOnly, SameSite=Strict, path-scoped and short-lived; a session
// reaches only its own address's reports, threads and attachments; reporter text (messages, file
// names) is never markup; attachments are bounded, typed, encrypted and served only as downloads.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from './attachments-service.ts';
import { PORTAL_TTL_MS } from './disclosure-service.ts';
import { MESSAGES_PER_HOUR, PORTAL_SESSION_TTL_MS } from './portal-service.ts';
import { apiSession, PNG, portalCode, reporterCookie, verifiedReport } from './portal-test-fixture.ts';

const XSS = '<script>window.__xss=1</script><img src=x onerror=alert(2)>';
const API = '/api/v1/disclosure/portal';

function assertProblem(response: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  assert.equal(response.json<{ code: string }>().code, code);
}

describe('researcher portal: defences (VDP-2)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const admin = () => t.login('vdp-portal-sec-admin@example.com', TEST_PASSWORD);
  const attachmentRows = async (reportId: string) => Number((await t.database.db.withOwner((s) => s.query<{ n: string }>(`select count(*) as n from disclosure_attachments where report_id = '${reportId}'`)))[0]?.n);
  const upload = (cookie: string, reportId: string, body: Buffer | string, contentType: string, filename = 'f.png') =>
    t.inject({ method: 'POST', url: `${API}/reports/${reportId}/attachments?filename=${encodeURIComponent(filename)}`, headers: { cookie, 'content-type': contentType }, payload: body });

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env, clock });
    await t.createUser('vdp-portal-sec-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    await t.createUser('vdp-portal-sec-user@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('VDP-2: a portal link opens a session once; reused, expired, or used in parallel it opens no second one', async () => {
    const email = `reuse-${crypto.randomUUID()}@example.com`;
    await verifiedReport(t, smtp, email);
    const code = await portalCode(t, smtp, email);
    await apiSession(t, code);
    assertProblem(await t.inject({ method: 'POST', url: `${API}/session`, payload: { token: code } }), 400, 'disclosure_link_invalid');
    const formReuse = await t.inject({ method: 'POST', url: '/security/disclosure/portal', headers: form, payload: `token=${code}` });
    assert.equal(formReuse.statusCode, 400);
    assert.equal(formReuse.headers['set-cookie'], undefined);
    const parallel = await portalCode(t, smtp, email);
    const results = await Promise.all([1, 2, 3].map(() => t.inject({ method: 'POST', url: `${API}/session`, payload: { token: parallel } })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [204, 400, 400]);
    const late = await portalCode(t, smtp, email);
    clock.advance(PORTAL_TTL_MS + 1);
    assertProblem(await t.inject({ method: 'POST', url: `${API}/session`, payload: { token: late } }), 400, 'disclosure_link_invalid');
    const verifyCode = await t.inject({ method: 'POST', url: `${API}/session`, payload: { token: "' or 1=1 --" } });
    assertProblem(verifyCode, 400, 'disclosure_link_invalid');
  });

  it('VDP-2: the session cookie is HttpOnly, SameSite=Strict, scoped to the portal\u2019s path and as short-lived as the session', async () => {
    const email = `flags-${crypto.randomUUID()}@example.com`;
    await verifiedReport(t, smtp, email);
    const api = await t.inject({ method: 'POST', url: `${API}/session`, payload: { token: await portalCode(t, smtp, email) } });
    const page = await t.inject({ method: 'POST', url: '/security/disclosure/portal', headers: form, payload: `token=${await portalCode(t, smtp, email)}` });
    for (const [response, path] of [[api, API], [page, '/security/disclosure/portal']] as const) {
      const header = String(response.headers['set-cookie']);
      const attributes = header.split(';').map((a) => a.trim().toLowerCase());
      assert.match(header, /^parapet_vdp_portal=[A-Za-z0-9_-]{43};/);
      assert.ok(attributes.includes('httponly'), header);
      assert.ok(attributes.includes('samesite=strict'), header);
      assert.ok(attributes.includes(`path=${path}`), header);
      assert.ok(attributes.includes(`max-age=${PORTAL_SESSION_TTL_MS / 1000}`), header);
      assert.ok(!attributes.some((a) => a.startsWith('domain=')), header);
    }
  });

  it('VDP-2: a session ends when it expires or is closed, and its cookie then opens nothing', async () => {
    const email = `ends-${crypto.randomUUID()}@example.com`;
    await verifiedReport(t, smtp, email);
    const expiring = await reporterCookie(t, smtp, email);
    const closing = await reporterCookie(t, smtp, email);
    assert.equal((await t.inject({ method: 'GET', url: `${API}/reports`, headers: { cookie: expiring } })).statusCode, 200);
    assert.equal((await t.inject({ method: 'DELETE', url: `${API}/session`, headers: { cookie: closing } })).statusCode, 204);
    assertProblem(await t.inject({ method: 'GET', url: `${API}/reports`, headers: { cookie: closing } }), 401, 'disclosure_session_required');
    clock.advance(PORTAL_SESSION_TTL_MS + 1);
    assertProblem(await t.inject({ method: 'GET', url: `${API}/reports`, headers: { cookie: expiring } }), 401, 'disclosure_session_required');
    assertProblem(await t.inject({ method: 'GET', url: `${API}/reports` }), 401, 'disclosure_session_required');
    assertProblem(await t.inject({ method: 'GET', url: `${API}/reports`, headers: { cookie: 'parapet_vdp_portal=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } }), 401, 'disclosure_session_required');
  });

  it('VDP-2: a session cannot reach another reporter\u2019s report, thread, date or attachment (IDOR), in the API or the pages', async () => {
    const alice = `alice-${crypto.randomUUID()}@example.com`;
    const mallory = `mallory-${crypto.randomUUID()}@example.com`;
    const aliceReport = await verifiedReport(t, smtp, alice, 'Alice only', 'alice secret');
    const malloryReport = await verifiedReport(t, smtp, mallory, 'Mallory');
    const aliceCookie = await reporterCookie(t, smtp, alice);
    await t.inject({ method: 'POST', url: `${API}/reports/${aliceReport}/messages`, headers: { cookie: aliceCookie }, payload: { body: 'alice message' } });
    const file = (await upload(aliceCookie, aliceReport, PNG, 'image/png')).json<{ id: string }>().id;
    const cookie = await reporterCookie(t, smtp, mallory);
    const before = await t.database.db.withOwner((s) => s.query<{ n: string }>(`select count(*) as n from disclosure_messages where report_id = '${aliceReport}'`));
    for (const [method, url, payload] of [
      ['GET', `${API}/reports/${aliceReport}/conversation`, undefined],
      ['POST', `${API}/reports/${aliceReport}/messages`, { body: 'injected' }],
      ['POST', `${API}/reports/${aliceReport}/disclosure-date`, { action: 'propose', date: '2027-01-01' }],
      ['GET', `${API}/reports/${aliceReport}/attachments/${file}`, undefined],
      ['GET', `${API}/reports/${malloryReport}/attachments/${file}`, undefined],
    ] as const) {
      const response = await t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });
      assertProblem(response, 404, 'not_found');
      assert.doesNotMatch(response.body, /alice/i);
    }
    assertProblem(await upload(cookie, aliceReport, PNG, 'image/png'), 404, 'not_found');
    const list = await t.inject({ method: 'GET', url: `${API}/reports`, headers: { cookie } });
    assert.doesNotMatch(list.body, /alice/i);
    const pageCookie = String((await t.inject({ method: 'POST', url: '/security/disclosure/portal', headers: form, payload: `token=${await portalCode(t, smtp, mallory)}` })).headers['set-cookie']).split(';')[0] ?? '';
    for (const url of [`/security/disclosure/portal/reports/${aliceReport}`, `/security/disclosure/portal/reports/${aliceReport}/attachments/${file}`]) {
      const response = await t.inject({ method: 'GET', url, headers: { cookie: pageCookie } });
      assert.equal(response.statusCode, 404, url);
      assert.doesNotMatch(response.body, /alice/i);
    }
    assert.equal((await t.inject({ method: 'POST', url: `/security/disclosure/portal/reports/${aliceReport}/messages`, headers: { ...form, cookie: pageCookie }, payload: 'body=injected' })).statusCode, 404);
    const afterCount = await t.database.db.withOwner((s) => s.query<{ n: string }>(`select count(*) as n from disclosure_messages where report_id = '${aliceReport}'`));
    assert.deepEqual(afterCount, before, 'nothing was added to alice\u2019s thread');
    assert.equal(await attachmentRows(aliceReport), 1);
  });

  it('VDP-2: only platform administrators reach the triagers\u2019 side of a conversation', async () => {
    const email = `side-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const reporter = await reporterCookie(t, smtp, email);
    const user = await t.login('vdp-portal-sec-user@example.com', TEST_PASSWORD);
    const any = crypto.randomUUID();
    for (const [method, url, payload] of [
      ['GET', `/api/v1/platform/disclosure/reports/${id}/conversation`, undefined],
      ['POST', `/api/v1/platform/disclosure/reports/${id}/messages`, { body: 'x' }],
      ['POST', `/api/v1/platform/disclosure/reports/${id}/disclosure-date`, { action: 'propose', date: '2027-01-01' }],
      ['GET', `/api/v1/platform/disclosure/reports/${id}/attachments/${any}`, undefined],
    ] as const) {
      const extra = payload === undefined ? {} : { payload };
      assert.equal((await t.inject({ method, url, headers: { cookie: user }, ...extra })).statusCode, 403, url);
      assert.equal((await t.inject({ method, url, headers: { cookie: reporter }, ...extra })).statusCode, 401, `${url}: the portal cookie is no console session`);
    }
  });

  it('VDP-2: one side agrees only to the other side\u2019s proposal, and only to the date it saw', async () => {
    const email = `agree-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    const date = (action: string, d: string) => t.inject({ method: 'POST', url: `${API}/reports/${id}/disclosure-date`, headers: { cookie }, payload: { action, date: d } });
    assertProblem(await date('agree', '2027-05-01'), 409, 'disclosure_date_conflict');
    assert.equal((await date('propose', '2027-05-01')).statusCode, 200);
    assertProblem(await date('agree', '2027-05-01'), 409, 'disclosure_date_conflict');
    const stale = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/disclosure-date`, headers: { cookie: await admin() }, payload: { action: 'agree', date: '2027-06-01' } });
    assertProblem(stale, 409, 'disclosure_date_conflict');
  });

  it('VDP-2: message text and file names with markup are escaped text on the portal pages', async () => {
    const email = `xss-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email, XSS, XSS);
    const cookie = await reporterCookie(t, smtp, email);
    await t.inject({ method: 'POST', url: `${API}/reports/${id}/messages`, headers: { cookie }, payload: { body: XSS } });
    await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/messages`, headers: { cookie: await admin() }, payload: { body: XSS } });
    // A file name has no slash (no path), so its canary is the image alone.
    assert.equal((await upload(cookie, id, PNG, 'image/png', '<img src=x onerror=window.__xss=1>.png')).statusCode, 201);
    const opened = await t.inject({ method: 'POST', url: '/security/disclosure/portal', headers: form, payload: `token=${await portalCode(t, smtp, email)}` });
    const pageCookie = String(opened.headers['set-cookie']).split(';')[0] ?? '';
    for (const url of ['/security/disclosure/portal/reports', `/security/disclosure/portal/reports/${id}`]) {
      const page = await t.inject({ method: 'GET', url, headers: { cookie: pageCookie } });
      assert.equal(page.statusCode, 200, page.body);
      assert.doesNotMatch(page.body, /<script>window|<img src=x/, url);
      assert.match(page.body, /&#60;script&#62;window.__xss=1&#60;\/script&#62;/, url);
    }
    const detail = await t.inject({ method: 'GET', url: `/security/disclosure/portal/reports/${id}`, headers: { cookie: pageCookie } });
    assert.match(detail.body, /download>&#60;img src=x onerror=window.__xss=1&#62;.png<\/a>/);
  });

  it('VDP-2: a download names the file in an encoded header and never inline, whatever the name holds', async () => {
    const email = `header-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    const hostile = 'x"; filename=evil.html; inline; a="';
    const added = await upload(cookie, id, 'plain', 'text/plain', hostile);
    assert.equal(added.statusCode, 201, added.body);
    const down = await t.inject({ method: 'GET', url: `${API}/reports/${id}/attachments/${added.json<{ id: string }>().id}`, headers: { cookie } });
    const disposition = String(down.headers['content-disposition']);
    assert.match(disposition, /^attachment; filename="x\\"; filename=evil.html; inline; a=\\""$/);
    assert.equal(down.headers['x-content-type-options'], 'nosniff');
    assert.match(String(down.headers['content-security-policy']), /sandbox/);
    for (const name of ['a\r\nSet-Cookie: x=1', '../../etc/passwd', 'a\u0000b']) assertProblem(await upload(cookie, id, 'plain', 'text/plain', name), 400, 'invalid_request');
  });

  it('VDP-2: oversized, too many and wrong-type attachments are refused (413, 415) and nothing is stored', async () => {
    const email = `limits-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    const big = Buffer.concat([PNG, Buffer.alloc(MAX_ATTACHMENT_BYTES)]);
    assertProblem(await upload(cookie, id, big, 'image/png'), 413, 'payload_too_large');
    for (const type of ['text/html', 'image/svg+xml', 'application/javascript', 'application/octet-stream', 'application/json']) {
      assertProblem(await upload(cookie, id, '<html><script>alert(1)</script></html>', type, 'f'), 415, 'attachment_type_not_allowed');
    }
    assertProblem(await upload(cookie, id, '<html><script>alert(1)</script></html>', 'image/png'), 415, 'attachment_type_not_allowed');
    assertProblem(await upload(cookie, id, Buffer.from([0xff, 0xfe, 0x00, 0x41]), 'text/plain', 'f.txt'), 415, 'attachment_type_not_allowed');
    assert.equal(await attachmentRows(id), 0, 'nothing stored');
    for (let i = 0; i < MAX_ATTACHMENTS; i++) assert.equal((await upload(cookie, id, PNG, 'image/png', `p${i}.png`)).statusCode, 201);
    assertProblem(await upload(cookie, id, PNG, 'image/png'), 413, 'too_many_attachments');
    assert.equal(await attachmentRows(id), MAX_ATTACHMENTS);
  });

  it('VDP-2: attachments and messages are encrypted at rest: no column holds the text, the name or the bytes in clear', async () => {
    const email = `sealed-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    const canary = `canary-${crypto.randomUUID()}`;
    await t.inject({ method: 'POST', url: `${API}/reports/${id}/messages`, headers: { cookie }, payload: { body: canary } });
    await upload(cookie, id, `${canary} content`, 'text/plain', `${canary}.txt`);
    const dump = await t.database.db.withOwner((s) => s.query<{ t: string }>(`select row_to_json(m)::text as t from disclosure_messages m union all select row_to_json(a)::text from disclosure_attachments a`));
    assert.ok(dump.length >= 2);
    const b64 = Buffer.from(`${canary} content`).toString('base64');
    assert.ok(!dump.some((d) => d.t.includes(canary) || d.t.includes(b64.slice(0, 40))), 'no column holds it in clear');
  });

  it('VDP-2: one reporter cannot flood a report\u2019s thread', async () => {
    const email = `flood-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    for (let i = 0; i < MESSAGES_PER_HOUR; i++) assert.equal((await t.inject({ method: 'POST', url: `${API}/reports/${id}/messages`, headers: { cookie }, payload: { body: `m${i}` } })).statusCode, 201);
    assertProblem(await t.inject({ method: 'POST', url: `${API}/reports/${id}/messages`, headers: { cookie }, payload: { body: 'over' } }), 429, 'rate_limited');
    const triager = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/messages`, headers: { cookie: await admin() }, payload: { body: 'the other side still answers' } });
    assert.equal(triager.statusCode, 201);
  });
});
