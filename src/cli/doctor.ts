import { schemaMigrations } from '../schema.ts';
import { randomUUID, X509Certificate } from 'node:crypto';
import { sql } from 'kysely';
import { isLoopback } from '../config/index.ts';
import type { AppTransactor, DB } from '../database.ts';
import { recordingLosses } from '../modules/audit/api-call-buffer.ts';
import { PLATFORM_TABLES } from '../schema.ts';
import { postgresConnectionConfig } from '../platform/db/postgres-tls.ts';
import { loadTlsPair } from '../platform/http/tls.ts';
import { readKeyring, type Keyring } from '../platform/crypto/keyring.ts';
import { keyProviderFor } from '../modules/keys/keys.ts';
import { createRowIntegrity } from '../modules/identity/row-integrity.ts';
import { keyValid } from '../modules/api-keys/key-integrity.ts';
import { bindingValid, roleValid } from '../modules/access/binding-integrity.ts';
import { connectionValid, domainVerified } from '../modules/sso/sso-integrity.ts';
import { recoveryCodeValid, totpFactorValid } from '../modules/identity/mfa/factor-integrity.ts';
import { passkeyValid } from '../modules/passkeys/passkey-integrity.ts';
import { SETUP_TOKEN_ROW, setupTokenFields } from '../modules/identity/setup-service.ts';
import { refreshTokenValid } from '../modules/tokens/user-tokens-store.ts';
import { USER_EMAIL_ROW, userEmailFields } from '../modules/identity/identity-store.ts';
import { ACCOUNT_TOKEN_ROW, accountTokenFields } from '../modules/accounts/account-tokens.ts';
import { PENDING_LOGIN_ROW, pendingLoginFields } from '../modules/identity/mfa/mfa-store.ts';
import type { Config } from '../config/index.ts';
import {
  APP_ROLE,
  createContextSigner,
  createTransactor,
  inspectTables,
  isolationViolations,

  type Database,
} from '../platform/db/index.ts';
import { JOBS_ROLE, requiredJobsLogin } from '../platform/db/jobs-login.ts';
import type { Command } from './context.ts';
import { openOperatorData, ServerHoldsData, type OperatorData } from './open-data.ts';

type Status = 'ok' | 'warn' | 'fail';
interface Check {
  readonly name: string;
  readonly status: Status;
  readonly detail: string;
}

