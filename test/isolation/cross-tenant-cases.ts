// The cross-tenant isolation cases (TEN-1, TEN-2), run on whatever database an app is given: the
// configured test database (cross-tenant.test.ts) or a PostgreSQL server behind PgBouncer
// (pgbouncer.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { PLATFORM_TABLES } from '../../src/schema.ts';
import { inspectTables } from '../../src/platform/db/index.ts';
import type { TestApp } from '../support/app.ts';
import { apiRoutes, urlFor } from '../support/routes.ts';
import { sampleFromSchema } from '../support/schema-sample.ts';
import { seedTenant, settleAudit, type TenantFixture } from './tenant-fixture.ts';

/** Every tenant-owned table with the column that holds its tenant id. */
async function tenantTables(t: TestApp): Promise<{ table: string; column: string }[]> {
  const tables = await t.database.db.withOwner(inspectTables);
  return tables.filter((x) => !PLATFORM_TABLES.has(x.table)).map((x) => ({ table: x.table, column: x.hasTenantId ? 'tenant_id' : 'id' }));
}

/**
 * Tenant A's rows in every table, read inside A's own context: the state nothing may change.
 * The audit inbox is left out: B's refused probes are recorded there as `authz.denied`, by design
 * (checked separately). So are the alert rules' counts of those denials (`security_alert_signals`)
 * and the `authorization_denial_spike` alert they raise in A (IR-5): being probed is A's to know.
 */
