import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { isCalendarDate } from './portal-service.ts';
import { PNG, portalCode, reporterCookie, verifiedReport } from './portal-test-fixture.ts';

type Message = { author: string; body: string };
type Attachment = { id: string; filename: string; content_type: string; size_bytes: number };

describe('researcher portal', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
  const admin = () => t.login('vdp-portal-admin@example.com', TEST_PASSWORD);

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env, clock });
    await t.createUser('vdp-portal-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('VDP-2: a reporter and the triagers talk in the report\u2019s thread, in order, each seeing the other\u2019s messages', async () => {
    const email = `thread-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email, 'Thread finding');
    const cookie = await reporterCookie(t, smtp, email);
    const listed = await t.inject({ method: 'GET', url: '/api/v1/disclosure/portal/reports', headers: { cookie } });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(listed.json<{ items: { id: string; title: string }[] }>().items.map((r) => [r.id, r.title]), [[id, 'Thread finding']]);
    const posted = await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/messages`, headers: { cookie }, payload: { body: 'Any news?' } });
    assert.equal(posted.statusCode, 201, posted.body);
    clock.advance(1000);
    const answer = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/messages`, headers: { cookie: await admin() }, payload: { body: 'We reproduced it.' } });
    assert.equal(answer.statusCode, 201, answer.body);
    const mine = await t.inject({ method: 'GET', url: `/api/v1/disclosure/portal/reports/${id}/conversation`, headers: { cookie } });
    assert.deepEqual(mine.json<{ messages: Message[] }>().messages.map((m) => [m.author, m.body]), [['reporter', 'Any news?'], ['triager', 'We reproduced it.']]);
    const theirs = await t.inject({ method: 'GET', url: `/api/v1/platform/disclosure/reports/${id}/conversation`, headers: { cookie: await admin() } });
    assert.deepEqual(theirs.json<{ messages: Message[] }>().messages.map((m) => m.body), ['Any news?', 'We reproduced it.']);
  });

  it('VDP-2: a coordinated disclosure date is proposed by one side and agreed by the other; a new proposal needs a new agreement', async () => {
    const email = `date-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    const propose = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/disclosure-date`, headers: { cookie: await admin() }, payload: { action: 'propose', date: '2027-03-01' } });
    assert.equal(propose.statusCode, 200, propose.body);
    const agreed = await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/disclosure-date`, headers: { cookie }, payload: { action: 'agree', date: '2027-03-01' } });
    assert.equal(agreed.statusCode, 200, agreed.body);
    const view = agreed.json<{ coordinated_disclosure: { date: string; proposed_by: string; agreed_at: string | null } }>().coordinated_disclosure;
    assert.deepEqual([view.date, view.proposed_by, view.agreed_at], ['2027-03-01', 'triager', clock.now().toISOString()]);
    const counter = await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/disclosure-date`, headers: { cookie }, payload: { action: 'propose', date: '2027-04-01' } });
    assert.equal(counter.json<{ coordinated_disclosure: { agreed_at: string | null } }>().coordinated_disclosure.agreed_at, null);
    const accepted = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/disclosure-date`, headers: { cookie: await admin() }, payload: { action: 'agree', date: '2027-04-01' } });
    assert.equal(accepted.statusCode, 200, accepted.body);
    const listed = await t.inject({ method: 'GET', url: '/api/v1/platform/disclosure/reports', headers: { cookie: await admin() } });
    const row = listed.json<{ items: { id: string; coordinated_disclosure: { date: string; proposed_by: string; agreed_at: string | null } }[] }>().items.find((r) => r.id === id);
    assert.equal(row?.coordinated_disclosure.date, '2027-04-01');
    assert.equal(row.coordinated_disclosure.proposed_by, 'reporter');
    assert.ok(row.coordinated_disclosure.agreed_at !== null);
  });

  it('VDP-2: a date must be a real calendar day in the future', async () => {
    assert.deepEqual(['2027-02-28', '2027-02-29', '2027-13-01', '27-01-01'].map(isCalendarDate), [true, false, false, false]);
    const email = `past-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    for (const date of ['2026-12-07', '2020-01-01', '2027-02-30']) {
      const response = await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/disclosure-date`, headers: { cookie }, payload: { action: 'propose', date } });
      assert.equal(response.statusCode, 400, date);
    }
  });

  it('VDP-2: a reporter attaches a file; they and the triagers download it, byte for byte, always as a download', async () => {
    const email = `files-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    const up = await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/attachments?filename=${encodeURIComponent('proof é.png')}`, headers: { cookie, 'content-type': 'image/png' }, payload: PNG });
    assert.equal(up.statusCode, 201, up.body);
    const added = up.json<Attachment>();
    assert.deepEqual([added.filename, added.content_type, added.size_bytes], ['proof é.png', 'image/png', PNG.length]);
    const text = await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/attachments?filename=notes.txt`, headers: { cookie, 'content-type': 'text/plain; charset=utf-8' }, payload: 'curl -X POST …' });
    assert.equal(text.statusCode, 201, text.body);
    const conversation = await t.inject({ method: 'GET', url: `/api/v1/platform/disclosure/reports/${id}/conversation`, headers: { cookie: await admin() } });
    assert.deepEqual(conversation.json<{ attachments: Attachment[] }>().attachments.map((a) => a.filename), ['proof é.png', 'notes.txt']);
    for (const [url, headers] of [
      [`/api/v1/disclosure/portal/reports/${id}/attachments/${added.id}`, { cookie }],
      [`/api/v1/platform/disclosure/reports/${id}/attachments/${added.id}`, { cookie: await admin() }],
    ] as const) {
      const down = await t.inject({ method: 'GET', url, headers });
      assert.equal(down.statusCode, 200, down.body);
      assert.deepEqual(down.rawPayload, PNG);
      assert.equal(down.headers['content-type'], 'image/png');
      assert.equal(down.headers['content-disposition'], `attachment; filename="proof ?.png"; filename*=UTF-8''proof%20%C3%A9.png`);
      assert.equal(down.headers['x-content-type-options'], 'nosniff');
    }
  });

  it('VDP-2: the portal pages work without script: the code opens a session, the report page shows the thread and takes a message', async () => {
    const email = `pages-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email, 'Page finding');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const opened = await t.inject({ method: 'POST', url: '/security/disclosure/portal', headers: form, payload: `token=${await portalCode(t, smtp, email)}` });
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, '/security/disclosure/portal/reports');
    const cookie = String(opened.headers['set-cookie']).split(';')[0] ?? '';
    const list = await t.inject({ method: 'GET', url: '/security/disclosure/portal/reports', headers: { cookie } });
    assert.match(list.body, new RegExp(`<a href="/security/disclosure/portal/reports/${id}">Page finding</a>`));
    const sent = await t.inject({ method: 'POST', url: `/security/disclosure/portal/reports/${id}/messages`, headers: { ...form, cookie }, payload: 'body=Hello+team' });
    assert.equal(sent.statusCode, 303, sent.body);
    const page = await t.inject({ method: 'GET', url: `/security/disclosure/portal/reports/${id}`, headers: { cookie } });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /<pre>Hello team<\/pre>/);
    assert.doesNotMatch(page.body, /<script/i);
    const out = await t.inject({ method: 'POST', url: '/security/disclosure/portal/logout', headers: { cookie } });
    assert.equal(out.statusCode, 303);
    const after = await t.inject({ method: 'GET', url: '/security/disclosure/portal/reports', headers: { cookie } });
    assert.equal(after.statusCode, 303, 'signed out: back to the code form');
  });
});