async function databaseChecks(db: Database<DB>, keyring: Keyring | undefined, separateUrls: boolean, jobsUrl: string | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  const who = await sql<{ user: string; superuser: boolean; bypassrls: boolean; owned: string | number }>`
    select current_user as user, r.rolsuper as superuser, r.rolbypassrls as bypassrls,
           (select count(*) from pg_class c where c.relowner = r.oid and c.relkind in ('r', 'p', 'v', 'm', 'S')) as owned
      from pg_roles r where r.rolname = current_user`.execute(db.app);
  const me = who.rows[0];
  checks.push({ name: 'database reachable', status: 'ok', detail: db.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL server' });
  if (db.kind === 'pglite') {
    checks.push({ name: 'database roles', status: 'ok', detail: 'embedded PGlite: requests run as parapet_app via SET ROLE; the session itself is a superuser, so RLS guards against application bugs, not injected SQL' });
  } else if (me === undefined || me.user !== APP_ROLE) {
    checks.push({ name: 'database roles', status: 'fail', detail: `the application logs in as ${String(me?.user)}; it must log in as ${APP_ROLE}` });
  } else if (me.superuser || me.bypassrls || Number(me.owned) > 0) {
    checks.push({ name: 'database roles', status: 'fail', detail: `${APP_ROLE} must be NOSUPERUSER, NOBYPASSRLS and own nothing (superuser=${me.superuser}, bypassrls=${me.bypassrls}, owns ${me.owned})` });
  } else {
    checks.push({ name: 'database roles', status: 'ok', detail: `${APP_ROLE}: not superuser, no BYPASSRLS, owns nothing` });
  }
  if (db.kind === 'postgres' && !separateUrls) {
    checks.push({ name: 'migration login', status: 'warn', detail: 'PARAPET_MIGRATION_DATABASE_URL is not set: migrations use the application login; give them parapet_owner' });
  }

  await db.withOwner(async (session) => {
    const files = schemaMigrations();
    let applied: { name: string; checksum: string }[] = [];
    try {
      applied = await session.query<{ name: string; checksum: string }>('select name, checksum from parapet_migrations');
    } catch {
      applied = [];
    }
    const byName = new Map(applied.map((row) => [row.name, row.checksum]));
    const pending = files.filter((file) => !byName.has(file.name)).map((file) => file.name);
    const edited = files.filter((file) => byName.has(file.name) && byName.get(file.name) !== file.checksum).map((file) => file.name);
    if (edited.length > 0) checks.push({ name: 'migrations', status: 'fail', detail: `edited after being applied: ${edited.join(', ')}` });
    else if (pending.length > 0) checks.push({ name: 'migrations', status: 'fail', detail: `pending: ${pending.join(', ')} (run parapet migrate)` });
    else checks.push({ name: 'migrations', status: 'ok', detail: `${files.length} applied, checksums match` });

    const violations = isolationViolations(await inspectTables(session), PLATFORM_TABLES);
    checks.push(
      violations.length === 0
        ? { name: 'row-level security', status: 'ok', detail: 'every tenant table has RLS enabled and forced' }
        : { name: 'row-level security', status: 'fail', detail: violations.join('; ') },
    );
  });

  checks.push(...(await injectedSqlChecks(db, keyring, jobsUrl)));
  if (keyring !== undefined) {
    const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
    const tenant = randomUUID();
    try {
      const row = await transactor.withTenant(tenant, async (tx) => (await sql<{ t: string }>`select parapet_tenant()::text as t`.execute(tx)).rows[0]);
      checks.push(
        row?.t === tenant
          ? { name: 'key provider', status: 'ok', detail: 'local keyring loaded; tenant-context key matches the database' }
          : { name: 'key provider', status: 'fail', detail: 'tenant context did not round-trip' },
      );
    } catch (error) {
      checks.push({ name: 'key provider', status: 'fail', detail: `tenant-context key does not match the database: ${(error as Error).message}` });
    }
    checks.push(await apiRecordLossCheck(transactor));
  }
  return checks;
}

/**
 * Issue 13: what SQL injected as parapet_app could do. TEMP must be revoked (a server only: PGlite's
 * session is a superuser), and rows trusted for authentication must carry valid MACs — a row
 * without one is refused by the application, and one that appears after the upgrade was written
 * by hand.
 */
async function injectedSqlChecks(db: Database<DB>, keyring: Keyring | undefined, jobsUrl: string | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  const temp = await sql<{ temp: boolean }>`select has_database_privilege(${APP_ROLE}, current_database(), 'TEMPORARY') as temp`.execute(db.app);
  if (db.kind === 'pglite') {
    checks.push({ name: 'temporary objects', status: 'warn', detail: 'embedded PGlite: the session is a superuser, so injected SQL can create temporary objects whatever is granted' });
  } else if (temp.rows[0]?.temp !== false) {
    checks.push({ name: 'temporary objects', status: 'fail', detail: `${APP_ROLE} may create temporary tables and functions: REVOKE TEMPORARY ON DATABASE … FROM PUBLIC (scripts/postgres-setup.sh)` });
  } else {
    checks.push({ name: 'temporary objects', status: 'ok', detail: `${APP_ROLE} cannot create temporary tables or functions` });
  }
  checks.push(...(await definerChecks(db)));
  checks.push(await contextBindingCheck(db));
  checks.push(await jobsLoginCheck(db, jobsUrl));
  if (keyring === undefined) return checks;
  const integrity = createRowIntegrity(keyring.derive('row-integrity'));
  const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
  let rows;
  try {
    rows = await transactor.withPlatform(async (tx) => ({
      sessions: await tx.selectFrom('sessions').select(['id', 'token_hash', 'user_id', 'auth_methods', 'created_at', 'authenticated_at', 'integrity_mac']).where('revoked_at', 'is', null).where('absolute_expires_at', '>', new Date()).execute(),
      operators: await tx.selectFrom('users').select(['id', 'is_platform_admin', 'platform_admin_mac']).where('is_platform_admin', '=', true).execute(),
    }));
  } catch (error) {
    // The database roles check already explains a login that cannot run requests.
    checks.push({ name: 'row integrity', status: 'fail', detail: `sessions and operator flags could not be read as ${APP_ROLE}: ${(error as Error).message}` });
    return checks;
  }
  const { sessions, operators } = rows;
  const badSessions = sessions.filter((row) => !integrity.sessionValid(row)).length;
  const badOperators = operators.filter((row) => !integrity.isPlatformAdmin(row)).length;
  checks.push(
    badSessions + badOperators === 0
      ? { name: 'row integrity', status: 'ok', detail: `${sessions.length} live sessions and ${operators.length} operator flags carry valid MACs` }
      : { name: 'row integrity', status: 'warn', detail: `${badSessions} live sessions and ${badOperators} operator flags carry no valid MAC and are refused (written before the upgrade, or by hand)` },
  );
  checks.push(await rowMacCounts(transactor, integrity));
  checks.push(await secretsAtRest(transactor, integrity));
  checks.push(await accountLinking(transactor, integrity));
  return checks;
}

/**
 * Issue 13, property 2: secrets at rest are sealed or keyed (docs/tenancy.md "Secrets at rest").
 * Warns on password hashes stored in the clear or sealed for another account (neither signs anyone
 * in), on copies migration 0094 left unsealed (the next start seals them), and on live token and
 * recovery-code digests not yet keyed (the next start keys those whose MAC verifies).
 */
async function secretsAtRest(transactor: AppTransactor, integrity: ReturnType<typeof createRowIntegrity>): Promise<Check> {
  try {
    const now = new Date();
    const counted = await transactor.withPlatform(async (tx) => {
      const users = await tx.selectFrom('users').select(['id', 'password_hash']).where('password_hash', 'like', '$argon2%').execute();
      const sealed = await tx.selectFrom('users').select(['id', 'password_hash']).where('password_hash', 'like', 'ph1.%').execute();
      const unkeyed = async (query: Promise<{ n: string | number | bigint }>) => Number((await query).n);
      return {
        plain: users.length,
        sealed: sealed.length,
        foreign: sealed.filter((row) => integrity.openPasswordHash(row) === undefined).length,
        sessions: await unkeyed(tx.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).where('digest_keyed', '=', false).where('revoked_at', 'is', null).where('absolute_expires_at', '>', now).executeTakeFirstOrThrow()),
        refresh_tokens: await unkeyed(tx.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll().as('n')).where('digest_keyed', '=', false).where('family_expires_at', '>', now).executeTakeFirstOrThrow()),
        setup_tokens: await unkeyed(tx.selectFrom('setup_tokens').select((eb) => eb.fn.countAll().as('n')).where('digest_keyed', '=', false).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirstOrThrow()),
        mfa_recovery_codes: await unkeyed(tx.selectFrom('mfa_recovery_codes').select((eb) => eb.fn.countAll().as('n')).where('digest_keyed', '=', false).where('used_at', 'is', null).executeTakeFirstOrThrow()),
      };
    });
    const pending = await transactor.withJobs(async (tx) => Number((await sql<{ n: string }>`select count(*) as n from users_password_upgrade`.execute(tx)).rows[0]?.n ?? 0));
    const unkeyed = { sessions: counted.sessions, refresh_tokens: counted.refresh_tokens, setup_tokens: counted.setup_tokens, mfa_recovery_codes: counted.mfa_recovery_codes };
    const unkeyedTotal = Object.values(unkeyed).reduce((a, b) => a + b, 0);
    if (counted.plain + counted.foreign + pending + unkeyedTotal === 0) {
      return { name: 'secrets at rest', status: 'ok', detail: `${counted.sealed} password hashes sealed to their accounts; every live session, refresh-token, setup-link and unused recovery-code digest is keyed; TOTP seeds are field-encrypted` };
    }
    const digestSummary = Object.entries(unkeyed).map(([table, n]) => `${table} ${n}`).join(', ');
    return { name: 'secrets at rest', status: 'warn', detail: `password hashes in the clear: ${counted.plain} (${pending} awaiting the next start's sealing; the others sign nobody in), sealed for another account: ${counted.foreign}; digests not keyed: ${digestSummary} (the next start keys those with a valid MAC)` };
  } catch (error) {
    return { name: 'secrets at rest', status: 'fail', detail: `users and digests could not be read as ${APP_ROLE}: ${(error as Error).message}` };
  }
}

