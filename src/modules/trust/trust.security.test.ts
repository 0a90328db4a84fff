// The trust center's defences: live checks that turn red when their property is broken (TR-4),
// escaping of admin-supplied text on the public pages, platform-administrator-only management, and
// evidence whose signature breaks when a result is altered.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliContext } from '../../cli/context.ts';
import { trustVerify } from '../../cli/trust.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { systemClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { ed25519SignerFromSeed, verifierKeyString } from '../audit/log/index.ts';
import { createCheckRunner } from './check-runner.ts';
import { canaryCheck, forcedRlsCheck } from './checks/tenant-isolation-checks.ts';
import { verifyEvidence, type EvidenceBundle } from './evidence.ts';

describe('trust center (TR-4, TR-1…TR-5)', () => {
  let t: TestApp;
  let admin: string;
  let orgAdmin: string;
  let orgId: string;

  const asOwner = (statement: string) => t.database.db.withOwner((session) => session.exec(statement));
  const platformTables = async () => (await import('../../schema.ts')).PLATFORM_TABLES;

  before(async () => {
    t = await createTestApp({ env: { PARAPET_SECURITY_CONTACTS: 'mailto:security@example.com' } });
    await t.createUser('trust-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('trust-admin@example.com', TEST_PASSWORD);
    await t.createUser('trust-org-admin@example.com', TEST_PASSWORD);
    orgAdmin = await t.login('trust-org-admin@example.com', TEST_PASSWORD);
    const org = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie: orgAdmin }, payload: { name: 'Customer' } });
    assert.equal(org.statusCode, 201, org.body);
    orgId = org.json<{ id: string }>().id;
  });
  after(async () => {
    await t.close();
  });

  describe('live checks', () => {
    it('TEN-1: the forced-RLS check passes on a healthy deployment and fails when a tenant table loses FORCE ROW LEVEL SECURITY', async () => {
      const check = forcedRlsCheck({ transactor: t.transactor, platformTables });
      assert.equal((await check.run()).status, 'pass');
      await asOwner('alter table trust_canary no force row level security');
      try {
        const outcome = await check.run();
        assert.equal(outcome.status, 'fail');
        assert.match(outcome.detail, /trust_canary: has tenant_id but RLS is enabled, not forced/);
        assert.doesNotMatch(outcome.statement, /trust_canary/, 'the public statement names no table');
      } finally {
        await asOwner('alter table trust_canary force row level security');
      }
      assert.equal((await check.run()).status, 'pass');
    });

    it('TEN-1: the canary passes when RLS holds and fails when the policy is lifted (a probe tenant reads another\'s row)', async () => {
      const check = canaryCheck({ transactor: t.transactor, clock: systemClock, random: systemRandom });
      assert.equal((await check.run()).status, 'pass');
      await asOwner('alter table trust_canary disable row level security');
      try {
        const outcome = await check.run();
        assert.equal(outcome.status, 'fail', outcome.statement);
      } finally {
        await asOwner('alter table trust_canary enable row level security');
      }
      assert.equal((await check.run()).status, 'pass');
      const left = await t.database.db.withOwner((session) => session.query<{ n: number }>('select count(*)::int as n from trust_canary'));
      assert.equal(left[0]?.n, 0, 'the canary cleans up its probe rows');
    });

    it('TR-4: a check turning red shows its control as failing on the public page (no detail), records trust.check_failed and raises an alert', async () => {
      const runner = createCheckRunner({
        transactor: t.transactor,
        clock: systemClock,
        random: systemRandom,
        logger: { error: () => undefined, info: () => undefined },
        audit: t.app.services.audit.recorder,
        alerts: t.app.services.alerts,
        alertOrganization: orgId,
        checks: [forcedRlsCheck({ transactor: t.transactor, platformTables })],
        onResults: t.app.modules.trust.center.invalidate,
      });
      assert.equal((await runner.runAll())[0]?.status, 'pass');
      await asOwner('alter table trust_canary no force row level security');
      try {
        assert.equal((await runner.runAll())[0]?.status, 'fail');
      } finally {
        await asOwner('alter table trust_canary force row level security');
      }
      const page = await t.inject({ method: 'GET', url: '/trust/controls' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<strong>TEN-1<\/strong>[^]*?<span class="state state-failing">Failing<\/span>/);
      assert.doesNotMatch(page.body, /trust_canary/, 'the private detail stays off the public page');
      const alerts = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/security-alerts`, headers: { cookie: orgAdmin } });
      assert.ok(alerts.json<{ items: { kind: string }[] }>().items.some((a) => a.kind === 'trust_check_failed'), alerts.body);
      // A second failing run does not raise a second alert (only the transition does).
      const failed = await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('audit_inbox').select('id').where('tenant_id', '=', PLATFORM_TENANT_ID).execute());
      assert.ok(failed.length > 0);
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('audit_events').select('canonical').where('tenant_id', '=', PLATFORM_TENANT_ID).execute());
      const actions = events.map((e) => (JSON.parse(Buffer.from(e.canonical).toString('utf8')) as { action: string }).action);
      assert.ok(actions.includes('trust.check_failed'), actions.join());
      assert.ok(actions.includes('trust.checks_ran'));
      assert.equal((await runner.runAll())[0]?.status, 'pass');
      const green = await t.inject({ method: 'GET', url: '/trust/controls' });
      assert.doesNotMatch(green.body, /<strong>TEN-1<\/strong>[^<]*<span class="state state-failing">/);
    });
  });

  describe('public pages', () => {
    it('TR-1, TR-5: admin-supplied text is escaped on every page, so a <script> entry renders as text', async () => {
      const payloads = [
        { kind: 'certification', data: { name: '<script>alert(1)</script>SOC 2', status: 'certified', auditor: '"><img src=x onerror=alert(2)>' } },
        { kind: 'subprocessor', data: { name: 'Cloud <b>Inc</b>', purpose: '<script>x</script>', data_categories: ['<i>all</i>'], location: 'EU', effective_from: '2026-01-01' } },
        { kind: 'faq', data: { section: 'faq', question: 'Who? <script>q()</script>', answer: "It's <script>a()</script>", claims: ['TEN-1'] } },
        { kind: 'document', data: { title: '<script>d()</script>', access: 'nda' } },
      ];
      for (const payload of payloads) {
        const created = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: admin }, payload });
        assert.equal(created.statusCode, 201, created.body);
      }
      for (const path of ['/trust', '/trust/controls', '/trust/certifications', '/trust/documents', '/trust/subprocessors', '/trust/faq']) {
        const page = await t.inject({ method: 'GET', url: path });
        assert.equal(page.statusCode, 200, path);
        assert.match(String(page.headers['content-type']), /^text\/html/);
        assert.doesNotMatch(page.body, /<script|<img|<b>|<i>|onerror=alert\(2\)>/i, `${path} rendered admin text as markup`);
        assert.doesNotMatch(page.body, / style=/, `${path} uses inline style (the CSP forbids it)`);
      }
      const certs = await t.inject({ method: 'GET', url: '/trust/certifications' });
      assert.match(certs.body, /&#60;script&#62;alert\(1\)&#60;\/script&#62;SOC 2/);
    });

    it('TR-3: a link that is not https or a local path (javascript:) is refused', async () => {
      for (const website of ['javascript:alert(1)', '//evil.example/x', 'http://plain.example/']) {
        const response = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: admin }, payload: { kind: 'subprocessor', data: { name: 'X', purpose: 'Y', data_categories: [], location: 'EU', effective_from: '2026-01-01', website } } });
        assert.equal(response.statusCode, 400, website);
        assert.equal(response.json<{ code: string }>().code, 'invalid_request');
        assert.doesNotMatch(response.body, /javascript:|evil\.example/, 'the error does not echo input');
      }
    });
  });

  describe('administration', () => {
    it('TR-1: an organization administrator (not a platform administrator) is refused every management route; an anonymous caller too', async () => {
      const some = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: admin }, payload: { kind: 'certification', data: { name: 'ISO 27001', status: 'planned' } } });
      const id = some.json<{ id: string }>().id;
      const routes = [
        { method: 'GET', url: '/api/v1/platform/trust/entries' },
        { method: 'POST', url: '/api/v1/platform/trust/entries', payload: { kind: 'certification', data: { name: 'Fake', status: 'certified' } } },
        { method: 'PUT', url: `/api/v1/platform/trust/entries/${id}`, payload: { kind: 'certification', data: { name: 'Fake', status: 'certified' } } },
        { method: 'DELETE', url: `/api/v1/platform/trust/entries/${id}` },
        { method: 'GET', url: '/api/v1/platform/trust/checks' },
        { method: 'POST', url: '/api/v1/platform/trust/checks/run' },
      ] as const;
      for (const route of routes) {
        const refused = await t.inject({ ...route, headers: { cookie: orgAdmin } });
        assert.equal(refused.statusCode, 403, `${route.method} ${route.url}: ${refused.body}`);
        assert.equal(refused.json<{ code: string }>().code, 'forbidden');
        const anonymous = await t.inject({ ...route });
        assert.equal(anonymous.statusCode, 401, `${route.method} ${route.url}`);
      }
      const listed = await t.inject({ method: 'GET', url: '/api/v1/platform/trust/entries', headers: { cookie: admin } });
      assert.ok(listed.json<{ items: { data: { name?: string } }[] }>().items.every((e) => e.data.name !== 'Fake'), 'nothing was written');
    });

    it('TR-1: an entry keeps its kind, and an unknown entry is 404', async () => {
      const created = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: admin }, payload: { kind: 'certification', data: { name: 'PCI', status: 'planned' } } });
      const id = created.json<{ id: string }>().id;
      const changed = await t.inject({ method: 'PUT', url: `/api/v1/platform/trust/entries/${id}`, headers: { cookie: admin }, payload: { kind: 'faq', data: { section: 'faq', question: 'q', answer: 'a' } } });
      assert.equal(changed.statusCode, 409);
      const missing = await t.inject({ method: 'DELETE', url: `/api/v1/platform/trust/entries/${crypto.randomUUID()}`, headers: { cookie: admin } });
      assert.equal(missing.statusCode, 404);
    });
  });

  describe('signed evidence', () => {
    let bundle: EvidenceBundle;
    before(async () => {
      const ran = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/checks/run', headers: { cookie: admin } });
      assert.equal(ran.statusCode, 200, ran.body);
      const response = await t.inject({ method: 'GET', url: '/trust/evidence.json' });
      assert.equal(response.statusCode, 200);
      bundle = response.json<EvidenceBundle>();
    });

    it('TR-4: the evidence bundle verifies offline with the audit log\'s verifier key and holds every check, without private detail', () => {
      const verdict = verifyEvidence(bundle, t.app.services.audit.signer.verifierKey);
      assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
      assert.ok(bundle.results.some((r) => r.check_id === 'ten1.canary'));
      assert.ok(bundle.results.every((r) => !('detail' in r)));
    });

    it('TR-4: an altered result, a dropped result, an altered date or another key fails verification', () => {
      const key = t.app.services.audit.signer.verifierKey;
      const flipped = { ...bundle, results: bundle.results.map((r, i) => (i === 0 ? { ...r, status: r.status === 'pass' ? 'fail' : 'pass' } : r)) };
      assert.equal(verifyEvidence(flipped, key).ok, false);
      assert.equal(verifyEvidence({ ...bundle, results: bundle.results.slice(1) }, key).ok, false);
      assert.equal(verifyEvidence({ ...bundle, generated_at: '2030-01-01T00:00:00.000Z' }, key).ok, false);
      const other = ed25519SignerFromSeed(t.app.services.audit.signer.signer.name, new Uint8Array(32).fill(7));
      assert.equal(verifyEvidence(bundle, verifierKeyString(other.name, other.publicKey)).ok, false);
      assert.equal(verifyEvidence({ ...bundle, verifier_key: verifierKeyString(other.name, other.publicKey) }, key).ok, false);
    });

    it('TR-4: parapet trust verify exits 0 for the downloaded bundle and 1 for a tampered copy', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parapet-evidence-'));
      const good = join(dir, 'good.json');
      const bad = join(dir, 'bad.json');
      writeFileSync(good, JSON.stringify(bundle));
      writeFileSync(bad, JSON.stringify({ ...bundle, results: bundle.results.map((r) => ({ ...r, statement: `${r.statement} ` })) }));
      const lines: string[] = [];
      const run = (file: string) => trustVerify({ args: [file, '--key', t.app.services.audit.signer.verifierKey], out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) } as unknown as CliContext);
      assert.equal(await run(good), 0, lines.join('\n'));
      assert.equal(await run(bad), 1);
      assert.match(lines.join('\n'), /NOT VERIFIED: the results differ from what was signed/);
    });
  });
});
