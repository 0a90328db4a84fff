// The trust center's organization and deployment checks (issue 20, item 2): each passes on a healthy
// deployment and FAILS when the property its claim states is broken, and a failing check shows its
// control red on the public /trust/controls page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { systemClock, type Clock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { lifecycleRuns, recordLifecycleRun } from '../lifecycle/index.ts';
import { createCheckRunner } from './check-runner.ts';
import { acrossOrganizations } from './checks-across.ts';
import { accountDeletionGraceCheck, databaseTlsCheck, lastPurgeCheck } from './checks-deployment.ts';
import { accessReviewAgeCheck, apiKeyAgeCheck, auditRetentionCheck, classifyStoredValue, deletionGraceCheck, encryptedColumnsCheck, mfaCoverageCheck, orgLogCheck, tenantKeyAgeCheck } from './checks-organization.ts';
import type { TrustCheck } from './checks/trust-check.ts';

const DAY = 86_400_000;
const later = (days: number): Date => new Date(Date.now() + days * DAY);
const fixedClock = (at: Date): Clock => ({ now: () => at });

describe('trust center organization and deployment checks (TR-4, issue 20 item 2)', () => {
  let t: TestApp;
  let orgAdmin: string;
  let orgId: string;
  let adminId: string;
  let keyId: string;

  /**
   * Runs SQL as the table owner with forced row-level security lifted from the tables it names (on
   * PostgreSQL the owner is subject to it): the fixture an attacker with owner credentials has.
   */
  const owner = <R>(statement: string, read: boolean) =>
    t.database.db.withOwner(async (session) => {
      const named = [...new Set([...statement.matchAll(/\b(?:update|into|from)\s+([a-z_]+)/g)].map((m) => m[1] ?? ''))];
      const forced = named.length === 0 ? [] : (await session.query<{ relname: string }>(`select relname from pg_class where relnamespace = 'public'::regnamespace and relforcerowsecurity and relname in (${named.map((n) => `'${n}'`).join(', ')})`)).map((r) => r.relname);
      for (const table of forced) await session.exec(`alter table ${table} no force row level security`);
      try {
        if (read) return await session.query<R>(statement);
        await session.exec(statement);
        return [];
      } finally {
        for (const table of forced) await session.exec(`alter table ${table} force row level security`);
      }
    });
  const asOwner = async (statement: string) => {
    await owner(statement, false);
  };
  const ownerQuery = <R>(statement: string) => owner<R>(statement, true);
  const drain = () => t.app.services.audit.sequencer.drain();

  /** Runs `check` as the scheduled runner does and returns the controls page afterwards. */
  const controlsAfter = async (check: TrustCheck) => {
    const runner = createCheckRunner({
      transactor: t.transactor,
      clock: systemClock,
      random: systemRandom,
      logger: { error: () => undefined, info: () => undefined },
      audit: t.app.services.audit.recorder,
      alerts: t.app.services.alerts,
      alertOrganization: undefined,
      checks: [check],
      onResults: t.app.modules.trust.center.invalidate,
    });
    const [row] = await runner.runAll();
    const page = await t.inject({ method: 'GET', url: '/trust/controls' });
    assert.equal(page.statusCode, 200);
    return { status: row?.status, page: page.body };
  };
  /** The claim's own line on the controls page (`<li id="CLAIM"><p>… state</p>`) shows it failing. */
  const failingOnPage = (page: string, claim: string) => new RegExp(`<li id="${claim}"><p><strong>${claim}</strong>[^<]*<span class="state state-failing">Failing</span></p>`).test(page);

  before(async () => {
    t = await createTestApp();
    const user = await t.createUser('checks-admin@example.com', TEST_PASSWORD);
    adminId = user.id;
    orgAdmin = await t.login('checks-admin@example.com', TEST_PASSWORD);
    const org = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie: orgAdmin }, payload: { name: 'Checked' } });
    assert.equal(org.statusCode, 201, org.body);
    orgId = org.json<{ id: string }>().id;
    const key = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/api-keys`, headers: { cookie: orgAdmin }, payload: { name: 'ci', role: 'viewer', signing: 'required' } });
    assert.equal(key.statusCode, 201, key.body);
    keyId = key.json<{ id: string }>().id;
    await drain();
  });
  after(async () => {
    await t.close();
  });

  it('ENC-1: sampled encrypted values pass as envelopes and a plaintext value in an encrypted column fails the check and turns ENC-1 red', async () => {
    const check = encryptedColumnsCheck({ transactor: t.transactor });
    const healthy = await check.evaluate(orgId, new Date());
    assert.equal(healthy.status, 'pass', healthy.summary);
    assert.ok(Number(healthy.figures['values_sampled']) >= 1);
    const [stored] = await ownerQuery<{ v: string }>(`select signing_secret_sealed as v from api_keys where id = '${keyId}'`);
    assert.ok(stored !== undefined);
    await asOwner(`update api_keys set signing_secret_sealed = 'v1.prs_plaintext_secret_value' where id = '${keyId}'`);
    try {
      const broken = await check.evaluate(orgId, new Date());
      assert.equal(broken.status, 'fail', broken.summary);
      const { status, page } = await controlsAfter(acrossOrganizations(check, { transactor: t.transactor, clock: systemClock, includePlatform: true }));
      assert.equal(status, 'fail');
      assert.ok(failingOnPage(page, 'ENC-1'), 'ENC-1 shows as failing');
      assert.doesNotMatch(page, /api_keys|prs_plaintext/, 'the public page names no table and no value');
    } finally {
      await asOwner(`update api_keys set signing_secret_sealed = '${stored.v}' where id = '${keyId}'`);
    }
    assert.equal((await check.evaluate(orgId, new Date())).status, 'pass');
  });

  it('ENC-1: the envelope format is told from plaintext and from a legacy v1 value', () => {
    assert.equal(classifyStoredValue(`pk1.1.${Buffer.alloc(12).toString('base64url')}.${Buffer.alloc(20).toString('base64url')}`), 'envelope');
    assert.equal(classifyStoredValue('pk1.1.short.body'), 'other');
    assert.equal(classifyStoredValue('hunter2'), 'other');
    assert.equal(classifyStoredValue(`v1.${Buffer.alloc(12).toString('base64url')}.${Buffer.alloc(20).toString('base64url')}`), 'legacy');
    assert.equal(classifyStoredValue('v1.prs_plaintext_secret_value'), 'other');
  });

  it('ENC-2: a tenant key younger than the rotation period passes; one older fails and turns ENC-2 red', async () => {
    const check = tenantKeyAgeCheck({ transactor: t.transactor, rotationDays: 90 });
    assert.equal((await check.evaluate(orgId, new Date())).status, 'pass');
    assert.equal((await check.evaluate(crypto.randomUUID(), new Date())).status, 'not_applicable', 'an organization without keys has nothing to rotate');
    await asOwner(`update tenant_keys set created_at = created_at - interval '100 days' where tenant_id = '${orgId}'`);
    try {
      const broken = await check.evaluate(orgId, new Date());
      assert.equal(broken.status, 'fail', broken.summary);
      assert.ok(Number(broken.figures['key_age_days']) >= 100);
      const { page } = await controlsAfter(acrossOrganizations(check, { transactor: t.transactor, clock: systemClock }));
      assert.ok(failingOnPage(page, 'ENC-2'));
    } finally {
      await asOwner(`update tenant_keys set created_at = created_at + interval '100 days' where tenant_id = '${orgId}'`);
    }
    assert.equal((await tenantKeyAgeCheck({ transactor: t.transactor, rotationDays: 0 }).evaluate(orgId, new Date())).status, 'fail', 'rotation turned off fails');
  });

  it('ENC-7: PGlite is not applicable; plain TCP to a remote database fails; verified TLS 1.3 passes; TLS without verification fails', async () => {
    const pglite = databaseTlsCheck({ transactor: t.transactor, config: { databaseUrl: undefined, databaseCaFile: undefined } });
    if (t.config.databaseUrl === undefined) assert.equal((await pglite.run()).status, 'not_applicable');
    const remote = (url: string, ssl: boolean) => databaseTlsCheck({ transactor: t.transactor, config: { databaseUrl: url, databaseCaFile: undefined }, probe: async () => ({ ssl, version: ssl ? 'TLSv1.3' : null, cipher: ssl ? 'TLS_AES_256_GCM_SHA384' : null }) });
    assert.equal((await remote('postgres://app@db.internal.example/parapet', false).run()).status, 'fail');
    assert.equal((await remote('postgres://app@db.internal.example/parapet?sslmode=verify-full&sslrootcert=system', true).run()).status, 'pass');
    assert.equal((await remote('postgres://app@db.internal.example/parapet', true).run()).status, 'fail', 'TLS with sslmode=disable in our config is not verified');
    assert.equal((await remote('postgres://app@127.0.0.1/parapet', false).run()).status, 'not_applicable');
    if (t.config.databaseUrl !== undefined) {
      // The real pg_stat_ssl row of our own backend (the test server is plain TCP on loopback).
      const real = await databaseTlsCheck({ transactor: t.transactor, config: t.config }).run();
      assert.equal(real.status, 'not_applicable', real.detail);
      assert.match(real.detail, /pg_stat_ssl: ssl false/);
    }
  });

  it('AUTH-2: not applicable until the organization requires MFA; a member without a factor then fails and turns AUTH-2 red; an accepted factor passes', async () => {
    const check = mfaCoverageCheck({ transactor: t.transactor });
    assert.equal((await check.evaluate(orgId, new Date())).status, 'not_applicable');
    await asOwner(`insert into organization_security_policies (tenant_id, mfa_required, updated_at) values ('${orgId}', true, now()) on conflict (tenant_id) do update set mfa_required = true, allowed_mfa_methods = array['totp', 'webauthn']`);
    const broken = await check.evaluate(orgId, new Date());
    assert.equal(broken.status, 'fail', broken.summary);
    assert.equal(broken.figures['members_without_mfa'], 1);
    const { page } = await controlsAfter(acrossOrganizations(check, { transactor: t.transactor, clock: systemClock }));
    assert.ok(failingOnPage(page, 'AUTH-2'));
    await asOwner(`insert into passkeys (id, user_id, credential_id, public_key, counter, transports, aaguid, user_handle, backup_eligible, backed_up, name, created_at) values ('${crypto.randomUUID()}', '${adminId}', 'cred-${crypto.randomUUID()}', '\\x01', 0, '{}', '${crypto.randomUUID()}', '\\x01', false, false, 'key', now())`);
    const healthy = await check.evaluate(orgId, new Date());
    assert.equal(healthy.status, 'pass', healthy.summary);
    // A passkey does not count where only TOTP is accepted.
    await asOwner(`update organization_security_policies set allowed_mfa_methods = array['totp'] where tenant_id = '${orgId}'`);
    assert.equal((await check.evaluate(orgId, new Date())).status, 'fail');
    await asOwner(`update organization_security_policies set mfa_required = false, allowed_mfa_methods = array['totp', 'webauthn'] where tenant_id = '${orgId}'`);
  });

  it('AUTH-7: API keys younger than 90 days pass; a key past 90 days fails and turns AUTH-7 red', async () => {
    const check = apiKeyAgeCheck({ transactor: t.transactor });
    assert.equal((await check.evaluate(orgId, new Date())).status, 'pass');
    const broken = await check.evaluate(orgId, later(91));
    // The key expires sooner than 91 days by default: age it instead of moving the clock.
    if (broken.status === 'not_applicable') {
      await asOwner(`update api_keys set created_at = created_at - interval '91 days' where id = '${keyId}'`);
      try {
        const aged = await check.evaluate(orgId, new Date());
        assert.equal(aged.status, 'fail', aged.summary);
        const { page } = await controlsAfter(acrossOrganizations(check, { transactor: t.transactor, clock: systemClock }));
        assert.ok(failingOnPage(page, 'AUTH-7'));
      } finally {
        await asOwner(`update api_keys set created_at = created_at + interval '91 days' where id = '${keyId}'`);
      }
    } else {
      assert.equal(broken.status, 'fail', broken.summary);
    }
  });

  it('AC-5: a new organization is not due; a review passes; 91 days later it fails', async () => {
    const check = accessReviewAgeCheck({ transactor: t.transactor });
    assert.equal((await check.evaluate(orgId, new Date())).status, 'not_applicable');
    assert.equal((await check.evaluate(orgId, later(91))).status, 'fail', 'an organization 91 days old without a review fails');
    const review = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/access-review`, headers: { cookie: orgAdmin } });
    assert.equal(review.statusCode, 200, review.body);
    await drain();
    assert.equal((await check.evaluate(orgId, new Date())).status, 'pass');
    const stale = await check.evaluate(orgId, later(91));
    assert.equal(stale.status, 'fail', stale.summary);
    const { page } = await controlsAfter(acrossOrganizations(check, { transactor: t.transactor, clock: fixedClock(later(91)) }));
    assert.ok(failingOnPage(page, 'AC-5'));
  });

  it('AUD-2: every organization\'s log verifies; an altered audit row fails and turns AUD-2 red; the rotation covers every organization', async () => {
    await drain();
    const check = orgLogCheck({ transactor: t.transactor, signer: t.app.services.audit.signer });
    assert.equal((await check.evaluate(orgId, new Date())).status, 'pass');
    const tables = ['audit_events'];
    const asAttacker = async (statement: string) => {
      for (const table of tables) await asOwner(`alter table ${table} disable trigger user`);
      try {
        await asOwner(statement);
      } finally {
        for (const table of tables) await asOwner(`alter table ${table} enable trigger user`);
      }
    };
    const [first] = await ownerQuery<{ seq: number }>(`select min(seq)::int as seq from audit_events where tenant_id = '${orgId}'`);
    const seq = first?.seq ?? 0;
    const [original] = await ownerQuery<{ hex: string }>(`select encode(canonical, 'hex') as hex from audit_events where tenant_id = '${orgId}' and seq = ${seq}`);
    assert.ok(original !== undefined);
    await asAttacker(`update audit_events set canonical = overlay(canonical placing '\\x21'::bytea from 5 for 1) where tenant_id = '${orgId}' and seq = ${seq}`);
    try {
      const broken = await check.evaluate(orgId, new Date());
      assert.equal(broken.status, 'fail', broken.summary);
      // A window of one organization per run still reaches the altered log within one rotation.
      const across = acrossOrganizations(check, { transactor: t.transactor, clock: systemClock, perRun: 1 });
      const orgs = await ownerQuery<{ n: number }>('select count(*)::int as n from organizations');
      const statuses: string[] = [];
      let page = '';
      for (let i = 0; i < (orgs[0]?.n ?? 1); i += 1) {
        const run = await controlsAfter(across);
        statuses.push(String(run.status));
        if (run.status === 'fail') page = run.page;
      }
      assert.ok(statuses.includes('fail'), statuses.join());
      assert.ok(failingOnPage(page, 'AUD-2'));
    } finally {
      await asAttacker(`update audit_events set canonical = '\\x${original.hex}' where tenant_id = '${orgId}' and seq = ${seq}`);
    }
    assert.equal((await check.evaluate(orgId, new Date())).status, 'pass', 'restored');
  });

  it('AUD-3: entries within the retention period pass; entries kept past it fail', async () => {
    await drain();
    const check = auditRetentionCheck({ transactor: t.transactor, defaultDays: 400 });
    const healthy = await check.evaluate(orgId, new Date());
    assert.equal(healthy.status, 'pass', healthy.summary);
    const broken = await check.evaluate(orgId, later(403));
    assert.equal(broken.status, 'fail', broken.summary);
    const { page } = await controlsAfter(acrossOrganizations(check, { transactor: t.transactor, clock: fixedClock(later(403)) }));
    assert.ok(failingOnPage(page, 'AUD-3'));
    // A log whose front is gone without a retention checkpoint fails whatever the dates.
    await asOwner(`alter table audit_tree_heads disable trigger user`);
    try {
      await asOwner(`update audit_tree_heads set first_seq = first_seq + 1 where tenant_id = '${orgId}'`);
      assert.equal((await check.evaluate(orgId, new Date())).status, 'fail');
    } finally {
      await asOwner(`update audit_tree_heads set first_seq = first_seq - 1 where tenant_id = '${orgId}'`);
      await asOwner(`alter table audit_tree_heads enable trigger user`);
    }
  });

  it('DATA-1: no recorded purge fails; a recent purge passes; one older than two hours fails and turns DATA-1 red', async () => {
    const runs = () => lifecycleRuns(t.transactor);
    assert.equal((await lastPurgeCheck({ runs, clock: systemClock }).run()).status, 'fail');
    await recordLifecycleRun(t.transactor, 'retention', new Date(), 3);
    assert.equal((await lastPurgeCheck({ runs, clock: systemClock }).run()).status, 'pass');
    const { status, page } = await controlsAfter(lastPurgeCheck({ runs, clock: fixedClock(new Date(Date.now() + 3 * 3_600_000)) }));
    assert.equal(status, 'fail');
    assert.ok(failingOnPage(page, 'DATA-1'));
  });

  it('DATA-3: no overdue deletion passes; an organization or account deletion past its grace period fails and turns DATA-3 red', async () => {
    const check = deletionGraceCheck({ transactor: t.transactor });
    assert.equal((await check.evaluate(orgId, new Date())).status, 'pass');
    const deletionId = crypto.randomUUID();
    await asOwner(`insert into organization_deletions (tenant_id, id, requested_by, requested_at, purge_after) values ('${orgId}', '${deletionId}', null, now() - interval '20 days', now() - interval '6 days')`);
    try {
      assert.equal((await check.evaluate(orgId, new Date())).status, 'fail');
      const { page } = await controlsAfter(acrossOrganizations(check, { transactor: t.transactor, clock: systemClock }));
      assert.ok(failingOnPage(page, 'DATA-3'));
    } finally {
      await asOwner(`delete from organization_deletions where id = '${deletionId}'`);
    }
    const accounts = accountDeletionGraceCheck({ transactor: t.transactor, clock: systemClock });
    assert.equal((await accounts.run()).status, 'pass');
    const other = await t.createUser('checks-leaving@example.com', TEST_PASSWORD);
    await asOwner(`insert into user_deletions (user_id, requested_by, requested_at, purge_after, cancel_token_hash, was_disabled) values ('${other.id}', null, now() - interval '20 days', now() - interval '6 days', decode(repeat('ab', 32), 'hex'), false)`);
    try {
      assert.equal((await accounts.run()).status, 'fail');
    } finally {
      await asOwner(`delete from user_deletions where user_id = '${other.id}'`);
    }
  });
});