/**
 * Issue 13 (h13): what account linking and account links rely on. Warns on users whose address
 * carries no valid MAC (found by no address: changed by hand, or awaiting the next start's upgrade),
 * live account links and pending MFA sign-ins without a valid MAC (refused), copies that migrations
 * 0122 and 0124 left for the next start, and fails when parapet_audit_record_for_member still has a
 * form without the application's authority (migration 0121). Quiet: passes no logger.
 */
async function accountLinking(transactor: AppTransactor, integrity: ReturnType<typeof createRowIntegrity>): Promise<Check> {
  try {
    const now = new Date();
    const [users, links, pending] = await transactor.withPlatform(async (tx) => [
      await tx.selectFrom('users').select(['id', 'email', 'email_normalized', 'email_mac']).execute(),
      await tx.selectFrom('account_tokens').selectAll().where('used_at', 'is', null).where('expires_at', '>', now).execute(),
      await tx.selectFrom('mfa_pending_logins').selectAll().where('consumed_at', 'is', null).where('expires_at', '>', now).execute(),
    ] as const);
    const copies = await transactor.withJobs(async (tx) => ({
      emails: (await tx.selectFrom('users_email_upgrade').select('user_id').execute()).length,
      invitations: (await tx.selectFrom('invitations_digest_upgrade').select('id').execute()).length,
    }));
    const forms = await transactor.withPlatform(async (tx) => (await sql<{ args: string }>`select pg_get_function_identity_arguments(p.oid) as args from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.proname = 'parapet_audit_record_for_member'`.execute(tx)).rows.map((row) => row.args));
    const unbound = forms.filter((args) => !/\bmac\b/.test(args));
    const invalid = {
      users: users.filter((row) => !integrity.rowValid(USER_EMAIL_ROW, userEmailFields(row), row.email_mac, { table: 'users', id: row.id })).length,
      account_tokens: links.filter((row) => !integrity.rowValid(ACCOUNT_TOKEN_ROW, accountTokenFields(row), row.integrity_mac, { table: 'account_tokens', id: row.id })).length,
      mfa_pending_logins: pending.filter((row) => !integrity.rowValid(PENDING_LOGIN_ROW, pendingLoginFields(row), row.integrity_mac, { table: 'mfa_pending_logins', id: row.id })).length,
    };
    const summary = `addresses ${invalid.users}/${users.length} without a valid MAC, live account links ${invalid.account_tokens}/${links.length}, pending MFA sign-ins ${invalid.mfa_pending_logins}/${pending.length}; copies awaiting the next start: addresses ${copies.emails}, invitation digests ${copies.invitations}`;
    if (unbound.length > 0 || forms.length === 0) return { name: 'account linking', status: 'fail', detail: `parapet_audit_record_for_member without the application's authority (${forms.join('; ') || 'missing'}): SQL could write events in any user's name` };
    const bad = invalid.users + invalid.account_tokens + invalid.mfa_pending_logins + copies.emails + copies.invitations;
    return bad === 0
      ? { name: 'account linking', status: 'ok', detail: `every address, live account link and pending MFA sign-in carries a valid MAC; member audit copies need the application's MAC (${summary})` }
      : { name: 'account linking', status: 'warn', detail: `rows the application refuses (written by hand, or before the upgrade) or not yet upgraded: ${summary}` };
  } catch (error) {
    return { name: 'account linking', status: 'fail', detail: `addresses, account links and pending sign-ins could not be read as ${APP_ROLE}: ${(error as Error).message}` };
  }
}