describe('triage: duplicates', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env });
    await t.createUser('vdp-dup-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('VDP-2: a report links to the original it duplicates; links never point at itself, at a duplicate, or chain', async () => {
    const cookie = await t.login('vdp-dup-admin@example.com', TEST_PASSWORD);
    const [original, copy, third] = [await verifiedReport(t, smtp, `d1-${crypto.randomUUID()}@example.com`), await verifiedReport(t, smtp, `d2-${crypto.randomUUID()}@example.com`), await verifiedReport(t, smtp, `d3-${crypto.randomUUID()}@example.com`)];
    const link = (id: string, duplicate_of: string | null) => t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie }, payload: { duplicate_of } });
    const linked = await link(copy, original);
    assert.equal(linked.statusCode, 200, linked.body);
    assert.equal(linked.json<{ duplicate_of: string | null }>().duplicate_of, original);
    for (const [id, target] of [[copy, copy], [third, copy], [original, third], [third, crypto.randomUUID()]] as const) {
      const refused = await link(id, target);
      assert.equal(refused.statusCode, 409, `${id} -> ${target}: ${refused.body}`);
      assert.equal(refused.json<{ code: string }>().code, 'invalid_duplicate_link');
    }
    assert.equal((await link(copy, null)).json<{ duplicate_of: string | null }>().duplicate_of, null);
  });
});