async function snapshot(t: TestApp, tenantId: string): Promise<string> {
  const tables = (await tenantTables(t)).filter((x) => x.table !== 'audit_inbox' && x.table !== 'security_alert_signals');
  return t.transactor.withTenant(tenantId, async (tx) => {
    const parts: string[] = [];
    for (const { table } of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by 1, 2`.execute(tx);
      // A binding's last use is written by access control's 30-second background flush of A's own
      // earlier requests, whenever it fires; it is not something B could cause.
      const kept = table === 'security_alerts' ? rows.rows.filter((row) => row['kind'] !== 'authorization_denial_spike') : rows.rows;
      const stable = kept.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'last_used_at')));
      parts.push(`${table}:${JSON.stringify(stable)}`);
    }
    return parts.join('\n');
  });
}

/** Compares two snapshots table by table, so a failure names the table whose rows changed. */
function assertUnchanged(now: string, then: string): void {
  const tables = (text: string) => new Map(text.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line]));
  const a = tables(now);
  for (const [table, rows] of tables(then)) assert.ok(a.get(table) === rows, `tenant A's ${table} rows changed`);
}

/** Registers the cross-tenant suite for the app `open` builds (it is closed after the suite). */
export function crossTenantSuite(name: string, open: () => Promise<TestApp>): void {
  describe(name, () => {
    let t: TestApp;
    let a: TenantFixture;
    let b: TenantFixture;
    let before_: string;

    before(async () => {
      t = await open();
      a = await seedTenant(t, 'a');
      b = await seedTenant(t, 'b');
      await settleAudit(t, [a, b]);
      before_ = await snapshot(t, a.params['orgId'] ?? '');
    });
    after(async () => {
      await t.close();
    });

    it('TEN-1: tenant A has rows in every tenant-owned table, so the checks below are not vacuous', async () => {
      const tables = await tenantTables(t);
      assert.ok(tables.length >= 4);
      await t.transactor.withTenant(a.params['orgId'] ?? '', async (tx) => {
        for (const { table } of tables) {
          const count = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(tx);
          assert.ok((count.rows[0]?.n ?? 0) > 0, `${table} has no rows for tenant A`);
        }
      });
    });

    it("TEN-1: through every tenant-scoped route, tenant B cannot read, update, delete or create in tenant A", async () => {
      const routes = apiRoutes(t.app).filter((route) => route.params.includes('orgId'));
      assert.ok(routes.length >= 13, `expected the tenancy routes, found ${routes.length}`);
      for (const route of routes) {
        const url = urlFor(route, a.params);
        const payload = route.body === undefined ? undefined : sampleFromSchema(route.body, { uuid: () => a.params['projectId'] ?? '', string: () => 'probe by b' });
        const response = await t.inject({ method: route.method as 'GET', url, headers: { cookie: b.cookie }, ...(payload === undefined ? {} : { payload: payload as object }) });
        assert.ok(response.statusCode === 404 || response.statusCode === 403, `${route.method} ${route.path} as tenant B answered ${response.statusCode}: ${response.body}`);
        assert.ok(!response.body.includes('Org a') && !response.body.includes('Project a'), `${route.method} ${route.path} leaked tenant A's data`);
      }
      assertUnchanged(await snapshot(t, a.params['orgId'] ?? ''), before_);
      const aId = a.params['orgId'] ?? '';
      const inbox = await t.transactor.withTenant(aId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
      const added = inbox.map((row) => row.event as { action: string; actor: { id: string } }).filter((event) => event.actor.id === b.userId);
      assert.ok(added.length > 0, "B's probes were not recorded in A's audit log");
      assert.ok(added.every((event) => event.action === 'authz.denied'), 'B caused something other than authz.denied in A');
      const counted = await t.transactor.withTenant(aId, (tx) => tx.selectFrom('security_alert_signals').select('count').where('kind', '=', 'authorization_denial_spike').execute());
      assert.ok(counted.length > 0, "B's refused probes count towards A's authorization_denial_spike rule");
    });

    it("TEN-1: tenant B's listings, searches and exports never include tenant A's objects", async () => {
      const reads = apiRoutes(t.app).filter((route) => route.method === 'GET' && !route.path.endsWith('}'));
      let answered = 0;
      for (const route of reads) {
        const response = await t.inject({ method: 'GET', url: urlFor(route, b.params), headers: { cookie: b.cookie } });
        // The platform's own routes (the platform audit log) refuse anyone but a platform administrator.
        const platformOnly = route.path.startsWith('/api/v1/platform/') && response.statusCode === 403;
        // The researcher portal reads with its own session (a mailed link), never a console session.
        const portalOnly = route.path.startsWith('/api/v1/disclosure/portal/') && response.statusCode === 401;
        assert.ok(response.statusCode === 200 || response.statusCode === 404 || platformOnly || portalOnly, `${route.path}: ${response.body}`);
        if (response.statusCode === 200) answered++;
        for (const id of Object.values(a.params)) assert.ok(!response.body.includes(id), `${route.path} returned tenant A's ${id}`);
      }
      assert.ok(answered >= 6, `only ${answered} read routes answered`);
    });

    it("TEN-1: inside withTenant(B), hand-written SQL sees none of A's rows and cannot change them", async () => {
      const aId = a.params['orgId'] ?? '';
      const asB = <T>(fn: (tx: Parameters<Parameters<TestApp['transactor']['withTenant']>[1]>[0]) => Promise<T>) => t.transactor.withTenant(b.params['orgId'] ?? '', fn);
      /** Runs a write as B: it must change nothing, either by matching no rows (RLS) or by being refused outright (append-only grants). */
      const changesNothing = async (label: string, fn: Parameters<typeof asB>[0]) => {
        try {
          const result = (await asB(fn)) as { numAffectedRows?: bigint };
          assert.equal(result.numAffectedRows, 0n, `${label} changed tenant A's rows`);
        } catch (error) {
          assert.match((error as Error).message, /permission denied|append-only/, label);
        }
      };
      for (const { table, column } of await tenantTables(t)) {
        const seen = await asB((tx) => sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${sql.ref(column)} = ${aId}`.execute(tx));
        assert.equal(seen.rows[0]?.n, 0, `${table}: B sees A's rows`);
        await changesNothing(`update ${table}`, (tx) => sql`update ${sql.table(table)} set ${sql.ref(column)} = ${sql.ref(column)} where ${sql.ref(column)} = ${aId}`.execute(tx));
        await changesNothing(`delete ${table}`, (tx) => sql`delete from ${sql.table(table)} where ${sql.ref(column)} = ${aId}`.execute(tx));
      }
      assertUnchanged(await snapshot(t, aId), before_);
    });

    it("TEN-1: inside withTenant(B), inserting a row for tenant A is refused by the database", async () => {
      const aId = a.params['orgId'] ?? '';
      const now = new Date();
      const attempts: Record<string, (tx: Parameters<Parameters<TestApp['transactor']['withTenant']>[1]>[0]) => Promise<unknown>> = {
        projects: (tx) => tx.insertInto('projects').values({ tenant_id: aId, id: crypto.randomUUID(), name: 'forged', created_at: now, updated_at: now }).execute(),
        environments: (tx) =>
          tx.insertInto('environments').values({ tenant_id: aId, project_id: a.params['projectId'] ?? '', id: crypto.randomUUID(), name: 'forged', kind: 'other', created_at: now, updated_at: now }).execute(),
        memberships: (tx) => tx.insertInto('memberships').values({ tenant_id: aId, user_id: b.userId, role: 'owner', created_at: now }).execute(),
        organizations: (tx) => tx.insertInto('organizations').values({ id: aId, name: 'forged', created_by: null, created_at: now, updated_at: now }).execute(),
        audit_inbox: (tx) => tx.insertInto('audit_inbox').values({ tenant_id: aId, id: crypto.randomUUID(), event: '{}' }).execute(),
        audit_events: (tx) =>
          tx.insertInto('audit_events').values({ tenant_id: aId, seq: 999_999, id: crypto.randomUUID(), occurred_at: now, recorded_at: now, action: 'forged', actor_type: 'user', actor_id: null, outcome: 'success', ip: null, target_ids: [], canonical: Buffer.from('{}'), leaf_hash: Buffer.alloc(32) }).execute(),
        audit_tree_nodes: (tx) => tx.insertInto('audit_tree_nodes').values({ tenant_id: aId, level: 40, index: 0, hash: Buffer.alloc(32) }).execute(),
        audit_tree_heads: (tx) => tx.insertInto('audit_tree_heads').values({ tenant_id: aId, size: 0, root: Buffer.alloc(32), frontier: [], first_seq: 0, updated_at: now }).execute(),
        audit_destinations: (tx) =>
          tx.insertInto('audit_destinations').values({ tenant_id: aId, id: crypto.randomUUID(), kind: 'syslog', format: 'json', name: 'forged', host: 'evil.example.com', port: 6514, url: null, ca_pem: null, secret_sealed: null, enabled: true, created_at: now, updated_at: now }).execute(),
        audit_delivery_cursors: (tx) =>
          tx.insertInto('audit_delivery_cursors').values({ tenant_id: aId, destination_id: a.params['destinationId'] ?? '', next_seq: 0, last_checkpoint_size: 0, attempts: 0, next_attempt_at: now, last_error: null, last_delivered_at: null }).execute(),
        access_roles: (tx) => tx.insertInto('access_roles').values({ tenant_id: aId, id: crypto.randomUUID(), name: 'forged', description: '', permissions: ['audit.read'], created_at: now, updated_at: now }).execute(),
        service_accounts: (tx) => tx.insertInto('service_accounts').values({ tenant_id: aId, id: crypto.randomUUID(), name: 'forged', description: '', created_by: null, created_at: now, disabled_at: null }).execute(),
        role_bindings: (tx) =>
          tx.insertInto('role_bindings').values({ tenant_id: aId, id: crypto.randomUUID(), principal_type: 'user', principal_id: b.userId, built_in_role: 'tenant_admin', custom_role_id: null, project_id: null, environment_id: null, conditions: null, expires_at: null, grant_id: null, created_by: null, created_at: now, last_used_at: null }).execute(),
        oauth_clients: (tx) =>
          tx.insertInto('oauth_clients').values({ tenant_id: aId, id: crypto.randomUUID(), service_account_id: a.params['serviceAccountId'] ?? '', name: 'forged', token_endpoint_auth_method: 'client_secret_basic', secret_hash: Buffer.alloc(32), jwks: null, created_by: null, created_at: now }).execute(),
        oauth_assertion_jtis: (tx) => tx.insertInto('oauth_assertion_jtis').values({ tenant_id: aId, client_id: a.params['clientId'] ?? '', jti: 'forged', expires_at: now }).execute(),
        audit_settings: (tx) => tx.insertInto('audit_settings').values({ tenant_id: aId, retention_days: 1, updated_at: now }).execute(),
        access_requests: (tx) =>
          tx.insertInto('access_requests').values({ tenant_id: aId, id: crypto.randomUUID(), requester_id: b.userId, principal_id: b.userId, operator: false, role: 'tenant_admin', project_id: null, environment_id: null, reason: 'forged request', duration_minutes: 60, break_glass: false, status: 'approved', decided_by: b.userId, decided_at: now, binding_id: null, expires_at: null, created_at: now }).execute(),
        security_alerts: (tx) =>
          tx.insertInto('security_alerts').values({ tenant_id: aId, id: crypto.randomUUID(), kind: 'break_glass', severity: 'low', summary: 'forged', actor_id: null, subject_type: null, subject_id: null, created_at: now, acknowledged_at: now, acknowledged_by: b.userId }).execute(),
        security_alert_signals: (tx) => tx.insertInto('security_alert_signals').values({ tenant_id: aId, kind: 'lockouts', subject_type: 'organization', subject_id: aId, window_start: now, count: 99 }).execute(),
        organization_security_policies: (tx) =>
          tx.insertInto('organization_security_policies').values({ tenant_id: aId, mfa_required: false, allowed_mfa_methods: ['totp'], session_idle_minutes: null, session_absolute_hours: null, ip_allowlist: ['0.0.0.0/0'], updated_by: b.userId, updated_at: now }).execute(),
        organization_settings: (tx) => tx.insertInto('organization_settings').values({ tenant_id: aId, risky_writes: 'approval', updated_by: b.userId, updated_at: now }).execute(),
        risky_write_approvals: (tx) =>
          tx.insertInto('risky_write_approvals').values({ tenant_id: aId, id: crypto.randomUUID(), operation: 'organization.delete', params: '{}', requested_by: b.userId, status: 'approved', decided_by: b.userId, decided_at: now, created_at: now }).execute(),
        api_keys: (tx) =>
          tx.insertInto('api_keys').values({ tenant_id: aId, id: crypto.randomUUID(), name: 'forged', mode: 'live', secret_hash: Buffer.alloc(32), role: null, permissions: ['audit.read'], project_id: null, environment_id: null, signing_secret_sealed: null, created_by_type: 'user', created_by: b.userId, created_at: now, expires_at: new Date(now.getTime() + 86_400_000), rotated_to: null, rotated_from: null, retires_at: null, revoked_at: null, revoked_by: null, last_used_at: null, last_used_ip: null }).execute(),
        api_key_signatures: (tx) => tx.insertInto('api_key_signatures').values({ tenant_id: aId, signature_hash: Buffer.alloc(32), key_id: a.params['keyId'] ?? '', expires_at: now }).execute(),
        tenant_keys: (tx) =>
          tx.insertInto('tenant_keys').values({ tenant_id: aId, version: 99, state: 'active', root_version: 'local/1', wrapped: Buffer.alloc(60), wrapped_at: now, encryptions: 0, created_at: now, retired_at: null, destroyed_at: null }).execute(),
        secrets: (tx) =>
          tx.insertInto('secrets').values({ tenant_id: aId, id: crypto.randomUUID(), project_id: a.params['projectId'] ?? '', environment_id: a.params['environmentId'] ?? '', name: 'FORGED', current_version: 1, created_at: now, updated_at: now, deleted_at: null, deleted_by: null }).execute(),
        secret_versions: (tx) =>
          tx.insertInto('secret_versions').values({ tenant_id: aId, secret_id: crypto.randomUUID(), id: crypto.randomUUID(), version: 1, value_encrypted: 'pk1.1.forged.forged', created_at: now, created_by_type: 'user', created_by: b.userId, superseded_at: null }).execute(),
        retention_settings: (tx) => tx.insertInto('retention_settings').values({ tenant_id: aId, data_type: 'security_events', days: 30, updated_by: b.userId, updated_at: now }).execute(),
        organization_deletions: (tx) =>
          tx.insertInto('organization_deletions').values({ tenant_id: aId, id: crypto.randomUUID(), requested_by: b.userId, requested_at: now, purge_after: now, cancelled_at: null, cancelled_by: null, notified_at: null }).execute(),
        invitations: (tx) =>
          tx.insertInto('invitations').values({ tenant_id: aId, id: crypto.randomUUID(), email: 'forged@example.com', email_normalized: 'forged@example.com', role: 'tenant_admin', token_hash: Buffer.alloc(32, 9), invited_by: b.userId, created_at: now, expires_at: new Date(now.getTime() + 86_400_000), accepted_at: null, accepted_by: null, revoked_at: null }).execute(),
        trust_canary: (tx) => tx.insertInto('trust_canary').values({ tenant_id: aId, id: crypto.randomUUID(), written_at: now }).execute(),
        // AUD-2: a forged verified position would let B skip A's log verification.
        trust_log_positions: (tx) => tx.insertInto('trust_log_positions').values({ tenant_id: aId, size: 999_999, root: 'forged', frontier: '', note: 'forged', verified_at: now, full_verified_at: now }).execute(),
        oidc_applications: (tx) =>
          tx.insertInto('oidc_applications').values({ tenant_id: aId, id: crypto.randomUUID(), project_id: a.params['projectId'] ?? '', environment_id: a.params['environmentId'] ?? '', name: 'forged', client_type: 'public', first_party: true, redirect_uris: ['https://evil.example.com/cb'], post_logout_redirect_uris: [], scopes: ['openid'], backchannel_logout_uri: null, secret_hash: null, created_by: null, created_at: now }).execute(),
        audit_checkpoints: (tx) => tx.insertInto('audit_checkpoints').values({ tenant_id: aId, size: 999_999, kind: 'regular', root: Buffer.alloc(32), note: 'forged', key_id: 'x', created_at: now }).execute(),
        // AUTH-4 (sso module).
        sso_connections: (tx) =>
          tx.insertInto('sso_connections').values({ tenant_id: aId, id: crypto.randomUUID(), name: 'forged', protocol: 'oidc', enabled: true, default_role: 'tenant_admin', oidc_issuer: 'https://evil.example.com', oidc_client_id: 'x', oidc_client_secret_sealed: null, oidc_scopes: 'openid', saml_idp_entity_id: null, saml_idp_sso_url: null, saml_idp_certs: null, saml_allow_idp_initiated: false, created_at: now, updated_at: now }).execute(),
        sso_domains: (tx) => tx.insertInto('sso_domains').values({ tenant_id: aId, id: crypto.randomUUID(), domain: 'forged.example.com', connection_id: null, verification_token: 'x', verified_at: now, created_at: now }).execute(),
        sso_login_states: (tx) =>
          tx.insertInto('sso_login_states').values({ tenant_id: aId, connection_id: a.params['connectionId'] ?? '', state_hash: Buffer.alloc(32, 7), nonce: null, code_verifier: null, request_id: '_forged', return_to: null, created_at: now, expires_at: now, used_at: null }).execute(),
        sso_policies: (tx) => tx.insertInto('sso_policies').values({ tenant_id: aId, require_sso: true, break_glass_user_ids: [b.userId], updated_by: b.userId, updated_at: now }).execute(),
        sso_group_role_rules: (tx) => tx.insertInto('sso_group_role_rules').values({ tenant_id: aId, connection_id: a.params['connectionId'] ?? '', id: crypto.randomUUID(), group_name: 'forged', role: 'tenant_admin', project_id: null, created_at: now }).execute(),
        sso_setup_links: (tx) => tx.insertInto('sso_setup_links').values({ tenant_id: aId, id: crypto.randomUUID(), secret_mac: Buffer.alloc(32, 5), created_by: b.userId, created_at: now, expires_at: new Date(now.getTime() + 3_600_000), revoked_at: null, opened_at: null, session_digest: null, last_test_at: null, last_test_outcome: null }).execute(),
        sso_group_bindings: (tx) => tx.insertInto('sso_group_bindings').values({ tenant_id: aId, connection_id: a.params['connectionId'] ?? '', user_id: b.userId, rule_id: crypto.randomUUID(), binding_id: crypto.randomUUID(), created_at: now }).execute(),
        scim_directories: (tx) => tx.insertInto('scim_directories').values({ tenant_id: aId, id: crypto.randomUUID(), name: 'forged', default_role: 'tenant_admin', token_hash: Buffer.alloc(32, 5), token_issued_at: now, created_by: b.userId, created_at: now }).execute(),
        scim_group_roles: (tx) => tx.insertInto('scim_group_roles').values({ tenant_id: aId, directory_id: a.params['directoryId'] ?? '', id: crypto.randomUUID(), group_name: 'forged', role: 'tenant_admin', created_at: now }).execute(),
        scim_users: (tx) =>
          tx.insertInto('scim_users').values({ tenant_id: aId, directory_id: a.params['directoryId'] ?? '', id: crypto.randomUUID(), user_id: b.userId, user_name: 'forged@example.com', external_id: null, active: true, display_name: null, given_name: null, family_name: null, emails: '[]' as never, applied_roles: [], created_at: now, updated_at: now }).execute(),
        scim_groups: (tx) => tx.insertInto('scim_groups').values({ tenant_id: aId, directory_id: a.params['directoryId'] ?? '', id: crypto.randomUUID(), display_name: 'forged', external_id: null, created_at: now, updated_at: now }).execute(),
        scim_group_members: (tx) => tx.insertInto('scim_group_members').values({ tenant_id: aId, group_id: crypto.randomUUID(), scim_user_id: crypto.randomUUID() }).execute(),
        oidc_resource_servers: (tx) =>
          tx.insertInto('oidc_resource_servers').values({ tenant_id: aId, id: crypto.randomUUID(), project_id: a.params['projectId'] ?? '', environment_id: a.params['environmentId'] ?? '', application_id: null, name: 'forged', identifier: 'https://evil.example.com/', scopes: ['orders:read'], access_token_ttl_seconds: 3600, created_by: null, created_at: now }).execute(),
        oidc_branding: (tx) => tx.insertInto('oidc_branding').values({ tenant_id: aId, display_name: 'forged', logo_url: 'https://evil.example.com/logo.png', primary_color: '#000000', background_color: null, updated_by: b.userId, updated_at: now }).execute(),
        oidc_sign_up_settings: (tx) => tx.insertInto('oidc_sign_up_settings').values({ tenant_id: aId, environment_id: a.params['environmentId'] ?? '', mode: 'open', allowed_domains: [], updated_by: b.userId, updated_at: now }).execute(),
        oidc_sign_ups: (tx) =>
          tx.insertInto('oidc_sign_ups').values({ tenant_id: aId, id: crypto.randomUUID(), environment_id: a.params['environmentId'] ?? '', client_id: crypto.randomUUID(), email: 'forged@example.com', email_normalized: 'forged@example.com', password_hash: 'x', token_hash: Buffer.alloc(32, 4), created_at: now, expires_at: now, used_at: null }).execute(),
        incident_notices: (tx) => tx.insertInto('incident_notices').values({ tenant_id: aId, id: crypto.randomUUID(), incident_id: crypto.randomUUID(), template: 'breach', subject: 'forged', body: 'forged notice', mail_ids: [], sent_at: now }).execute(),
      };
      const tables = (await tenantTables(t)).map((x) => x.table).sort();
      assert.deepEqual(Object.keys(attempts).sort(), tables, 'every tenant-owned table needs a forged-insert case here');
      for (const [table, attempt] of Object.entries(attempts)) {
        await assert.rejects(
          t.transactor.withTenant(b.params['orgId'] ?? '', attempt),
          (error: Error) => /row-level security|duplicate key/.test(error.message),
          `${table}: insert for tenant A was not refused`,
        );
      }
      assertUnchanged(await snapshot(t, aId), before_);
    });

    it('TEN-1: with no tenant set, every tenant-owned table returns no rows', async () => {
      for (const { table } of await tenantTables(t)) {
        const count = await t.transactor.withPlatform((tx) => sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(tx));
        assert.equal(count.rows[0]?.n, 0, `${table} returned rows with no tenant set`);
      }
    });

    it('TEN-1: a user with no tenant set sees only their own memberships and organizations', async () => {
      const rows = await t.transactor.withActor(b.userId, (tx) => tx.selectFrom('organizations').select('id').execute());
      assert.deepEqual(rows.map((r) => r.id), [b.params['orgId']]);
      const memberships = await t.transactor.withActor(b.userId, (tx) => tx.selectFrom('memberships').select('tenant_id').execute());
      assert.deepEqual(memberships.map((r) => r.tenant_id), [b.params['orgId']]);
    });

    it('TEN-1: SQL that sets another tenant id without the context MAC is refused', async () => {
      await assert.rejects(
        t.transactor.withTenant(b.params['orgId'] ?? '', async (tx) => {
          await sql`select set_config('parapet.context', ${`${a.params['orgId'] ?? ''}|`}, true)`.execute(tx);
          return sql`select * from projects`.execute(tx);
        }),
        /tenant context is not authenticated/,
      );
      await assert.rejects(
        t.transactor.withTenant(b.params['orgId'] ?? '', async (tx) => {
          await sql`select set_config('parapet.context', ${`${a.params['orgId'] ?? ''}|`}, true), set_config('parapet.context_mac', ${'0'.repeat(64)}, true)`.execute(tx);
          return sql`select * from projects`.execute(tx);
        }),
        /tenant context is not authenticated/,
      );
    });
  });
}