/**
 * Issue 13, property 1: per table, the rows without a valid MAC (refused by the application; the
 * failures are also logged as `row_integrity_failed`). API keys and role bindings are tenant rows:
 * read organization by organization (the list comes from the jobs context). Quiet: this check
 * computes MACs itself, so it passes no logger and logs nothing.
 */
async function rowMacCounts(transactor: AppTransactor, integrity: ReturnType<typeof createRowIntegrity>): Promise<Check> {
  try {
    const counts = { api_keys: { all: 0, invalid: 0 }, role_bindings: { all: 0, invalid: 0 }, access_roles: { all: 0, invalid: 0 }, sso_connections: { all: 0, invalid: 0 }, sso_domains: { all: 0, invalid: 0 }, refresh_tokens: { all: 0, invalid: 0 }, totp_factors: { all: 0, invalid: 0 }, mfa_recovery_codes: { all: 0, invalid: 0 }, passkeys: { all: 0, invalid: 0 }, setup_tokens: { all: 0, invalid: 0 } };
    const tenants = await transactor.withJobs(async (tx) => (await sql<{ id: string }>`select parapet_lifecycle_tenants() as id`.execute(tx)).rows.map((row) => row.id));
    for (const tenantId of tenants) {
      await transactor.withTenant(tenantId, async (tx) => {
        const keys = await tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).execute();
        const bindings = await tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).execute();
        counts.api_keys.all += keys.length;
        counts.api_keys.invalid += keys.filter((row) => !keyValid(integrity, row)).length;
        counts.role_bindings.all += bindings.length;
        counts.role_bindings.invalid += bindings.filter((row) => !bindingValid(integrity, row)).length;
        const roles = await tx.selectFrom('access_roles').selectAll().where('tenant_id', '=', tenantId).execute();
        counts.access_roles.all += roles.length;
        counts.access_roles.invalid += roles.filter((row) => !roleValid(integrity, row)).length;
        const connections = await tx.selectFrom('sso_connections').selectAll().where('tenant_id', '=', tenantId).execute();
        counts.sso_connections.all += connections.length;
        counts.sso_connections.invalid += connections.filter((row) => !connectionValid(integrity, row)).length;
        // Only verifications count: an unverified domain routes nothing and carries no MAC.
        const domains = await tx.selectFrom('sso_domains').selectAll().where('tenant_id', '=', tenantId).where('verified_at', 'is not', null).execute();
        counts.sso_domains.all += domains.length;
        counts.sso_domains.invalid += domains.filter((row) => !domainVerified(integrity, row)).length;
      });
    }
    const tokens = await transactor.withPlatform((tx) => tx.selectFrom('refresh_tokens').selectAll().where('family_expires_at', '>', new Date()).execute());
    counts.refresh_tokens = { all: tokens.length, invalid: tokens.filter((row) => !refreshTokenValid(integrity, row)).length };
    const [factors, codes, passkeys, links] = await transactor.withPlatform(async (tx) => [
      await tx.selectFrom('totp_factors').select(['id', 'user_id', 'created_at', 'integrity_mac']).execute(),
      await tx.selectFrom('mfa_recovery_codes').select(['user_id', 'code_hash', 'created_at', 'integrity_mac']).where('used_at', 'is', null).execute(),
      await tx.selectFrom('passkeys').select(['id', 'user_id', 'credential_id', 'public_key', 'user_handle', 'backup_eligible', 'created_at', 'integrity_mac']).execute(),
      await tx.selectFrom('setup_tokens').selectAll().where('used_at', 'is', null).where('expires_at', '>', new Date()).execute(),
    ] as const);
    counts.totp_factors = { all: factors.length, invalid: factors.filter((row) => !totpFactorValid(integrity, row)).length };
    counts.mfa_recovery_codes = { all: codes.length, invalid: codes.filter((row) => !recoveryCodeValid(integrity, row)).length };
    counts.passkeys = { all: passkeys.length, invalid: passkeys.filter((row) => !passkeyValid(integrity, row)).length };
    counts.setup_tokens = { all: links.length, invalid: links.filter((row) => !integrity.rowValid(SETUP_TOKEN_ROW, setupTokenFields(row), row.integrity_mac, { table: 'setup_tokens', id: row.id })).length };
    const bad = Object.values(counts).filter((count) => count.invalid > 0);
    const summary = Object.entries(counts).map(([table, count]) => `${table} ${count.invalid}/${count.all} without`).join(', ');
    return bad.length === 0
      ? { name: 'row MACs', status: 'ok', detail: `every API key, role binding, custom role, SSO connection, domain verification, live refresh token, TOTP factor, unused recovery code, passkey and live setup link carries a valid MAC (${summary})` }
      : { name: 'row MACs', status: 'warn', detail: `rows without a valid MAC, refused by the application (written before the upgrade, or by hand): ${summary}` };
  } catch (error) {
    return { name: 'row MACs', status: 'fail', detail: `API keys, role bindings, custom roles, SSO links, refresh tokens and second factors could not be read as ${APP_ROLE}: ${(error as Error).message}` };
  }
}

