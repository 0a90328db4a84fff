// Issue 13: SQL injected as the app role must not take over accounts. On a PostgreSQL server these
// tests connect as parapet_app — the application's own login — and run the attacks by hand, the way
// an injection would; then each minted or altered row is presented to the HTTP API, which must
// refuse it. (On embedded PGlite the session is a superuser: see docs/tenancy.md.)
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { CompiledQuery } from 'kysely';
import { JOBS_ACTOR_ID } from '../../platform/db/transactor.ts';
import { openTestDatabase, postgresSkipReason, TEST_KEYRING } from '../../../test/support/databases.ts';
import { createRowIntegrity } from './row-integrity.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { createOrg } from '../../../test/support/access.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { createClient, secretToken, seedOrg, seedServiceAccount, tokenRequest } from '../oauth/oauth-test-fixture.ts';

const skip = await postgresSkipReason();

/**
 * Session digests are stored keyed (issue 13, property 2), which an attacker without the keyring
 * cannot compute. These tests grant it anyway, so that what they prove is the row MAC's refusal.
 */
const keyed = (token: string) => createRowIntegrity(TEST_KEYRING.derive('row-integrity')).storedDigest('session', createHash('sha256').update(token).digest());

/**
 * Every SECURITY DEFINER function parapet_app may call, with what it answers to an attacker who
 * calls it with any argument. A new definer function fails the run until it is reviewed here.
 * `open` marks the ones that still answer about other tenants or users (issue 13, property 4).
 */
const DEFINER_FUNCTIONS: Readonly<Record<string, { readonly open: boolean; readonly note: string }>> = {
  'parapet_private.enter_context': { open: false, note: 'enters a context only with a MAC bound to this backend and a few seconds (0028)' },
  parapet_api_key_tenant: { open: false, note: 'the tenant of the API key with this id and this presented digest only (0064)' },
  parapet_audit_inbox_depth: { open: false, note: 'a count across tenants, no ids' },
  parapet_audit_pending_tenants: { open: false, note: 'tenant ids with unsequenced audit events, only in the verified jobs context (0054)' },
  parapet_audit_purge: { open: false, note: 'purges the verified tenant’s own audit entries, behind its signed retention checkpoint' },
  parapet_audit_record_for_member: { open: false, note: 'copies a user\u2019s events into their organizations only with a MAC over that user and those exact events under the tenant-context key, expiring in seconds (0121; member-audit-authority.security.test.ts)' },
  parapet_audit_signing_names: { open: false, note: 'audit signing key names, no tenant data' },
  parapet_audit_streaming_tenants: { open: false, note: 'tenant ids with due audit streams, only in the verified jobs context (0054)' },
  parapet_audit_tenants: { open: false, note: 'every tenant id, only in the verified jobs context (0054)' },
  parapet_audit_unsigned_tenants: { open: false, note: 'tenant ids without a signed checkpoint, only in the verified jobs context (0054)' },
  parapet_due_organization_deletions: { open: false, note: 'tenant ids due for deletion, only in the verified jobs context (0054)' },
  parapet_invitation_organizations: { open: false, note: 'organizations that invited the verified actor (no arguments, 0054)' },
  parapet_key_tenants: { open: false, note: 'every tenant id with keys, only in the verified jobs context (0054)' },
  parapet_lifecycle_tenants: { open: false, note: 'every tenant id, only in the verified jobs context (0054)' },
  parapet_oauth_client_tenant: { open: false, note: 'the tenant of the OAuth client whose id has this MAC under a keyring key the database never holds; an id alone answers nothing (0092)' },
  parapet_oidc_application_tenant: { open: false, note: 'the tenant of the OIDC application whose client id has this MAC under a keyring key the database never holds; an id alone answers nothing (0092)' },
  parapet_organizations_created_by_actor: { open: false, note: 'organizations created by the verified actor' },
  parapet_scim_directory: { open: false, note: 'the organization of a SCIM directory, only given the digest of its live bearer token (0058)' },
  parapet_sso_enforcement: { open: false, note: 'the organizations requiring SSO for the verified actor’s own e-mail domain, and whether the actor is one of their break-glass accounts (no arguments, 0084)' },
  parapet_sso_route: { open: false, note: 'the organization and connection of a verified email domain, with the verification’s id, time and MAC (0091) and never its token: public by design (GET /api/v1/sso/lookup answers the same)' },
  parapet_unnotified_organization_deletions: { open: false, note: 'tenant ids with unnotified deletions, only in the verified jobs context (0054)' },
  parapet_user_mfa_requirements: { open: false, note: 'MFA requirements of the verified actor’s organizations (no arguments, 0055)' },
  parapet_user_organizations: { open: false, note: 'the organizations of the verified actor (no arguments, 0055)' },
  parapet_user_session_limits: { open: false, note: 'the session limits of the verified actor (no arguments, 0055)' },
};

