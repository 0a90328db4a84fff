// IR-5: each alert rule fires from its real signal (a lockout, an authorization denial, a tampered
// audit row, a failing key provider, an expiring SAML certificate) and not from noise below its
// threshold; rules are changed through the API; new alerts are routed by severity to mail (the
// in-process SMTP server) and a Standard Webhooks receiver (verified with `standardwebhooks`), and
// each delivery is recorded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, signUp, type Member } from '../../../test/support/access.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { KeyProviderError, type KeyProvider } from '../../platform/crypto/key-provider.ts';
import { createLocalKeyProvider } from '../../platform/crypto/local-key-provider.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { newWebhookSecret } from '../audit-streaming/index.ts';
import { createTestCertificates, type TestCertificates } from '../audit-streaming/tls-test-fixture.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../audit-streaming/webhook-test-fixture.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { createCheckRunner } from '../trust/check-runner.ts';
import { platformLogCheck } from '../trust/checks/audit-checks.ts';

interface AlertView { id: string; kind: string; severity: string; occurrences: number; subject: { type: string; id: string } | null; summary: string }

/** A local key provider that fails every call while `failing` is set: a KMS outage, as the app sees one. */
function flakyProvider(): KeyProvider & { failing: boolean } {
  const real = createLocalKeyProvider({ keyring: TEST_KEYRING });
  const state = { failing: false };
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (state.failing) throw new KeyProviderError('the key provider is unreachable');
    return fn(...args);
  };
  return Object.assign(state, {
    kind: real.kind,
    primary: guard(() => real.primary()),
    generateDataKey: guard((c: Parameters<KeyProvider['generateDataKey']>[0]) => real.generateDataKey(c)),
    wrap: guard((p: Buffer, c: Parameters<KeyProvider['wrap']>[1]) => real.wrap(p, c)),
    unwrap: guard((w: Parameters<KeyProvider['unwrap']>[0], c: Parameters<KeyProvider['unwrap']>[1]) => real.unwrap(w, c)),
    rotate: guard(() => real.rotate()),
    describe: guard(() => real.describe()),
    destroy: guard((v: string) => real.destroy(v)),
  });
}

/** A self-signed certificate valid for `days`, as an IdP would publish it. */
function certificate(label: string, days: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-alert-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', String(days), '-subj', `/CN=${label}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(join(dir, 'cert.pem'), 'utf8');
}

