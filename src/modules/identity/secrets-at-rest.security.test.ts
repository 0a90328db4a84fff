// Issue 13, property 2 (TEN-1): secrets at rest are not readable by the app role in bulk. SQL
// running as parapet_app (on a PostgreSQL server: the application's own login; on PGlite: inside a
// request's transaction, SET ROLE parapet_app) reads every secret column and must find nothing an
// offline attacker could use: no argon2id hash to run a dictionary against, no digest that a known
// secret reproduces. A plain hash written by SQL, or a sealed one copied from another account,
// signs nobody in. And the upgrade keeps existing passwords, sessions, refresh tokens and recovery
// codes working while blessing nothing written by hand.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery, sql as ksql } from 'kysely';
import pg from 'pg';
import { createTestApp, TEST_PASSWORD, sessionCookie, type TestApp } from '../../../test/support/app.ts';
import { openTestDatabase, TEST_KEYRING } from '../../../test/support/databases.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { newSecretToken, systemRandom } from '../../platform/crypto/random.ts';
import { insertRefreshToken } from '../tokens/user-tokens-store.ts';
import { recoveryCodeMac } from './mfa/factor-integrity.ts';
import { replaceRecoveryCodes } from './mfa/mfa-store.ts';
import { hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from './mfa/recovery-codes.ts';
import { createPasswordHasher, ARGON2_PARAMS } from './password-hasher.ts';
import { createRowIntegrity } from './row-integrity.ts';
import { SETUP_TOKEN_ROW, setupTokenFields } from './setup-service.ts';

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest();
const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

describe('secrets at rest are sealed or keyed: a bulk read as parapet_app yields nothing usable (issue 13, property 2, TEN-1)', () => {
  let t: TestApp;
  let client: pg.Client | undefined;
  /** SQL as parapet_app: the app login on a server, a request's platform transaction on PGlite. */
  let asApp: (text: string, parameters?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

  before(async () => {
    t = await createTestApp();
    const appUrl = t.database.urls?.app;
    if (t.database.kind === 'postgres' && appUrl !== undefined) {
      const c = new pg.Client({ connectionString: appUrl });
      await c.connect();
      client = c;
      asApp = async (text, parameters = []) => (await c.query(text, parameters as unknown[])).rows as Record<string, unknown>[];
    } else {
      asApp = async (text, parameters = []) => (await t.transactor.withPlatform((tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])))).rows as Record<string, unknown>[];
    }
  });
  after(async () => {
    await client?.end();
    await t.close();
  });

  it('TEN-1: every password hash, session, refresh-token, setup-link and recovery-code digest read in bulk resists the known secret', async () => {
    if (client !== undefined) assert.deepEqual((await asApp('select current_user as u'))[0], { u: 'parapet_app' });
    // Secrets the attacker is assumed to hold candidates for: the password, a session cookie, a refresh token, a setup link, a recovery code.
    const setupUrl = await t.app.services.setup.issueLink(t.config.publicUrl);
    const setupToken = String(setupUrl).split('#token=')[1] ?? '';
    const user = await t.createUser(`bulk-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const cookie = await t.login(user.email, TEST_PASSWORD);
    const sessionToken = cookie.split('=')[1] ?? '';
    const session = await t.transactor.withPlatform((tx) => tx.selectFrom('sessions').select('id').where('user_id', '=', user.id).executeTakeFirstOrThrow());
    const refresh = `prt_${newSecretToken(systemRandom)}`;
    const now = new Date();
    await t.transactor.withPlatform((tx) => insertRefreshToken(tx, integrity, { id: crypto.randomUUID(), token_hash: sha256(refresh), session_id: session.id, organization_id: null, created_at: now, family_expires_at: new Date(now.getTime() + 86_400_000), retired_at: null, successor_id: null }));
    const code = newRecoveryCode(systemRandom);
    await t.transactor.withPlatform((tx) => replaceRecoveryCodes(tx, integrity, user.id, [hashRecoveryCode(code)], now));

    const hashes = (await asApp('select id, password_hash from users')).map((row) => ({ id: String(row['id']), hash: String(row['password_hash']) }));
    const mine = hashes.find((row) => row.id === user.id);
    assert.ok(mine !== undefined);
    for (const { hash } of hashes) assert.doesNotMatch(hash, /\$argon2/, 'no argon2id hash is readable');
    // The offline attack on the value read: it verifies against nothing (argon2 refuses the format).
    const hasher = await createPasswordHasher({ ...ARGON2_PARAMS, memoryCost: 8192, timeCost: 1 });
    assert.equal(await hasher.verify(mine.hash, TEST_PASSWORD), false);

    const digests = async (query: string) => (await asApp(query)).map((row) => hex(row['d'] as Uint8Array));
    assert.ok(!(await digests('select token_hash as d from sessions')).includes(hex(sha256(sessionToken))), 'a session cookie does not reproduce its stored digest');
    assert.ok(!(await digests('select token_hash as d from refresh_tokens')).includes(hex(sha256(refresh))), 'a refresh token does not reproduce its stored digest');
    assert.ok(!(await digests('select token_hash as d from setup_tokens')).includes(hex(sha256(setupToken))), 'a setup link does not reproduce its stored digest');
    assert.ok(!(await digests('select code_hash as d from mfa_recovery_codes')).includes(hex(sha256(normalizeRecoveryCode(code)))), 'a recovery code does not reproduce its stored digest');
    // TOTP seeds were field-encrypted already (ENC-4): covered by mfa.security.test.ts.

    // The secrets still work through the application.
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode, 200);
  });

  it('TEN-1: a plain argon2id hash written by SQL, or the attacker’s sealed hash copied onto the victim, signs nobody in', async () => {
    const victim = await t.createUser(`victim-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const attacker = await t.createUser(`attacker-${crypto.randomUUID()}@example.com`, 'the attacker’s own passphrase');
    const login = (email: string, password: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    const plain = await (await createPasswordHasher()).hash('the attacker’s own passphrase');
    await asApp('update users set password_hash = $1 where id = $2', [plain, victim.id]);
    assertProblem(await login(victim.email, 'the attacker’s own passphrase'), 401, 'invalid_credentials');
    await asApp('update users set password_hash = (select password_hash from users where id = $1) where id = $2', [attacker.id, victim.id]);
    assertProblem(await login(victim.email, 'the attacker’s own passphrase'), 401, 'invalid_credentials');
    // The attacker's own account is unaffected: the refusals above are the seal, not a broken login.
    assert.equal((await login(attacker.email, 'the attacker’s own passphrase')).statusCode, 200);
  });

  it('TEN-1: parapet_app neither reads nor writes the password copies of migration 0094 outside the jobs context', async () => {
    assert.deepEqual(await asApp('select user_id from users_password_upgrade'), []);
    if (client === undefined) return; // PGlite: grants and RLS are one RESET ROLE away (docs/tenancy.md)
    await assert.rejects(asApp('insert into users_password_upgrade (user_id, password_hash) select id, password_hash from users limit 1'), /row-level security|permission denied/);
  });
});

describe('the upgrade to sealed hashes and keyed digests keeps existing sign-ins and blesses nothing written by hand (issue 13, property 2)', () => {
  it('TEN-1: a password, a session, a refresh token, a setup link and a recovery code from before migrations 0094–0096 work after the next start; a plain hash written after the migration does not', async () => {
    const database = await openTestDatabase();
    const t = await createTestApp({ database });
    const hasher = await createPasswordHasher();
    const user = await t.createUser(`old-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const victim = await t.createUser(`moved-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const setupUrl = await t.app.services.setup.issueLink(t.config.publicUrl);
    const setupToken = String(setupUrl).split('#token=')[1] ?? '';
    // The state before the upgrade, as the application then wrote it: plain hashes and plain digests, MAC'd over the plain digests.
    const oldHash = await hasher.hash(TEST_PASSWORD);
    const sessionToken = randomBytes(32).toString('base64url');
    const refresh = `prt_${newSecretToken(systemRandom)}`;
    const code = newRecoveryCode(systemRandom);
    const now = new Date();
    const sessionId = crypto.randomUUID();
    const session = { id: sessionId, token_hash: sha256(sessionToken), user_id: user.id, auth_methods: ['pwd'], created_at: now, authenticated_at: now };
    const refreshRow = { id: crypto.randomUUID(), token_hash: sha256(refresh), session_id: sessionId, organization_id: null, created_at: now, family_expires_at: new Date(now.getTime() + 86_400_000), retired_at: null, successor_id: null };
    const codeRow = { user_id: user.id, code_hash: hashRecoveryCode(code), created_at: now };
    await t.transactor.withPlatform(async (tx) => {
      await tx.updateTable('users').set({ password_hash: oldHash }).where('id', '=', user.id).execute();
      await tx.insertInto('sessions').values({ ...session, integrity_mac: integrity.sessionMac(session), last_seen_at: now, idle_timeout_seconds: 3600, absolute_expires_at: new Date(now.getTime() + 3_600_000), ip: null, user_agent: null, revoked_at: null, revoked_reason: null, digest_keyed: false }).execute();
      await tx.insertInto('refresh_tokens').values({ ...refreshRow, integrity_mac: integrity.rowMac('refresh-token/1', [refreshRow.id, refreshRow.token_hash, refreshRow.session_id, refreshRow.organization_id, refreshRow.created_at, refreshRow.family_expires_at, refreshRow.retired_at, refreshRow.successor_id]), digest_keyed: false }).execute();
      await tx.insertInto('mfa_recovery_codes').values({ ...codeRow, used_at: null, integrity_mac: recoveryCodeMac(integrity, codeRow), digest_keyed: false }).execute();
      const link = await tx.selectFrom('setup_tokens').selectAll().where('used_at', 'is', null).executeTakeFirstOrThrow();
      const plainLink = { ...link, token_hash: sha256(setupToken) };
      await tx.updateTable('setup_tokens').set({ token_hash: plainLink.token_hash, integrity_mac: integrity.rowMac(SETUP_TOKEN_ROW, setupTokenFields(plainLink)), digest_keyed: false }).where('id', '=', link.id).execute();
    });
    // What migration 0094 copied (as the owner) for both users; then, after the migration, SQL writes the attacker's plain hash onto the victim.
    await t.database.db.withOwner(async (owner) => {
      await owner.exec('alter table users_password_upgrade no force row level security');
      await owner.query('insert into users_password_upgrade (user_id, password_hash) values ($1, $2), ($3, $4)', [user.id, oldHash, victim.id, await hasher.hash(TEST_PASSWORD)]);
      await owner.exec('alter table users_password_upgrade force row level security');
    });
    const attackerHash = await hasher.hash('the attacker’s own passphrase');
    await t.transactor.withPlatform((tx) => ksql`update users set password_hash = ${attackerHash} where id = ${victim.id}`.execute(tx));
    await t.close();

    // The next start runs the upgrade.
    const restarted = await createTestApp({ database });
    try {
      const cookie = sessionCookie(await restarted.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: TEST_PASSWORD } }));
      assert.ok(cookie.length > 0, 'the old password signs in');
      assert.equal((await restarted.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: `parapet_session=${sessionToken}` } })).statusCode, 200, 'the old session is live');
      const exchanged = await restarted.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'refresh_token', refresh_token: refresh } });
      assert.equal(exchanged.statusCode, 200, `the old refresh token is exchanged: ${exchanged.body}`);
      const consumed = await restarted.transactor.withPlatform(async (tx) =>
        (await tx.selectFrom('mfa_recovery_codes').select('code_hash').where('user_id', '=', user.id).where('used_at', 'is', null).execute()).map((row) => hex(row.code_hash)),
      );
      assert.deepEqual(consumed, [hex(integrity.storedDigest('recovery-code', hashRecoveryCode(code)))], 'the old recovery code is keyed and still matches');
      const setup = await restarted.inject({ method: 'POST', url: '/api/v1/setup', payload: { token: setupToken, email: `root-${crypto.randomUUID()}@example.com`, password: 'a long enough passphrase', display_name: 'Root' } });
      assert.equal(setup.statusCode, 201, `the old setup link still works: ${setup.body}`);
      // The hash SQL wrote onto the victim after the migration was never sealed: it signs nobody in.
      assertProblem(await restarted.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: victim.email, password: 'the attacker’s own passphrase' } }), 401, 'invalid_credentials');
      const stored = await restarted.transactor.withPlatform((tx) => tx.selectFrom('users').select(['id', 'password_hash']).where('id', 'in', [user.id, victim.id]).execute());
      assert.match(stored.find((row) => row.id === user.id)?.password_hash ?? '', /^ph1\./);
      assert.match(stored.find((row) => row.id === victim.id)?.password_hash ?? '', /^\$argon2id\$/);
    } finally {
      await restarted.close();
      await database.close();
    }
  });
});