/**
 * Issue 13, property 3: the tenant context is bound to its backend, transaction and a short expiry
 * (migration 0028): enter_context takes the MAC as an argument, parapet_app cannot set or advance
 * the binding sequence, and no `parapet.context_mac` setting is used any more.
 */
async function contextBindingCheck(db: Database<DB>): Promise<Check> {
  const row = (await sql<{ enter: boolean; setval: boolean; usage: boolean }>`
    select exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'parapet_private' and p.proname = 'enter_context' and p.pronargs = 3) as enter,
           has_sequence_privilege(${APP_ROLE}, 'parapet_private.context_binding', 'UPDATE') as setval,
           has_sequence_privilege(${APP_ROLE}, 'parapet_private.context_binding', 'USAGE') as usage`.execute(db.app)).rows[0];
  if (row === undefined || !row.enter) return { name: 'context binding', status: 'fail', detail: 'parapet_private.enter_context(context, expires_at, mac) is missing: run parapet migrate' };
  if (row.setval || row.usage) return { name: 'context binding', status: 'fail', detail: `${APP_ROLE} may set or advance parapet_private.context_binding, so it could record a context it never verified` };
  if (db.kind === 'pglite') return { name: 'context binding', status: 'warn', detail: 'the context MAC is bound to the backend, the transaction and an expiry of seconds; on embedded PGlite injected SQL can RESET ROLE and read the context key, so the binding holds against application bugs only' };
  return { name: 'context binding', status: 'ok', detail: `the context MAC is bound to the backend, the transaction and an expiry of seconds; ${APP_ROLE} cannot set the binding sequence` };
}