peerSuite('SQL injected as parapet_app cannot mint or alter what authentication trusts (issue 13, TEN-1)', skip, () => {
  let t: TestApp;
  let sql: pg.Client;
  let operatorId: string;
  let userId: string;

  before(async () => {
    t = await createTestApp({ database: await openTestDatabase('postgres') });
    sql = new pg.Client({ connectionString: t.database.urls?.app });
    await sql.connect();
    operatorId = (await t.createUser('operator@example.com', TEST_PASSWORD, { platformAdmin: true })).id;
    userId = (await t.createUser('user@example.com', TEST_PASSWORD)).id;
  });
  after(async () => {
    await sql.end();
    await t.close();
    await t.database.close();
  });

  const me = (headers: Record<string, string>) => t.inject({ method: 'GET', url: '/api/v1/auth/session', headers });

  it('the attacker is parapet_app, not a superuser', async () => {
    const { rows } = await sql.query<{ u: string; s: boolean }>('select current_user as u, rolsuper as s from pg_roles where rolname = current_user');
    assert.deepEqual(rows[0], { u: 'parapet_app', s: false });
  });

  it('TEN-1: a session inserted by hand for the operator, with MFA, is refused', async () => {
    const token = randomBytes(32).toString('base64url');
    const digest = keyed(token);
    // The insert itself succeeds (the app role writes sessions): the defence is on the read.
    await sql.query(
      `insert into sessions (id, token_hash, user_id, auth_methods, created_at, authenticated_at, last_seen_at, idle_timeout_seconds, absolute_expires_at)
       values (gen_random_uuid(), $1, $2, '{pwd,otp,mfa}', now(), now(), now(), 3600, now() + interval '1 day')`,
      [digest, operatorId],
    );
    assertProblem(await me({ cookie: `parapet_session=${token}` }), 401, 'unauthenticated');
  });

  it('TEN-1: a session inserted by hand with the MAC of a real session copied onto it is refused', async () => {
    await t.login('user@example.com', TEST_PASSWORD);
    const token = randomBytes(32).toString('base64url');
    const digest = keyed(token);
    await sql.query(
      `insert into sessions (id, token_hash, user_id, auth_methods, created_at, authenticated_at, last_seen_at, idle_timeout_seconds, absolute_expires_at, integrity_mac)
       select gen_random_uuid(), $1, $2, auth_methods, created_at, authenticated_at, now(), 3600, now() + interval '1 day', integrity_mac
         from sessions where user_id = $3 and integrity_mac is not null limit 1`,
      [digest, operatorId, userId],
    );
    assertProblem(await me({ cookie: `parapet_session=${token}` }), 401, 'unauthenticated');
  });

  it("TEN-1: moving one's own session to the operator, or adding MFA to it, makes it refused", async () => {
    const moved = await t.login('user@example.com', TEST_PASSWORD);
    const movedToken = moved.split('=')[1] ?? '';
    await sql.query('update sessions set user_id = $1 where token_hash = $2', [operatorId, keyed(movedToken)]);
    assertProblem(await me({ cookie: moved }), 401, 'unauthenticated');

    const stepped = await t.login('user@example.com', TEST_PASSWORD);
    const steppedToken = stepped.split('=')[1] ?? '';
    await sql.query("update sessions set auth_methods = '{pwd,otp,mfa}', authenticated_at = now() where token_hash = $1", [keyed(steppedToken)]);
    assertProblem(await me({ cookie: stepped }), 401, 'unauthenticated');
  });

  it('TEN-1: UPDATE users SET is_platform_admin = true does not make an operator, with or without a copied MAC', async () => {
    await sql.query('update users set is_platform_admin = true where id = $1', [userId]);
    const cookie = await t.login('user@example.com', TEST_PASSWORD);
    const session = await me({ cookie });
    assert.equal(session.statusCode, 200);
    assert.equal(session.json<{ user: { is_platform_admin: boolean } }>().user.is_platform_admin, false);
    assertProblem(await t.inject({ method: 'POST', url: `/api/v1/platform/users/${operatorId}/disable`, headers: { cookie } }), 403, 'forbidden');

    await sql.query('update users set platform_admin_mac = (select platform_admin_mac from users where id = $2) where id = $1', [userId, operatorId]);
    const copied = await t.login('user@example.com', TEST_PASSWORD);
    assertProblem(await t.inject({ method: 'POST', url: `/api/v1/platform/users/${operatorId}/disable`, headers: { cookie: copied } }), 403, 'forbidden');
    await sql.query('update users set is_platform_admin = false, platform_admin_mac = null where id = $1', [userId]);
  });

  it('TEN-1: a flipped operator flag is not honoured through an access token either', async () => {
    await sql.query('update users set is_platform_admin = true where id = $1', [userId]);
    const signIn = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'user@example.com', password: TEST_PASSWORD, response_type: 'token' } });
    assert.equal(signIn.statusCode, 200, signIn.body);
    const { access_token } = signIn.json<{ access_token: string }>();
    assertProblem(await t.inject({ method: 'POST', url: `/api/v1/platform/users/${operatorId}/disable`, headers: { authorization: `Bearer ${access_token}` } }), 403, 'forbidden');
    await sql.query('update users set is_platform_admin = false where id = $1', [userId]);
  });

  it('the real operator still is one (the defences refuse forgeries, not the application’s own rows)', async () => {
    const cookie = await t.login('operator@example.com', TEST_PASSWORD);
    assert.equal((await me({ cookie })).json<{ user: { is_platform_admin: boolean } }>().user.is_platform_admin, true);
  });

  it('parapet_app cannot create temporary tables or functions (pg_temp)', async () => {
    await assert.rejects(sql.query('create temporary table shadow (x int)'), /permission denied/);
    await assert.rejects(sql.query('create function pg_temp.parapet_tenant() returns uuid language sql as $$ select null::uuid $$'), /permission denied|no schema has been selected/);
  });

  it('every SECURITY DEFINER function parapet_app can call has been reviewed (a new one fails this run)', async () => {
    const { rows } = await sql.query<{ name: string }>(
      `select case when n.nspname = 'public' then p.proname else n.nspname || '.' || p.proname end as name
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
          and has_function_privilege('parapet_app', p.oid, 'EXECUTE')
        order by 1`,
    );
    const found = [...new Set(rows.map((row) => row.name))].sort();
    assert.deepEqual(found, Object.keys(DEFINER_FUNCTIONS).sort(), 'a SECURITY DEFINER function was added or removed: review it and list it in DEFINER_FUNCTIONS');
  });

  // Property 4: the functions that list every tenant answer only in the verified jobs context.
  const JOB_CALLS: Readonly<Record<string, string>> = {
    parapet_audit_pending_tenants: 'select parapet_audit_pending_tenants(1000)',
    parapet_audit_streaming_tenants: "select parapet_audit_streaming_tenants(1000, now() + interval '1 year')",
    parapet_audit_tenants: 'select parapet_audit_tenants()',
    parapet_audit_unsigned_tenants: 'select parapet_audit_unsigned_tenants()',
    parapet_due_organization_deletions: "select parapet_due_organization_deletions(now() + interval '100 years')",
    parapet_key_tenants: 'select parapet_key_tenants()',
    parapet_lifecycle_tenants: 'select parapet_lifecycle_tenants()',
    parapet_unnotified_organization_deletions: 'select parapet_unnotified_organization_deletions()',
  };
  for (const [name, call] of Object.entries(JOB_CALLS)) {
    it(`TEN-1: ${name} refuses injected SQL (no context, a forged jobs context, a request's context)`, async () => {
      await assert.rejects(sql.query(call), /background jobs/);
      await sql.query('begin');
      try {
        await sql.query("select set_config('parapet.context', '|ffffffff-ffff-ffff-ffff-ffffffffffff', true)");
        await assert.rejects(sql.query(call), /not authenticated|background jobs/);
      } finally {
        await sql.query('rollback');
      }
      await assert.rejects(t.transactor.withActor(userId, (tx) => tx.executeQuery(CompiledQuery.raw(call))), /background jobs/);
      // The jobs context still gets its answer.
      await t.transactor.withJobs((tx) => tx.executeQuery(CompiledQuery.raw(call)));
    });
  }

  it('TEN-1: the jobs actor id is refused by withTenant and withActor (the request path cannot ask for it)', async () => {
    await assert.rejects(t.transactor.withActor(JOBS_ACTOR_ID, async () => undefined), /reserved/);
    await assert.rejects(t.transactor.withTenant(JOBS_ACTOR_ID, async () => undefined), /reserved/);
    await assert.rejects(t.transactor.withTenant(PLATFORM_TENANT_ID, async () => undefined, JOBS_ACTOR_ID.toUpperCase()), /reserved/);
  });

  it("TEN-1: parapet_invitation_organizations answers only about the verified actor's own invitations", async () => {
    const { orgId: org, admin } = await createOrg(t, 'invites');
    await t.transactor.withTenant(org, (tx) =>
      tx.executeQuery(
        CompiledQuery.raw(
          `insert into invitations (tenant_id, id, email, email_normalized, role, token_hash, invited_by, created_at, expires_at)
           values ($1, gen_random_uuid(), 'user@example.com', 'user@example.com', 'member', $2, $3, now(), now() + interval '1 day')`,
          [org, randomBytes(32), admin.userId],
        ),
      ),
    );
    const mine = await t.transactor.withActor(userId, (tx) => tx.executeQuery<{ t: string }>(CompiledQuery.raw('select parapet_invitation_organizations() as t')));
    assert.deepEqual(mine.rows.map((r) => r.t), [org]);
    // Another user's context (and no context) sees nothing of user@'s invitation; no argument names a subject.
    const other = await t.transactor.withActor(operatorId, (tx) => tx.executeQuery<{ t: string }>(CompiledQuery.raw('select parapet_invitation_organizations() as t')));
    assert.deepEqual(other.rows, []);
    assert.deepEqual((await sql.query('select parapet_invitation_organizations() as t')).rows, []);
    await assert.rejects(sql.query("select parapet_invitation_organizations('user@example.com', $1::uuid)", [userId]), /does not exist/);
  });

  it("TEN-1: the per-user definer functions answer only about the verified actor: another user's id cannot be named, no context is refused", async () => {
    const { orgId, admin } = await createOrg(t, 'subjects');
    await t.transactor.withTenant(orgId, (tx) =>
      tx.executeQuery(
        CompiledQuery.raw(
          `insert into organization_security_policies (tenant_id, mfa_required, allowed_mfa_methods, session_idle_minutes, session_absolute_hours, updated_at)
           values ($1, true, '{totp}', 7, 3, now())
           on conflict (tenant_id) do update set mfa_required = true, allowed_mfa_methods = '{totp}', session_idle_minutes = 7, session_absolute_hours = 3`,
          [orgId],
        ),
      ),
    );
    const calls = {
      parapet_user_organizations: 'select parapet_user_organizations()::text as v',
      parapet_user_session_limits: 'select idle_minutes::text as v from parapet_user_session_limits()',
      parapet_user_mfa_requirements: 'select organization_id::text as v from parapet_user_mfa_requirements()',
    };
    const asActor = async (actor: string, call: string) =>
      (await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.executeQuery<{ v: string | null }>(CompiledQuery.raw(call)), actor)).rows.map((r) => r.v);
    for (const [name, call] of Object.entries(calls)) {
      // The admin's own context sees the admin's organization.
      assert.deepEqual(await asActor(admin.userId, call), [name === 'parapet_user_session_limits' ? '7' : orgId], name);
      // Another user's context (the attacker's own) sees nothing of it.
      assert.notDeepEqual(await asActor(userId, call), [name === 'parapet_user_session_limits' ? '7' : orgId], name);
      // No verified actor: refused, also with a context set by hand.
      await assert.rejects(sql.query(call), /verified context/, name);
      await assert.rejects(t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.executeQuery(CompiledQuery.raw(call))), /verified context/, name);
      // The old form naming the subject is gone.
      await assert.rejects(sql.query(`select ${name}($1::uuid)`, [admin.userId]), /does not exist/, name);
    }
  });

  it('TEN-1: the client-id lookups answer only to the MAC of the id, which parapet_app cannot compute (0092)', async () => {
    const org = await seedOrg(t, 'lookups');
    const client = await createClient(t, org, await seedServiceAccount(t, org, 'lookup', ['viewer']), { name: 'lookup' });
    const env = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments`, payload: { name: 'production', kind: 'production' }, headers: { cookie: org.cookie } });
    const created = await t.inject({
      method: 'POST',
      url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${env.json<{ id: string }>().id}/applications`,
      payload: { name: 'Public app', client_type: 'public', first_party: true, redirect_uris: ['http://127.0.0.1:9/cb'] },
      headers: { cookie: org.cookie },
    });
    assert.equal(created.statusCode, 201, created.body);
    const application = created.json<{ client_id: string }>().client_id;
    const calls = { parapet_oauth_client_tenant: [client.client_id, 'oauth-client-lookup/1'], parapet_oidc_application_tenant: [application, 'oidc-application-lookup/1'] } as const;
    const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
    for (const [name, [id, kind]] of Object.entries(calls)) {
      // The old form, naming the id, is gone.
      await assert.rejects(sql.query(`select ${name}($1::uuid)`, [id]), /does not exist/, name);
      // What SQL can derive from an id it holds answers nothing: the id's bytes, its SHA-256, an HMAC under a guessed key.
      for (const guess of [Buffer.from(id.replaceAll('-', ''), 'hex'), createHash('sha256').update(id).digest(), createRowIntegrity(randomBytes(32)).rowMac(kind, [id])]) {
        assert.equal((await sql.query<{ tenant: string | null }>(`select ${name}($1) as tenant`, [guess])).rows[0]?.tenant, null, name);
      }
      // The stored MACs are not readable outside the client's own organization.
      const table = name === 'parapet_oauth_client_tenant' ? 'oauth_clients' : 'oidc_applications';
      const stored = await sql.query<{ lookup_mac: Buffer }>(`select lookup_mac from ${table}`).then((r): unknown[] => r.rows, (error: unknown) => String(error));
      assert.ok(typeof stored === 'string' || stored.length === 0, `${table}: ${JSON.stringify(stored)}`);
      // The application's own lookup (it holds the key) still answers.
      assert.equal((await sql.query<{ tenant: string | null }>(`select ${name}($1) as tenant`, [integrity.rowMac(kind, [id])])).rows[0]?.tenant, org.orgId, name);
    }
    // Over HTTP the token endpoint still finds the client by its id, and still refuses a wrong secret.
    await secretToken(t, client);
    const refused = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${client.client_id}:pcs_wrong`).toString('base64')}` });
    assert.equal(refused.statusCode, 401);
  });
});
