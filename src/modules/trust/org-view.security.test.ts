// Each customer organization's own view of the trust center's checks (issue 20, item 9): scoped to
// the organization in the path, refused to another organization's administrator, and downloadable
// as a report signed like the public evidence that `parapet trust verify` checks offline.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliContext } from '../../cli/context.ts';
import { trustVerify } from '../../cli/trust.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { verifyEvidence, type EvidenceBundle } from './evidence.ts';
import type { OrgView } from './org-view.ts';

describe('an organization\'s own trust view (TR-4, issue 20 item 9)', () => {
  let t: TestApp;
  let adminA: string;
  let adminB: string;
  let orgA: string;
  let orgB: string;

  const asOwner = (statement: string, table: string) =>
    t.database.db.withOwner(async (session) => {
      await session.exec(`alter table ${table} no force row level security`);
      try {
        await session.exec(statement);
      } finally {
        await session.exec(`alter table ${table} force row level security`);
      }
    });
  const view = (org: string, cookie: string | undefined) => t.inject({ method: 'GET', url: `/api/v1/organizations/${org}/trust/checks`, ...(cookie === undefined ? {} : { headers: { cookie } }) });
  const report = (org: string, cookie: string | undefined) => t.inject({ method: 'GET', url: `/api/v1/organizations/${org}/trust/report.json`, ...(cookie === undefined ? {} : { headers: { cookie } }) });
  const mfa = (v: OrgView) => v.checks.find((c) => c.check_id === 'auth.mfa-coverage');

  before(async () => {
    t = await createTestApp();
    await t.createUser('view-a@example.com', TEST_PASSWORD);
    await t.createUser('view-b@example.com', TEST_PASSWORD);
    adminA = await t.login('view-a@example.com', TEST_PASSWORD);
    adminB = await t.login('view-b@example.com', TEST_PASSWORD);
    const a = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie: adminA }, payload: { name: 'A' } });
    const b = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie: adminB }, payload: { name: 'B' } });
    orgA = a.json<{ id: string }>().id;
    orgB = b.json<{ id: string }>().id;
    // Organization B has three API keys, one of them aged past 90 days; A has none.
    for (let i = 0; i < 3; i += 1) {
      const key = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgB}/api-keys`, headers: { cookie: adminB }, payload: { name: `b-${i}`, role: 'viewer' } });
      assert.equal(key.statusCode, 201, key.body);
    }
    await asOwner(`update api_keys set created_at = created_at - interval '91 days', expires_at = expires_at + interval '365 days' where tenant_id = '${orgB}' and name = 'b-0'`, 'api_keys');
    await t.app.services.audit.sequencer.drain();
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-2, AUTH-7, ENC-2, AUD-2, AUD-3, DATA-3, AC-5: a tenant admin gets every organization check scoped to their organization', async () => {
    const response = await view(orgB, adminB);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<OrgView>();
    assert.equal(body.organization_id, orgB);
    const ids = body.checks.map((c) => c.check_id).sort();
    assert.deepEqual(ids, ['ac.access-review-age', 'aud.organization-logs', 'aud.retention', 'auth.api-key-age', 'auth.mfa-coverage', 'data.deletion-grace', 'enc.encrypted-columns', 'enc.tenant-key-age']);
    assert.equal(mfa(body)?.status, 'not_applicable', 'B does not require MFA');
    const keys = body.checks.find((c) => c.check_id === 'auth.api-key-age');
    assert.equal(keys?.status, 'fail');
    assert.equal(keys.figures['active_keys'], 3);
    assert.equal(keys.figures['older_than_90_days'], 1);
    assert.equal(body.checks.find((c) => c.check_id === 'aud.organization-logs')?.status, 'pass');
  });

  it("TEN-1: organization A's administrator never sees organization B's figures: B's routes are refused and A's view holds only A's", async () => {
    for (const request of [view, report]) {
      const refused = await request(orgB, adminA);
      assert.ok(refused.statusCode === 403 || refused.statusCode === 404, `${refused.statusCode} ${refused.body}`);
      assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
      assert.doesNotMatch(refused.body, /older_than_90_days|active_keys/);
      assert.equal((await request(orgB, undefined)).statusCode, 401);
    }
    const own = (await view(orgA, adminA)).json<OrgView>();
    assert.equal(own.organization_id, orgA);
    assert.equal(own.checks.find((c) => c.check_id === 'auth.api-key-age')?.status, 'not_applicable', 'A has no keys; B has 3');
    assert.doesNotMatch(JSON.stringify(own), new RegExp(orgB));
    const signed = (await report(orgA, adminA)).json<EvidenceBundle>();
    assert.equal(signed.organization_id, orgA);
    assert.doesNotMatch(JSON.stringify(signed), new RegExp(orgB));
  });

  it('TR-4: the report is signed for the organization, verifies offline (parapet trust verify) and fails when its organization or a figure is changed', async () => {
    const response = await report(orgB, adminB);
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-disposition']), /^attachment; filename="trust-report-/);
    const bundle = response.json<Omit<EvidenceBundle, 'results'> & { results: (EvidenceBundle['results'][number] & { figures: Record<string, unknown> })[] }>();
    const key = t.app.services.audit.signer.verifierKey;
    const verdict = verifyEvidence(bundle, key);
    assert.ok(verdict.ok && verdict.organizationId === orgB, JSON.stringify(verdict));
    assert.equal(verifyEvidence({ ...bundle, organization_id: orgA }, key).ok, false, 'relabelled for another organization');
    const unscoped: Record<string, unknown> = { ...bundle };
    delete unscoped['organization_id'];
    assert.equal(verifyEvidence(unscoped, key).ok, false, 'passed off as the deployment\'s evidence');
    const edited = { ...bundle, results: bundle.results.map((r) => (r.check_id === 'auth.api-key-age' ? { ...r, status: 'pass', figures: { ...r.figures, older_than_90_days: 0 } } : r)) };
    assert.equal(verifyEvidence(edited, key).ok, false, 'a changed figure');
    const dir = mkdtempSync(join(tmpdir(), 'parapet-org-report-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, response.body);
    writeFileSync(bad, JSON.stringify(edited));
    const lines: string[] = [];
    const run = (file: string) => trustVerify({ args: [file, '--key', key], out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) } as unknown as CliContext);
    assert.equal(await run(good), 0, lines.join('\n'));
    assert.match(lines.join('\n'), new RegExp(`OK: signed by .* for organization ${orgB}`));
    assert.equal(await run(bad), 1);
  });

  it('TR-4: downloading the report is recorded in the organization\'s audit log', async () => {
    await report(orgA, adminA);
    await t.app.services.audit.sequencer.drain();
    const rows = await t.transactor.withTenant(orgA, (tx) => tx.selectFrom('audit_events').select('action').where('tenant_id', '=', orgA).where('action', '=', 'trust.organization_report').execute());
    assert.ok(rows.length >= 1);
  });
});