describe('security alert rules (IR-5)', () => {
  // Real time to the second (the standardwebhooks verifier refuses timestamps five minutes off).
  const clock = manualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const secret = newWebhookSecret(systemRandom);
  const soc = `soc-${crypto.randomUUID()}@example.com`;
  const provider = flakyProvider();
  let seed: TestApp;
  let t: TestApp;
  let smtp: TestSmtp;
  let certs: TestCertificates;
  let receiver: WebhookReceiver;
  let home: Awaited<ReturnType<typeof createOrg>>;
  let platformAdmin: string;

  const as = (cookie: string, method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, payload?: object) => t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });
  const setRule = async (kind: string, body: object) => {
    const res = await as(platformAdmin, 'PUT', `/api/v1/platform/alert-rules/${kind}`, body);
    assert.equal(res.statusCode, 200, res.body);
  };
  const alertsOf = async (org: { orgId: string; admin: Member }, kind: string): Promise<AlertView[]> => {
    await t.app.services.alerts.settled();
    const res = await as(org.admin.cookie, 'GET', `/api/v1/organizations/${org.orgId}/security-alerts?limit=100`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ items: AlertView[] }>().items.filter((a) => a.kind === kind);
  };
  const wrong = (email: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'not the password at all' } });
  const lockOut = async () => {
    const email = `locked-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD);
    for (let i = 0; i < 2; i++) assert.equal((await wrong(email)).statusCode, 401);
  };

  before(async () => {
    smtp = await startTestSmtp();
    certs = createTestCertificates('Alert Routing Test');
    receiver = await startWebhookReceiver(certs, '/hooks/alerts');
    // The alert organization exists before the nodes configured with it start.
    seed = await createTestApp({ clock });
    home = await createOrg(seed, 'alerts-home');
    t = await createTestApp({
      clock,
      database: seed.database,
      keyProvider: provider,
      env: {
        ...smtp.env,
        PARAPET_LOCKOUT_THRESHOLD: '2',
        PARAPET_ALERTS_ORGANIZATION: home.orgId,
        PARAPET_ALERTS_MAIL_TO: soc,
        PARAPET_ALERTS_MAIL_MIN_SEVERITY: 'high',
        PARAPET_ALERTS_WEBHOOK_URL: receiver.url,
        PARAPET_ALERTS_WEBHOOK_SECRET: secret,
        PARAPET_ALERTS_WEBHOOK_MIN_SEVERITY: 'medium',
        PARAPET_ALERTS_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
        PARAPET_ALERTS_WEBHOOK_CA_FILE: certs.caFile,
      },
    });
    await t.createUser('alert-rules-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    platformAdmin = await t.login('alert-rules-admin@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
    await seed.close();
    await smtp.close();
    await receiver.close();
  });

  it('IR-5: the rules are listed with their defaults; a platform administrator overrides one and returns it to its default', async () => {
    const list = await as(platformAdmin, 'GET', '/api/v1/platform/alert-rules');
    assert.equal(list.statusCode, 200, list.body);
    const kinds = list.json<{ items: { kind: string; overridden: boolean }[] }>().items.map((r) => r.kind);
    for (const kind of ['lockouts', 'refresh_token_reused', 'break_glass', 'authorization_denial_spike', 'audit_verification_failed', 'trust_check_failed', 'key_provider_error', 'sso_certificate_expiring']) assert.ok(kinds.includes(kind), kind);
    const changed = await as(platformAdmin, 'PUT', '/api/v1/platform/alert-rules/break_glass', { severity: 'medium', threshold: 2 });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(
      (({ severity, threshold, overridden, window_seconds }) => ({ severity, threshold, overridden, window_seconds }))(changed.json<{ severity: string; threshold: number; overridden: boolean; window_seconds: number }>()),
      { severity: 'medium', threshold: 2, overridden: true, window_seconds: 3600 },
    );
    assert.equal((await as(platformAdmin, 'DELETE', '/api/v1/platform/alert-rules/break_glass')).statusCode, 204);
    const reset = (await as(platformAdmin, 'GET', '/api/v1/platform/alert-rules')).json<{ items: { kind: string; overridden: boolean; severity: string }[] }>().items.find((r) => r.kind === 'break_glass');
    assert.deepEqual([reset?.overridden, reset?.severity], [false, 'critical']);
    const bad = await as(platformAdmin, 'PUT', '/api/v1/platform/alert-rules/no_such_rule', { enabled: false });
    assert.equal(bad.statusCode, 400);
    assert.doesNotMatch(bad.body, /no_such_rule/);
  });

  it('IR-5: one lockout raises nothing; lockouts reaching the threshold within the window raise one alert in the alert organization, and later ones count on it', async () => {
    await setRule('lockouts', { threshold: 2, window_seconds: 31_622_400 });
    await lockOut();
    assert.deepEqual(await alertsOf(home, 'lockouts'), [], 'one lockout is noise');
    await lockOut();
    let alerts = await alertsOf(home, 'lockouts');
    assert.equal(alerts.length, 1);
    assert.deepEqual([alerts[0]?.severity, alerts[0]?.occurrences], ['high', 2]);
    await lockOut();
    alerts = await alertsOf(home, 'lockouts');
    assert.equal(alerts.length, 1, 'deduplicated within the window');
    assert.equal(alerts[0]?.occurrences, 3);
  });

  it('IR-5: authorization denials below the threshold raise nothing; reaching it raises one alert in the organization that denied them', async () => {
    await setRule('authorization_denial_spike', { threshold: 3, window_seconds: 31_622_400 });
    const org = await createOrg(t, 'denials');
    const outsider: Member = await signUp(t, 'denied-member');
    await addMember(t, org.orgId, outsider.userId);
    const deny = async () => { assert.equal((await as(outsider.cookie, 'GET', `/api/v1/organizations/${org.orgId}/security-alerts`)).statusCode, 403); };
    await deny();
    await deny();
    assert.deepEqual(await alertsOf(org, 'authorization_denial_spike'), [], 'two denials are noise');
    await deny();
    const [alert, ...rest] = await alertsOf(org, 'authorization_denial_spike');
    assert.deepEqual(rest, []);
    assert.deepEqual([alert?.severity, alert?.occurrences, alert?.subject], ['medium', 3, { type: 'organization', id: org.orgId }]);
    assert.deepEqual(await alertsOf(home, 'authorization_denial_spike'), [], 'only the organization that denied them is alerted');
  });

  it('IR-5: a disabled rule raises nothing from its signal', async () => {
    await setRule('authorization_denial_spike', { enabled: false, threshold: 1 });
    const org = await createOrg(t, 'denials-off');
    const outsider = await signUp(t, 'denied-off');
    await addMember(t, org.orgId, outsider.userId);
    for (let i = 0; i < 3; i++) assert.equal((await as(outsider.cookie, 'GET', `/api/v1/organizations/${org.orgId}/security-alerts`)).statusCode, 403);
    assert.deepEqual(await alertsOf(org, 'authorization_denial_spike'), []);
    assert.equal((await as(platformAdmin, 'DELETE', '/api/v1/platform/alert-rules/authorization_denial_spike')).statusCode, 204);
  });

  it('IR-5: an audit row altered in the database fails verification and raises audit_verification_failed (and trust_check_failed) in the alert organization', async () => {
    const runner = createCheckRunner({
      transactor: t.transactor, clock, random: systemRandom, logger: { error: () => undefined, info: () => undefined }, audit: t.app.services.audit.recorder,
      alerts: t.app.services.alerts, alertOrganization: home.orgId, checks: [platformLogCheck({ transactor: t.transactor, signer: t.app.services.audit.signer })],
    });
    await t.app.services.audit.sequencer.drain();
    const first = await runner.runAll();
    assert.notEqual(first[0]?.status, 'fail', first[0]?.detail);
    assert.deepEqual(await alertsOf(home, 'audit_verification_failed'), [], 'a log that verifies raises nothing');
    const owner = (statement: string) => t.database.db.withOwner(async (session) => {
      await session.exec('alter table audit_events no force row level security');
      await session.exec('alter table audit_events disable trigger user');
      try {
        return await session.query<{ seq: number; hex: string }>(statement);
      } finally {
        await session.exec('alter table audit_events enable trigger user');
        await session.exec('alter table audit_events force row level security');
      }
    });
    const [row] = await owner(`select seq::int as seq, encode(canonical, 'hex') as hex from audit_events where tenant_id = '${PLATFORM_TENANT_ID}' order by seq limit 1`);
    assert.ok(row !== undefined);
    await owner(`update audit_events set canonical = overlay(canonical placing '\\x21'::bytea from 5 for 1) where tenant_id = '${PLATFORM_TENANT_ID}' and seq = ${row.seq} returning seq`);
    try {
      const broken = await runner.runAll();
      assert.equal(broken[0]?.status, 'fail');
      const [alert] = await alertsOf(home, 'audit_verification_failed');
      assert.equal(alert?.severity, 'critical');
      assert.equal((await alertsOf(home, 'trust_check_failed')).length, 1);
    } finally {
      await owner(`update audit_events set canonical = '\\x${row.hex}' where tenant_id = '${PLATFORM_TENANT_ID}' and seq = ${row.seq} returning seq`);
    }
  });

  it('IR-5: calls that succeed raise nothing; a failing key provider raises one key_provider_error alert, counting each failure', async () => {
    const keys = t.app.services.keys;
    await keys.provider.primary();
    assert.deepEqual(await alertsOf(home, 'key_provider_error'), []);
    provider.failing = true;
    try {
      for (let i = 0; i < 3; i++) await assert.rejects(keys.provider.generateDataKey({ tenantId: home.orgId, keyVersion: 99 }), KeyProviderError);
    } finally {
      provider.failing = false;
    }
    const [alert, ...rest] = await alertsOf(home, 'key_provider_error');
    assert.deepEqual(rest, []);
    assert.deepEqual([alert?.severity, alert?.occurrences], ['critical', 3]);
    assert.match(alert?.summary ?? '', /generateDataKey/);
    const metrics = await t.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /parapet_key_provider_errors_total\{operation="generateDataKey"\} 3/);
  });

  it("IR-5: a SAML connection whose IdP certificate expires within the window raises an alert in its organization; one valid for long raises nothing", async () => {
    const connect = async (label: string, days: number) => {
      const org = await createOrg(t, label);
      const res = await as(org.admin.cookie, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: `IdP ${label}`, protocol: 'saml', default_role: 'viewer', saml: { idp_entity_id: `https://idp.${label}.example.test/saml`, idp_sso_url: `https://idp.${label}.example.test/sso`, idp_certs: [certificate(label, days)] } });
      assert.equal(res.statusCode, 201, res.body);
      return { org, connectionId: res.json<{ id: string }>().id };
    };
    const soon = await connect('cert-soon', 5);
    const later = await connect('cert-later', 400);
    await t.app.modules.sso.sweepCertificates();
    await t.app.modules.sso.sweepCertificates();
    const [alert, ...rest] = await alertsOf(soon.org, 'sso_certificate_expiring');
    assert.deepEqual(rest, [], 'one alert per connection and window');
    assert.deepEqual(alert?.subject, { type: 'sso_connection', id: soon.connectionId });
    assert.deepEqual(await alertsOf(later.org, 'sso_certificate_expiring'), []);
  });

  it('IR-5: new alerts are routed by severity: mail at high and above, the signed webhook at medium and above; each delivery is recorded, a repeat in the window sends nothing more', async () => {
    clock.set(new Date(Math.floor(Date.now() / 1000) * 1000));
    await setRule('authorization_denial_spike', { threshold: 1, window_seconds: 31_622_400, severity: 'medium' });
    const org = await createOrg(t, 'routing');
    const outsider = await signUp(t, 'routing-outsider');
    await addMember(t, org.orgId, outsider.userId);
    await t.app.services.alerts.delivery.deliver();
    receiver.requests.length = 0;
    for (let i = 0; i < 2; i++) assert.equal((await as(outsider.cookie, 'GET', `/api/v1/organizations/${org.orgId}/security-alerts`)).statusCode, 403);
    const [medium] = await alertsOf(org, 'authorization_denial_spike');
    assert.ok(medium !== undefined);
    await t.app.services.alerts.delivery.deliver();
    const hooks = receiver.requests.map((r) => new Webhook(secret).verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }) as { type: string; data: { alert_id: string; organization_id: string; kind: string; severity: string } });
    assert.deepEqual(hooks.filter((h) => h.data.alert_id === medium.id).map((h) => [h.type, h.data.kind, h.data.severity, h.data.organization_id]), [['security_alert.raised', 'authorization_denial_spike', 'medium', org.orgId]], 'one webhook for two signals');
    const deliveries = await as(platformAdmin, 'GET', `/api/v1/platform/security-alerts/organizations/${org.orgId}/${medium.id}/deliveries`);
    assert.equal(deliveries.statusCode, 200, deliveries.body);
    const rows = deliveries.json<{ items: { channel: string; delivered_at: string | null; attempts: number }[] }>().items;
    assert.deepEqual(rows.map((d) => [d.channel, d.delivered_at !== null, d.attempts]), [['webhook', true, 1]], 'medium: no mail');
    // The key-provider alert (critical) went by mail too.
    const [critical] = await alertsOf(home, 'key_provider_error');
    assert.ok(critical !== undefined);
    await t.app.services.mail.idle();
    const mail = await smtp.waitFor((m) => m.to.includes(soc) && m.text.includes(critical.id));
    assert.match(mail.subject, /^Security alert \(critical\): key_provider_error/);
    assert.doesNotMatch(mail.text, /generateDataKey/, "the alert's text stays in its organization");
    const criticalRows = (await as(platformAdmin, 'GET', `/api/v1/platform/security-alerts/organizations/${home.orgId}/${critical.id}/deliveries`)).json<{ items: { channel: string; delivered_at: string | null }[] }>().items;
    assert.deepEqual(criticalRows.map((d) => [d.channel, d.delivered_at !== null]).sort(), [['mail', true], ['webhook', true]]);
  });
});