/**
 * Issue 13, property 4 (second half): the tenant-listing functions answer only on the jobs login
 * (migration 0097) when one is recorded — read through the owner login, since parapet_app cannot
 * read parapet_private — and the configured jobs URL logs in as that login, which must not be
 * the request login and must be able to SET ROLE parapet_app.
 */
async function jobsLoginCheck(db: Database<DB>, jobsUrl: string | undefined): Promise<Check> {
  if (db.kind === 'pglite') return { name: 'jobs login', status: 'warn', detail: 'embedded PGlite has one (superuser) session: jobs and requests share it; the tenant-listing functions answer only in the verified jobs context' };
  let required: string | undefined;
  try {
    required = await requiredJobsLogin(db);
  } catch (error) {
    return { name: 'jobs login', status: 'warn', detail: `could not read which login jobs must use (needs the owner login, PARAPET_MIGRATION_DATABASE_URL): ${(error as Error).message}` };
  }
  const configured = jobsUrl === undefined ? undefined : decodeURIComponent(new URL(jobsUrl).username);
  if (required === undefined) {
    return { name: 'jobs login', status: 'warn', detail: `jobs share the ${APP_ROLE} login with requests: SQL injected inside a job's transaction could list tenants. Set PARAPET_JOBS_DATABASE_URL to the ${JOBS_ROLE} login (scripts/postgres-setup.sh creates it) and restart` };
  }
  if (required === APP_ROLE) return { name: 'jobs login', status: 'fail', detail: `the jobs login recorded is the request login ${APP_ROLE}` };
  if (configured !== required) return { name: 'jobs login', status: 'fail', detail: `the tenant-listing functions require ${required}, but PARAPET_JOBS_DATABASE_URL logs in as ${String(configured)}: background jobs will be refused` };
  const member = (await sql<{ ok: boolean; su: boolean }>`select pg_has_role(${required}, ${APP_ROLE}, 'MEMBER') as ok, coalesce((select rolsuper or rolbypassrls from pg_roles where rolname = ${required}), true) as su`.execute(db.app)).rows[0];
  if (member?.ok !== true) return { name: 'jobs login', status: 'fail', detail: `${required} is not a member of ${APP_ROLE}, so its transactions cannot SET ROLE ${APP_ROLE} (scripts/postgres-setup.sh grants it)` };
  if (member.su) return { name: 'jobs login', status: 'fail', detail: `${required} must be NOSUPERUSER and NOBYPASSRLS` };
  return { name: 'jobs login', status: 'ok', detail: `the tenant-listing functions answer only to ${required} in the verified jobs context; requests log in as ${APP_ROLE}` };
}

