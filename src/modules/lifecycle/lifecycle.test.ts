import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { manualClock } from '../../platform/clock.ts';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { authenticatorFor, registerPasskey } from '../../../test/support/passkeys.ts';
import { digestToken } from '../../platform/crypto/random.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';

import { base32Decode, totp } from '../identity/mfa/totp.ts';
import { createOrg, memberWithRole, post, signUp } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { allowRiskyWrites, deleteWithApproval, secondAdmin } from '../../../test/support/risky-writes.ts';
import { publishedExportSchema } from '../../../scripts/export-schema.ts';
import { exportSchema, startLifecycleLoop, type DeletionNotice } from './index.ts';

/** Digests are stored keyed (issue 13, property 2). */
const storedDigests = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));

const DAY = 86_400_000;
const START = new Date('2026-05-01T00:00:00Z');
const PLATFORM = '00000000-0000-0000-0000-000000000000';

// ajv-formats is CommonJS: its default export arrives as the module object under Node's ESM loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

describe('data lifecycle (DATA-1, DATA-2, DATA-3)', () => {
  const clock = manualClock(START);
  const notices: DeletionNotice[] = [];
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
    // In place of the mail notifier (deletion-notices.test.ts reads the mail): the notices themselves.
    t.app.services.lifecycle.deletions.setNotifier({
      notify: (notice) => {
        notices.push(notice);
        return Promise.resolve();
      },
    });
  });
  after(async () => {
    await t.close();
  });

  const events = async (tenantId: string, action: string) => {
    await t.app.services.audit.sequencer.drain();
    return t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['canonical', 'actor_id']).where('tenant_id', '=', tenantId).where('action', '=', action).execute());
  };

  it('DATA-2: docs/data-export.schema.json is the published schema of every section the app registers', () => {
    const published = readFileSync(new URL('../../../docs/data-export.schema.json', import.meta.url), 'utf8');
    assert.equal(published, publishedExportSchema(), 'regenerate with: node scripts/export-schema.ts > docs/data-export.schema.json');
    assert.deepEqual(JSON.parse(published), exportSchema(t.app.services.lifecycle.personalData), 'scripts/export-schema.ts lists other sections than the app registers');
  });

  it('DATA-2: a user with every kind of data downloads all of it, valid against the documented schema, never a secret; the download is audited', async () => {
    clock.set(START);
    const org = await createOrg(t, 'export');
    const admin = org.admin;
    const email = (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', admin.userId).executeTakeFirstOrThrow())).email;
    const keyResponse = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/api-keys`, headers: { cookie: admin.cookie }, payload: { name: 'CI', permissions: ['projects.read'] } });
    assert.equal(keyResponse.statusCode, 201, keyResponse.body);
    const secret = keyResponse.json<{ key: string; id: string }>();
    await post(t, admin, `/api/v1/organizations/${org.orgId}/access-requests`, { role: 'viewer', reason: 'Export test request', duration_minutes: 30 });
    // Invitations: one the user sent, one another organization sent to the user's address.
    await post(t, admin, `/api/v1/organizations/${org.orgId}/invitations`, { email: 'invitee@example.com', role: 'viewer' });
    const inviter = await createOrg(t, 'inviter');
    await post(t, inviter.admin, `/api/v1/organizations/${inviter.orgId}/invitations`, { email, role: 'viewer' });
    // An account link (address verification).
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify/request', headers: { cookie: admin.cookie } })).statusCode, 202);
    // A refresh-token family, rotated once.
    const login = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, response_type: 'token' } });
    assert.equal(login.statusCode, 200, login.body);
    const refreshed = await t.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'refresh_token', refresh_token: login.json<{ refresh_token: string }>().refresh_token } });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const refreshTokens = [login.json<{ refresh_token: string }>().refresh_token, refreshed.json<{ refresh_token: string }>().refresh_token];
    // A passkey, then an authenticator app with its recovery codes.
    const passkeyId = await registerPasskey(t, admin.cookie, authenticatorFor(t), 'Laptop');
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie: admin.cookie } });
    assert.equal(started.statusCode, 201, started.body);
    const totpSecret = started.json<{ secret: string }>().secret;
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totp(base32Decode(totpSecret), clock.now()) }, headers: { cookie: admin.cookie } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const recoveryCodes = confirmed.json<{ recovery_codes: string[] }>().recovery_codes;
    const cookie = confirmed.json<{ session_upgraded: boolean }>().session_upgraded ? sessionCookie(confirmed) : admin.cookie;
    await t.app.services.audit.sequencer.drain();

    const response = await t.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: { cookie } });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-disposition']), /attachment/);
    interface Document {
      schema_version: number;
      profile: { id: string };
      organizations: { id: string; bindings: unknown[] }[];
      audit_events: { events: unknown[] }[];
      passkeys: { id: string; name: string }[];
      mfa: { totp_factors: { confirmed_at: string | null }[]; recovery_codes: { total: number; remaining: number } | null };
      refresh_token_families: { refreshes: number }[];
      invitations: { received: { organization_id: string; status: string }[]; sent: { email: string }[] };
      account_links: { purpose: string }[];
      api_keys: { id: string; prefix: string }[];
      access_requests: { made: { requested_by_you: boolean }[]; decided: unknown[] };
      risky_writes: unknown[];
    }
    const document = response.json<Document>();
    const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
    const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../../docs/data-export.schema.json', import.meta.url), 'utf8')) as object);
    assert.ok(validate(document), JSON.stringify(validate.errors));
    assert.equal(document.schema_version, 2);
    assert.equal(document.profile.id, admin.userId);
    assert.deepEqual(document.organizations.map((o) => o.id), [org.orgId]);
    assert.ok((document.organizations[0]?.bindings.length ?? 0) >= 1);
    assert.ok(document.audit_events.some((log) => log.events.length > 0));
    assert.deepEqual(document.passkeys.map((p) => [p.id, p.name]), [[passkeyId, 'Laptop']]);
    assert.equal(document.mfa.totp_factors.length, 1);
    assert.notEqual(document.mfa.totp_factors[0]?.confirmed_at, null);
    assert.deepEqual(document.mfa.recovery_codes && [document.mfa.recovery_codes.total, document.mfa.recovery_codes.remaining], [recoveryCodes.length, recoveryCodes.length]);
    assert.deepEqual(document.refresh_token_families.map((f) => f.refreshes), [1]);
    assert.deepEqual(document.invitations.received.map((i) => [i.organization_id, i.status]), [[inviter.orgId, 'pending']]);
    assert.deepEqual(document.invitations.sent.map((i) => i.email), ['invitee@example.com']);
    assert.deepEqual(document.account_links.map((l) => l.purpose), ['verify_email']);
    assert.deepEqual(document.api_keys.map((k) => k.id), [secret.id]);
    assert.ok(secret.key.startsWith(document.api_keys[0]?.prefix ?? '-'), 'the prefix is the key’s public start');
    assert.deepEqual(document.access_requests.made.map((r) => r.requested_by_you), [true]);

    // No secret in any form: the secrets the user was shown, and every stored digest, seed, key and handle.
    const stored = await t.transactor.withPlatform(async (tx) => ({
      passkeys: await tx.selectFrom('passkeys').select(['public_key', 'user_handle', 'credential_id']).where('user_id', '=', admin.userId).execute(),
      totp: await tx.selectFrom('totp_factors').select('secret_sealed').where('user_id', '=', admin.userId).execute(),
      codes: await tx.selectFrom('mfa_recovery_codes').select('code_hash').where('user_id', '=', admin.userId).execute(),
      links: await tx.selectFrom('account_tokens').select('token_hash').where('user_id', '=', admin.userId).execute(),
      sessions: await tx.selectFrom('sessions').select('token_hash').where('user_id', '=', admin.userId).execute(),
      user: await tx.selectFrom('users').select('password_hash').where('id', '=', admin.userId).executeTakeFirstOrThrow(),
    }));
    const refreshDigests = await t.transactor.withPlatform((tx) => tx.selectFrom('refresh_tokens').select('token_hash').where('token_hash', 'in', refreshTokens.map((token) => storedDigests.storedDigest('refresh-token', digestToken(token)))).execute());
    const keyDigest = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('api_keys').select('secret_hash').where('tenant_id', '=', org.orgId).where('id', '=', secret.id).executeTakeFirstOrThrow());
    const invitationDigests = await t.transactor.withTenant(inviter.orgId, (tx) => tx.selectFrom('invitations').select('token_hash').where('tenant_id', '=', inviter.orgId).execute());
    const bytes = [
      ...stored.passkeys.flatMap((p) => [p.public_key, p.user_handle]),
      ...stored.codes.map((c) => c.code_hash),
      ...stored.links.map((l) => l.token_hash),
      ...stored.sessions.map((s) => s.token_hash),
      ...refreshDigests.map((r) => r.token_hash),
      ...invitationDigests.map((i) => i.token_hash),
      keyDigest.secret_hash,
    ];
    assert.equal(refreshDigests.length, 2);
    const forbidden = [
      secret.key,
      totpSecret,
      ...recoveryCodes,
      ...refreshTokens,
      stored.user.password_hash,
      ...stored.totp.map((f) => f.secret_sealed),
      ...stored.passkeys.map((p) => p.credential_id),
      ...bytes.flatMap((b) => [Buffer.from(b).toString('hex'), Buffer.from(b).toString('base64'), Buffer.from(b).toString('base64url')]),
      'password_hash',
      'token_hash',
      'secret_hash',
      'code_hash',
      'secret_sealed',
      'public_key',
      '$argon2',
    ];
    for (const value of forbidden) assert.ok(!response.body.includes(value), `export contains ${value}`);
    assert.equal((await events(PLATFORM, 'user.exported')).filter((e) => e.actor_id === admin.userId).length, 1);
  });

  it('DATA-2: a user corrects their display name through PATCH /users/me (audited)', async () => {
    const user = await signUp(t, 'rectify');
    const response = await t.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { cookie: user.cookie }, payload: { display_name: 'Corrected Name' } });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json<{ display_name: string }>().display_name, 'Corrected Name');
    assertProblem(await t.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { cookie: user.cookie }, payload: { display_name: '' } }), 400, 'invalid_request');
    assert.equal((await events(PLATFORM, 'user.updated')).filter((e) => e.actor_id === user.userId).length, 1);
  });

  it('DATA-1: an organization overrides retention within bounds; out of bounds, unknown and platform types are refused with stable codes; null restores the default', async () => {
    const org = await createOrg(t, 'policy');
    const url = `/api/v1/organizations/${org.orgId}/retention`;
    const put = (policies: object, cookie = org.admin.cookie) => t.inject({ method: 'PUT', url, headers: { cookie }, payload: { policies } });
    const listed = await t.inject({ method: 'GET', url, headers: { cookie: org.admin.cookie } });
    assert.equal(listed.statusCode, 200, listed.body);
    const types = listed.json<{ items: { type: string }[] }>().items.map((i) => i.type);
    for (const type of ['audit', 'security_events', 'access_requests', 'request_signatures']) assert.ok(types.includes(type), type);
    assert.ok(!types.includes('sessions'), 'platform types are not per organization');

    assertProblem(await put({ security_events: 5 }), 400, 'retention_out_of_bounds');
    assertProblem(await put({ security_events: 5000 }), 400, 'retention_out_of_bounds');
    assertProblem(await put({ no_such_type: 30 }), 400, 'retention_type_unknown');
    assertProblem(await put({ sessions: 30 }), 400, 'retention_type_unknown');
    const ok = await put({ security_events: 90, audit: 730 });
    assert.equal(ok.statusCode, 200, ok.body);
    const items = ok.json<{ items: { type: string; days: number; overridden: boolean }[] }>().items;
    assert.deepEqual(items.find((i) => i.type === 'security_events'), { ...items.find((i) => i.type === 'security_events'), days: 90, overridden: true });
    // The audit period is the audit module's own setting, visible through its API too.
    const audit = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/audit/retention`, headers: { cookie: org.admin.cookie } });
    assert.equal(audit.json<{ retention_days: number }>().retention_days, 730);
    const reset = await put({ security_events: null });
    assert.equal(reset.json<{ items: { type: string; overridden: boolean }[] }>().items.find((i) => i.type === 'security_events')?.overridden, false);
    // settings.manage without audit.manage cannot shorten the audit log's retention through this route.
    const settingsOnly = await memberWithRole(t, org, (await post(t, org.admin, `/api/v1/organizations/${org.orgId}/roles`, { name: 'Settings only', permissions: ['settings.manage', 'organization.read'] })));
    assertProblem(await put({ audit: 90 }, settingsOnly.cookie), 403, 'forbidden');
    assert.equal((await put({ security_events: 120 }, settingsOnly.cookie)).statusCode, 200);
    assert.ok((await events(org.orgId, 'retention.changed')).length >= 3);
  });

  it('DATA-3: deleting one\u2019s account signs out everywhere and refuses sign-in for the grace period; the cancel token restores it', async () => {
    clock.set(START);
    const email = `leaver-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD);
    const cookie = await t.login(email, TEST_PASSWORD);
    const deleted = await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie } });
    assert.equal(deleted.statusCode, 202, deleted.body);
    const body = deleted.json<{ purge_after: string; cancel_token: string; owner_notified: boolean }>();
    assert.equal(body.purge_after, new Date(START.getTime() + 14 * DAY).toISOString());
    assert.equal(body.owner_notified, true);
    const notice = notices.at(-1);
    assert.ok(notice?.subject === 'user' && notice.event === 'scheduled' && notice.cancelToken === body.cancel_token && notice.recipients[0]?.email === email);
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode, 401);
    await assert.rejects(t.login(email, TEST_PASSWORD), /401/);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/users/deletion/cancel', payload: { token: 'A'.repeat(43) } }), 400, 'deletion_cancel_invalid');
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/users/deletion/cancel', payload: { token: body.cancel_token } })).statusCode, 204);
    await t.login(email, TEST_PASSWORD);
    assert.equal(notices.at(-1)?.event, 'cancelled');
    assert.equal((await events(PLATFORM, 'user.deletion_requested')).length >= 1, true);
    assert.equal((await events(PLATFORM, 'user.deletion_cancelled')).length >= 1, true);
  });

  it('DATA-3: after the grace period the account is purged in batches and only a tombstone (email HMAC, dates) remains', async () => {
    clock.set(START);
    const org = await createOrg(t, 'purge-user');
    const leaver = await memberWithRole(t, org, 'viewer');
    const email = (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', leaver.userId).executeTakeFirstOrThrow())).email;
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: leaver.cookie } })).statusCode, 202);
    clock.advance(14 * DAY);
    await t.app.services.lifecycle.deletions.purgeDue();
    assert.equal(await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('id', '=', leaver.userId).executeTakeFirst()), undefined);
    assert.equal((await t.transactor.withPlatform((tx) => tx.selectFrom('sessions').select('id').where('user_id', '=', leaver.userId).execute())).length, 0);
    const left = await t.transactor.withTenant(org.orgId, async (tx) => ({
      memberships: await tx.selectFrom('memberships').select('user_id').where('user_id', '=', leaver.userId).execute(),
      bindings: await tx.selectFrom('role_bindings').select('id').where('principal_id', '=', leaver.userId).execute(),
    }));
    assert.deepEqual(left, { memberships: [], bindings: [] });
    const tombstone = await t.transactor.withPlatform((tx) => tx.selectFrom('account_tombstones').selectAll().where('user_id', '=', leaver.userId).executeTakeFirstOrThrow());
    assert.equal(tombstone.email_hmac.length, 32);
    assert.ok(!Buffer.from(tombstone.email_hmac).toString('utf8').includes(email.split('@')[0] ?? email));
    assert.equal((await events(PLATFORM, 'user.deletion_completed')).length >= 1, true);
    assert.equal(notices.at(-1)?.event, 'completed');
  });

  it('DATA-1, DATA-3: the lifecycle job (leader loop) purges accounts past their grace period and applies retention on its own', async () => {
    clock.set(START);
    const leaver = await signUp(t, 'job-leaver');
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: leaver.cookie } })).statusCode, 202);
    await t.transactor.withPlatform((tx) =>
      tx.insertInto('setup_tokens').values({ id: crypto.randomUUID(), token_hash: crypto.getRandomValues(new Uint8Array(32)), created_at: new Date(START.getTime() - 30 * DAY), expires_at: new Date(START.getTime() - 29 * DAY), used_at: null }).execute(),
    );
    clock.advance(14 * DAY);
    const { retention, deletions } = t.app.services.lifecycle;
    const recorded: string[] = [];
    const stop = startLifecycleLoop({ db: t.database.db, retention, deletions, logger: { info: () => undefined, error: () => undefined }, idleMs: 50, recordRun: async (job) => { recorded.push(job); } });
    try {
      const gone = async () => (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('id', '=', leaver.userId).executeTakeFirst())) === undefined;
      const tokensLeft = async () => (await t.transactor.withPlatform((tx) => tx.selectFrom('setup_tokens').select('id').where('expires_at', '<', new Date(START.getTime())).execute())).length;
      for (let i = 0; i < 200 && !((await gone()) && (await tokensLeft()) === 0); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(await gone(), 'the account was not purged by the job');
      assert.equal(await tokensLeft(), 0, 'retention did not run');
      // DATA-1: each finished step is recorded (the trust center's data.last-purge check reads it).
      assert.ok(recorded.includes('retention') && recorded.includes('deletions'), recorded.join());
    } finally {
      await stop();
    }
  });

  it('DATA-3: an approved organization deletion makes it read-only for the grace period, is cancellable, notifies the owners, then purges rows and destroys keys', async () => {
    clock.set(START);
    const org = await createOrg(t, 'doomed');
    const second = await secondAdmin(t, org);
    await allowRiskyWrites(t, org.orgId, org.admin.cookie);
    const base = `/api/v1/organizations/${org.orgId}`;
    const approved = await deleteWithApproval(t, base, org.admin.cookie, second.cookie);
    assert.equal(approved.statusCode, 200, approved.body);
    const status = await t.inject({ method: 'GET', url: `${base}/deletion`, headers: { cookie: org.admin.cookie } });
    assert.equal(status.json<{ status: string; purge_after: string }>().purge_after, new Date(START.getTime() + 14 * DAY).toISOString());
    assert.equal((await t.inject({ method: 'GET', url: `${base}/projects`, headers: { cookie: org.admin.cookie } })).statusCode, 200);
    assertProblem(await t.inject({ method: 'POST', url: `${base}/projects`, headers: { cookie: org.admin.cookie }, payload: { name: 'New' } }), 409, 'organization_pending_deletion');
    // The owners hear about it from the lifecycle job (after the approval's transaction committed).
    assert.equal(await t.app.services.lifecycle.deletions.deliverNotices(), 1);
    assert.ok(notices.some((n) => n.subject === 'organization' && n.event === 'scheduled' && n.tenantId === org.orgId));
    assert.equal(await t.app.services.lifecycle.deletions.deliverNotices(), 0);
    // Cancel, and the organization is writable again.
    assert.equal((await t.inject({ method: 'DELETE', url: `${base}/deletion`, headers: { cookie: org.admin.cookie } })).statusCode, 204);
    assert.equal((await t.inject({ method: 'POST', url: `${base}/projects`, headers: { cookie: org.admin.cookie }, payload: { name: 'New' } })).statusCode, 201);
    // Again, and this time it runs its course.
    assert.equal((await deleteWithApproval(t, base, org.admin.cookie, second.cookie)).statusCode, 200);
    clock.advance(14 * DAY);
    const purged = await t.app.services.lifecycle.deletions.purgeDue();
    assert.equal(purged.organizations, 1);
    assert.equal(await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('organizations').select('id').executeTakeFirst()), undefined);
    assert.equal((await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('projects').select('id').execute())).length, 0);
    assert.equal((await events(org.orgId, 'organization.deletion_completed')).length, 1);
    assert.equal((await events(PLATFORM, 'organization.deletion_completed')).filter((e) => Buffer.from(e.canonical).toString('utf8').includes(org.orgId)).length, 1);
    assert.equal((await events(org.orgId, 'organization.deletion_requested')).length, 2);
    assert.equal((await events(org.orgId, 'organization.deletion_cancelled')).length, 1);
  });

  const session = (cookie: string) => t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
  const pendingDeletion = (userId: string) => t.transactor.withPlatform((tx) => tx.selectFrom('user_deletions').select('user_id').where('user_id', '=', userId).executeTakeFirst());

  it('DATA-3: the only owner of an organization cannot delete their account (409 sole_owner naming it) until another member holds Tenant Admin over it; an owner whose own deletion is pending does not count', async () => {
    clock.set(START);
    const org = await createOrg(t, 'sole');
    const elsewhere = await createOrg(t, 'sole-elsewhere');
    const refused = await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: org.admin.cookie } });
    assertProblem(refused, 409, 'sole_owner');
    const detail = refused.json<{ detail: string }>().detail;
    assert.ok(detail.includes(org.orgId) && detail.includes('/bindings') && !detail.includes(elsewhere.orgId), detail);
    assert.equal(await pendingDeletion(org.admin.userId), undefined);
    assert.equal((await session(org.admin.cookie)).statusCode, 200, 'the refusal signs nobody out');

    // Tenant Admin over one project, or with an expiry, is not ownership; nor does a platform administrator bypass the rule.
    await memberWithRole(t, org, 'tenant_admin', { project_id: org.projectId });
    await memberWithRole(t, org, 'tenant_admin', {}, { expires_at: new Date(START.getTime() + 30 * DAY).toISOString() });
    assertProblem(await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: org.admin.cookie } }), 409, 'sole_owner');
    const operator = await signUp(t, 'sole-operator', { platformAdmin: true });
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/users/${org.admin.userId}`, headers: { cookie: operator.cookie } }), 409, 'sole_owner');

    // Hand the organization over: now the first owner may go, and the second becomes its only owner.
    const heir = await memberWithRole(t, org, 'tenant_admin');
    const elsewhereHeir = await memberWithRole(t, elsewhere, 'tenant_admin');
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: org.admin.cookie } })).statusCode, 202);
    assert.ok(await pendingDeletion(org.admin.userId));
    assertProblem(await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: heir.cookie } }), 409, 'sole_owner');
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: elsewhere.admin.cookie } })).statusCode, 202, 'another owner of that one is enabled');
    assertProblem(await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: elsewhereHeir.cookie } }), 409, 'sole_owner');
  });

  it('DATA-3: an owner may delete their account when the organization is itself pending deletion', async () => {
    clock.set(START);
    const org = await createOrg(t, 'sole-doomed');
    const second = await secondAdmin(t, org);
    await allowRiskyWrites(t, org.orgId, org.admin.cookie);
    assert.equal((await deleteWithApproval(t, `/api/v1/organizations/${org.orgId}`, org.admin.cookie, second.cookie)).statusCode, 200);
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: second.cookie } })).statusCode, 202);
    // The last enabled owner, but the organization goes too.
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: org.admin.cookie } })).statusCode, 202);
  });

  it('DATA-3: two owners deleting their accounts at the same moment: one is scheduled, the other refused with sole_owner', async () => {
    clock.set(START);
    const org = await createOrg(t, 'sole-race');
    const second = await secondAdmin(t, org);
    const [a, b] = await Promise.all([org.admin, second].map((owner) => t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: owner.cookie } })));
    assert.deepEqual([a?.statusCode, b?.statusCode].sort(), [202, 409], `${a?.body} ${b?.body}`);
    assert.equal((await Promise.all([org.admin.userId, second.userId].map(pendingDeletion))).filter(Boolean).length, 1);
  });
});
