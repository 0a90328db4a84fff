// Issue 13: account links (reset, verification) and pending MFA sign-ins are stored keyed and MAC'd
// (migrations 0123, 0124). SQL injected as parapet_app must not mint a reset link with a chosen
// token, move the attacker's own reset link or pending sign-in onto a victim, or test a bulk read of
// digests against a link it holds. On a server (PARAPET_TEST_DB=postgres) the SQL runs on
// parapet_app's own login; on PGlite inside an application transaction (a superuser session).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CompiledQuery } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { linkToken, mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';

const NEW_PASSWORD = 'the attacker’s chosen passphrase';

describe('SQL injected as parapet_app cannot mint or move account links (issue 13, TEN-1)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let client: pg.Client | undefined;
  let asApp: (text: string, parameters?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env });
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
    await smtp.close();
  });

  const reset = (token: string) => t.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, password: NEW_PASSWORD } });
  const login = (email: string, password: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  const sha256 = (text: string) => createHash('sha256').update(text).digest();

  it("TEN-1: a reset link inserted by SQL with a chosen token, or the attacker's own link moved onto the victim, resets nothing", async () => {
    const victim = await t.createUser(`victim-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const attacker = await t.createUser(`attacker-${crypto.randomUUID()}@example.com`, 'the attacker’s own passphrase');
    // Minted: a chosen token, its plain SHA-256 (what the table held before 0124), no MAC.
    const chosen = randomBytes(32).toString('base64url');
    await asApp("insert into account_tokens (id, user_id, purpose, token_hash, email, session_id, created_at, expires_at, used_at) values (gen_random_uuid(), $1, 'reset_password', $2, $3, null, now(), now() + interval '30 minutes', null)", [victim.id, sha256(chosen), victim.email]);
    assertProblem(await reset(chosen), 400, 'link_invalid');
    // Moved: the attacker requests a real link for their own account, then SQL points it at the victim.
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/password/reset/request', payload: { email: attacker.email } })).statusCode, 202);
    const own = linkToken(await mailTo(t, smtp, attacker.email, /Reset your/));
    await asApp("update account_tokens set user_id = $1, email = $2 where user_id = $3 and purpose = 'reset_password' and used_at is null", [victim.id, victim.email, attacker.id]);
    assertProblem(await reset(own), 400, 'link_invalid');
    // The victim's password still works; the attacker's did not replace it.
    assert.equal((await login(victim.email, TEST_PASSWORD)).statusCode, 200);
    assertProblem(await login(victim.email, NEW_PASSWORD), 401, 'invalid_credentials');
  });

  it('TEN-1: stored link digests are keyed: the SHA-256 of a link the attacker holds is in no table', async () => {
    const user = await t.createUser(`keyed-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/password/reset/request', payload: { email: user.email } })).statusCode, 202);
    const link = linkToken(await mailTo(t, smtp, user.email, /Reset your/));
    const stored = (await asApp('select token_hash from account_tokens')).map((row) => Buffer.from(row['token_hash'] as Uint8Array).toString('hex'));
    assert.ok(stored.length > 0);
    assert.ok(!stored.includes(sha256(link).toString('hex')));
    // The application still finds it.
    assert.equal((await reset(link)).statusCode, 204);
    assert.equal((await login(user.email, NEW_PASSWORD)).statusCode, 200);
  });
});
