// Organizational controls as attestations (issue 20 item 3): owner, date, evidence link and review
// interval, published on /trust/attestations; one not renewed within its interval shows as lapsed
// without anyone acting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { manualClock } from '../../platform/clock.ts';
import { isLapsed, reviewDue } from './attestations.ts';

describe('attestations of organizational controls', () => {
  const clock = manualClock(new Date('2026-12-07T12:00:00Z'));
  let t: TestApp;
  let admin: string;
  before(async () => {
    t = await createTestApp({ clock });
    await t.createUser('attest-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('attest-admin@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
  });

  it('computes the review day and lapses the day after it (UTC)', () => {
    const a = { attested_on: '2026-01-01', review_interval_days: 365 };
    assert.equal(reviewDue(a), '2027-01-01');
    assert.equal(isLapsed(a, new Date('2027-01-01T23:59:59Z')), false);
    assert.equal(isLapsed(a, new Date('2027-01-02T00:00:00Z')), true);
  });

  it('a published attestation shows its owner, date, evidence and "Current"; it shows "Lapsed" once its review interval passes, and renewing it makes it current again', async () => {
    const body = { title: 'Annual penetration test', owner: 'CISO <Jane Roe>', attested_on: '2026-12-01', review_interval_days: 30, evidence_url: '/evidence/pentest-2026.pdf', claims: ['TEN-1'] };
    const created = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/attestations', headers: { cookie: admin }, payload: body });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json<{ id: string }>().id;
    let page = await t.inject({ method: 'GET', url: '/trust/attestations' });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /<script|style=/i);
    assert.match(page.body, /Annual penetration test/);
    assert.match(page.body, /CISO &#60;Jane Roe&#62;/, 'admin text is escaped');
    assert.match(page.body, /href="\/evidence\/pentest-2026\.pdf"/);
    assert.match(page.body, />Current</);
    assert.match(page.body, /due <time datetime="2026-12-31">/);

    clock.set(new Date('2027-01-01T00:00:01Z'));
    admin = await t.login('attest-admin@example.com', TEST_PASSWORD); // the earlier session has expired
    page = await t.inject({ method: 'GET', url: '/trust/attestations' });
    assert.match(page.body, />Lapsed</);
    const listed = await t.inject({ method: 'GET', url: '/api/v1/platform/trust/attestations', headers: { cookie: admin } });
    assert.equal(listed.json<{ items: { id: string; lapsed: boolean }[] }>().items.find((i) => i.id === id)?.lapsed, true);

    const renewed = await t.inject({ method: 'PUT', url: `/api/v1/platform/trust/attestations/${id}`, headers: { cookie: admin }, payload: { ...body, attested_on: '2026-12-31' } });
    assert.equal(renewed.statusCode, 200, renewed.body);
    page = await t.inject({ method: 'GET', url: '/trust/attestations' });
    assert.match(page.body, />Current</);
    assert.doesNotMatch(page.body, />Lapsed</);
  });

  it('refuses unsafe evidence links and impossible dates, and anyone but a platform administrator', async () => {
    const base = { title: 'Background checks', owner: 'HR', attested_on: '2026-11-01', review_interval_days: 365 };
    for (const evidence_url of ['javascript:alert(1)', '//evil.example/x', 'http://plain.example/x']) {
      const r = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/attestations', headers: { cookie: admin }, payload: { ...base, evidence_url } });
      assert.equal(r.statusCode, 400, evidence_url);
    }
    const badDay = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/attestations', headers: { cookie: admin }, payload: { ...base, attested_on: '2026-02-30' } });
    assert.equal(badDay.statusCode, 400);
    await t.createUser('attest-user@example.com', TEST_PASSWORD);
    const user = await t.login('attest-user@example.com', TEST_PASSWORD);
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/platform/trust/attestations', headers: { cookie: user }, payload: base })).statusCode, 403);
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/platform/trust/attestations', payload: base })).statusCode, 401);
  });
});