/**
 * Issue 13, property 5: unique indexes on tenant tables that are global on purpose, each with the
 * reason its unique violation tells injected SQL nothing it could not learn otherwise
 * (docs/tenancy.md). Any other unique index on a tenant table must include tenant_id.
 */
const GLOBAL_UNIQUE_INDEXES: Readonly<Record<string, string>> = {
  sso_domains_verified_idx: 'a domain is verified by one organization at most; whether some organization verified it is public (GET /api/v1/sso/lookup)',
};

/**
 * Issue 13, properties 4 and 5: SECURITY DEFINER functions parapet_app may call that still take a
 * uuid argument (a subject named by the caller rather than taken from the verified context), and
 * unique indexes on tenant tables that leave out tenant_id (a unique violation answers whether a
 * value exists in some tenant). Both warn: each listed one is reviewed in docs/tenancy.md.
 */
async function definerChecks(db: Database<DB>): Promise<Check[]> {
  const definers = await sql<{ name: string }>`
    select distinct case when n.nspname = 'public' then p.proname else n.nspname || '.' || p.proname end as name
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
       and has_function_privilege(${APP_ROLE}, p.oid, 'EXECUTE')
       and 'uuid'::regtype = any (p.proargtypes::oid[]::regtype[])
     order by 1`.execute(db.app);
  const named = definers.rows.map((row) => row.name);
  const indexes = await sql<{ name: string }>`
    select i.relname as name
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = 'public' and x.indisunique and t.relrowsecurity
       and exists (select 1 from pg_attribute a where a.attrelid = t.oid and a.attname = 'tenant_id' and not a.attisdropped)
       and not exists (select 1 from pg_attribute a where a.attrelid = t.oid and a.attname = 'tenant_id' and a.attnum = any (x.indkey::int2[]))
       -- A table whose tenant_id is pinned to the platform tenant (totp_factors, disclosure, trust NDA)
       -- has no other tenant to leak to: its rows are readable in the platform context anyway, and
       -- any other context's insert fails the policy's WITH CHECK before the unique check.
       and not exists (select 1 from pg_constraint c where c.conrelid = t.oid and c.contype = 'c'
                         and pg_get_constraintdef(c.oid) like '%(tenant_id = ''00000000-0000-0000-0000-000000000000''::uuid)%')
     order by 1`.execute(db.app);
  const unscoped = indexes.rows.map((row) => row.name).filter((name) => !(name in GLOBAL_UNIQUE_INDEXES));
  const reviewed = indexes.rows.map((row) => row.name).filter((name) => name in GLOBAL_UNIQUE_INDEXES);
  return [
    named.length === 0
      ? { name: 'definer functions', status: 'ok', detail: `no SECURITY DEFINER function ${APP_ROLE} may call takes a user or tenant id; the tenant-listing ones answer only in the verified jobs context` }
      : { name: 'definer functions', status: 'warn', detail: `SECURITY DEFINER functions that take an id from the caller (see docs/tenancy.md): ${named.join(', ')}` },
    unscoped.length === 0
      ? { name: 'tenant unique indexes', status: 'ok', detail: `every unique index on a tenant table includes tenant_id${reviewed.length === 0 ? '' : `, except the reviewed global ones (docs/tenancy.md): ${reviewed.join(', ')}`}` }
      : { name: 'tenant unique indexes', status: 'warn', detail: `unique indexes on tenant tables without tenant_id (see docs/tenancy.md): ${unscoped.join(', ')}` },
  ];
}

/** AUD-1: buffered api.request records of read calls that could not be written (durable counters, all nodes). */
async function apiRecordLossCheck(transactor: AppTransactor): Promise<Check> {
  try {
    const losses = await recordingLosses(transactor);
    const total = losses.buffer_full + losses.write_failed;
    return total === 0
      ? { name: 'api.request records', status: 'ok', detail: 'no buffered api.request record lost' }
      : { name: 'api.request records', status: 'warn', detail: `${total} api.request records of read calls were lost (${losses.buffer_full} buffer full, ${losses.write_failed} refused by the database); see docs/audit-log.md` };
  } catch (error) {
    return { name: 'api.request records', status: 'fail', detail: (error as Error).message };
  }
}

