// Attestations (issue 20 item 3): an uploaded evidence file (type and size limits, stored encrypted
// under the platform tenant's envelope key, served only as a download), their place in the trust
// center's navigation and on the controls page, and a security alert before one lapses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { manualClock } from '../../platform/clock.ts';
import { alertLapsingAttestations, MAX_EVIDENCE_BYTES } from './attestations.ts';
import { makePdf } from './nda-test-fixture.ts';

describe('attestations: evidence files, navigation, controls page, lapse alerts', () => {
  const clock = manualClock(new Date('2026-12-07T12:00:00Z'));
  let t: TestApp;
  let admin: string;
  let orgId: string;
  let id: string;
  const body = { title: 'Annual DR drill', owner: 'Head of Infrastructure', attested_on: '2026-12-01', review_interval_days: 30, claims: ['ENC-5'] };

  before(async () => {
    t = await createTestApp({ clock });
    await t.createUser('evidence-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('evidence-admin@example.com', TEST_PASSWORD);
    const org = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie: admin }, payload: { name: 'Security team' } });
    assert.equal(org.statusCode, 201, org.body);
    orgId = org.json<{ id: string }>().id;
    const created = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/attestations', headers: { cookie: admin }, payload: body });
    assert.equal(created.statusCode, 201, created.body);
    id = created.json<{ id: string }>().id;
  });
  after(async () => {
    await t.close();
  });

  const upload = (payload: Buffer, type: string, cookie = admin) => t.inject({ method: 'PUT', url: `/api/v1/platform/trust/attestations/${id}/evidence`, headers: { cookie, 'content-type': type }, payload });

  it('stores an uploaded PDF encrypted and serves it only as a download; the page links it', async () => {
    const pdf = Buffer.from(await makePdf('DR DRILL REPORT 2026'));
    const response = await upload(pdf, 'application/pdf');
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json<{ size_bytes: number }>().size_bytes, pdf.byteLength);
    const [stored] = await t.database.db.withOwner(async (s) => {
      await s.exec('alter table trust_attestation_files no force row level security');
      try {
        return await s.query<{ content_sealed: string }>('select content_sealed from trust_attestation_files');
      } finally {
        await s.exec('alter table trust_attestation_files force row level security');
      }
    });
    assert.match(stored?.content_sealed ?? '', /^pk1\./, 'an envelope under the platform tenant key');
    assert.ok(!(stored?.content_sealed ?? '').includes(pdf.toString('base64').slice(0, 40)), 'no plaintext');

    const file = await t.inject({ method: 'GET', url: `/trust/attestations/${id}/evidence` });
    assert.equal(file.statusCode, 200);
    assert.equal(file.headers['content-type'], 'application/pdf');
    assert.match(String(file.headers['content-disposition']), new RegExp(`^attachment; filename="evidence-${id}\\.pdf"$`));
    assert.equal(file.headers['x-content-type-options'], 'nosniff');
    assert.match(String(file.headers['content-security-policy']), /sandbox/);
    assert.ok(file.rawPayload.equals(pdf), 'the same bytes back');

    const page = await t.inject({ method: 'GET', url: '/trust/attestations' });
    assert.match(page.body, new RegExp(`href="/trust/attestations/${id}/evidence" download>Evidence file \\(PDF, \\d+ KiB\\)`));
    const listed = await t.inject({ method: 'GET', url: '/api/v1/platform/trust/attestations', headers: { cookie: admin } });
    assert.equal(listed.json<{ items: { evidence_file: { content_type: string } | null }[] }>().items[0]?.evidence_file?.content_type, 'application/pdf');
  });

  it('refuses a file that is not what its type says, an unlisted type, an oversized file, and anyone but a platform administrator', async () => {
    const pdf = Buffer.from(await makePdf('x'));
    const mislabelled = await upload(pdf, 'image/png');
    assert.equal(mislabelled.statusCode, 400);
    assert.equal(mislabelled.json<{ code: string }>().code, 'invalid_evidence_file');
    assert.equal((await upload(Buffer.from('<script>alert(1)</script>'), 'text/html')).statusCode, 415);
    const huge = Buffer.alloc(MAX_EVIDENCE_BYTES + 1, 0x20);
    huge.write('%PDF-');
    assert.equal((await upload(huge, 'application/pdf')).statusCode, 413);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
    await t.createUser('evidence-user@example.com', TEST_PASSWORD);
    const user = await t.login('evidence-user@example.com', TEST_PASSWORD);
    assert.equal((await upload(png, 'image/png', user)).statusCode, 403);
    assert.equal((await t.inject({ method: 'PUT', url: `/api/v1/platform/trust/attestations/${id}/evidence`, headers: { 'content-type': 'image/png' }, payload: png })).statusCode, 401);
    assert.equal((await t.inject({ method: 'GET', url: `/trust/attestations/${crypto.randomUUID()}/evidence` })).statusCode, 404);
  });

  it('attestations are in every page\u2019s navigation and listed under their claims on the controls page, current or lapsed', async () => {
    for (const path of ['/trust', '/trust/controls', '/trust/attestations']) {
      const page = await t.inject({ method: 'GET', url: path });
      assert.match(page.body, /<li><a href="\/trust\/attestations"( aria-current="page")?>Attestations<\/a><\/li>/, path);
    }
    let controls = await t.inject({ method: 'GET', url: '/trust/controls' });
    assert.match(controls.body, new RegExp(`<li id="ENC-5">.*Attested: <a href="/trust/attestations#attestation-${id}">Annual DR drill</a> by Head of Infrastructure.*?>Current</span>`, 's'));
    clock.set(new Date('2027-01-01T00:00:01Z'));
    t.app.modules.trust.center.invalidate();
    controls = await t.inject({ method: 'GET', url: '/trust/controls' });
    assert.match(controls.body, new RegExp(`Attested: <a href="/trust/attestations#attestation-${id}">Annual DR drill</a>[^]*?>Lapsed</span>`));
    clock.set(new Date('2026-12-07T12:00:00Z'));
    t.app.modules.trust.center.invalidate();
  });

  it('raises a security alert once per review period before an attestation lapses (and again after a renewal)', async () => {
    const alertsOf = async () => (await t.app.services.alerts.list(orgId, { limit: 100 })).filter((a) => a.kind === 'trust_attestation_lapsing');
    const run = () => alertLapsingAttestations({ transactor: t.transactor, clock, alerts: t.app.services.alerts, organization: orgId, days: 14 });
    // Due 2026-12-31: on 12-07 it is 24 days away, no alert.
    assert.equal(await run(), 0);
    clock.set(new Date('2026-12-18T08:00:00Z'));
    assert.equal(await run(), 1, '13 days before');
    assert.equal(await run(), 0, 'once per period');
    const [alert] = await alertsOf();
    assert.equal(alert?.subject_id, id);
    assert.match(alert?.summary ?? '', /lapses after 2026-12-31 \(in 13 day\(s\)\)/);
    assert.equal(await alertLapsingAttestations({ transactor: t.transactor, clock, alerts: t.app.services.alerts, organization: undefined, days: 14 }), 0, 'no alert organization: nothing');
    // Renewed on 12-18 for 30 days (due 2027-01-17): the next period alerts again when it comes.
    admin = await t.login('evidence-admin@example.com', TEST_PASSWORD);
    assert.equal((await t.inject({ method: 'PUT', url: `/api/v1/platform/trust/attestations/${id}`, headers: { cookie: admin }, payload: { ...body, attested_on: '2026-12-18' } })).statusCode, 200);
    assert.equal(await run(), 0);
    clock.set(new Date('2027-01-20T08:00:00Z'));
    assert.equal(await run(), 1, 'found already lapsed: alerted at once');
    assert.match((await alertsOf()).map((a) => a.summary).join('\n'), /lapsed after 2027-01-17/);
  });
});