/** ENC-2: the configured root key provider wraps and unwraps a throwaway key (KMS: reachable, permitted). */
async function rootKeyCheck(config: Config, keyring: Keyring): Promise<Check> {
  try {
    const provider = keyProviderFor(config, keyring, { persist: false });
    const context = { tenantId: '00000000-0000-0000-0000-000000000000', keyVersion: 1 };
    const { plaintext, wrapped } = await provider.generateDataKey(context);
    const unwrapped = await provider.unwrap(wrapped, context);
    const same = unwrapped.equals(plaintext);
    plaintext.fill(0);
    unwrapped.fill(0);
    return same ? { name: 'root key', status: 'ok', detail: `${provider.kind}: wraps and unwraps under ${wrapped.rootVersion}` } : { name: 'root key', status: 'fail', detail: 'unwrapped key differs' };
  } catch (error) {
    return { name: 'root key', status: 'fail', detail: (error as Error).message };
  }
}

/** The HTTPS certificate and key load as start-up would load them; warns 14 days before expiry. */
function tlsCheck(certFile: string, keyFile: string): Check {
  try {
    const pair = loadTlsPair({ certFile, keyFile });
    const leaf = new X509Certificate(pair.cert);
    const days = Math.floor((Date.parse(leaf.validTo) - Date.now()) / 86_400_000);
    const detail = `${certFile}: ${leaf.subject.replaceAll('\n', ', ')}, valid until ${leaf.validTo} (${days} days)`;
    if (days < 0) return { name: 'TLS certificate', status: 'fail', detail: `${detail}: expired` };
    return { name: 'TLS certificate', status: days < 14 ? 'warn' : 'ok', detail };
  } catch (error) {
    return { name: 'TLS certificate', status: 'fail', detail: (error as Error).message };
  }
}

/** `parapet doctor`: checks the installation; exit code 1 when any check fails. */
export const doctor: Command = async (context) => {
  const { config, out } = context;
  const checks: Check[] = [{ name: 'configuration', status: 'ok', detail: 'valid' }];
  let keyring: Keyring | undefined;
  try {
    keyring = readKeyring(config.keyringPath);
    checks.push({ name: 'keyring', status: 'ok', detail: `${config.keyringPath} (mode 0600)` });
  } catch (error) {
    checks.push({ name: 'keyring', status: 'fail', detail: (error as Error).message });
  }
  if (keyring !== undefined) checks.push(await rootKeyCheck(config, keyring));
  if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) checks.push(tlsCheck(config.tlsCertFile, config.tlsKeyFile));
  if (config.databaseUrl !== undefined && config.databaseUrl !== 'memory:') {
    const host = new URL(config.databaseUrl).hostname.replace(/^\[|\]$/g, '');
    try {
      if (!isLoopback(host) && host !== '' && postgresConnectionConfig(config.databaseUrl, config.databaseCaFile).ssl === false) {
        checks.push({ name: 'database TLS', status: 'warn', detail: `connections to ${host} are not encrypted; add sslmode=verify-full and PARAPET_DATABASE_CA_FILE` });
      }
    } catch (error) {
      checks.push({ name: 'database TLS', status: 'fail', detail: (error as Error).message });
    }
  }
  let data: OperatorData | undefined;
  try {
    data = await openOperatorData(context, { poolSize: 2 });
    checks.push(...(await databaseChecks(data.db, keyring, config.migrationDatabaseUrl !== undefined, config.jobsDatabaseUrl)));
    if (context.attached !== undefined) out(`(checked inside the running server, pid ${context.pid}, through its operator socket)`);
  } catch (error) {
    // The running server checks its own database: the whole command goes there (main.ts).
    if (error instanceof ServerHoldsData) throw error;
    checks.push({ name: 'database reachable', status: 'fail', detail: (error as Error).message });
  } finally {
    await data?.close();
  }
  const width = Math.max(...checks.map((check) => check.name.length));
  for (const check of checks) out(`${check.status.toUpperCase().padEnd(4)}  ${check.name.padEnd(width)}  ${check.detail}`);
  const failed = checks.filter((check) => check.status === 'fail').length;
  out('');
  out(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
  return failed === 0 ? 0 : 1;
};
