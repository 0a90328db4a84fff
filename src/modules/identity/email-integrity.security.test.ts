// Issue 13, property 1: a user's address is under the user row's MAC (migration 0122). Sign-in,
// password reset, SSO and SCIM find the account by its address, so SQL injected as parapet_app
// that points a victim's address at the attacker's mailbox must not make the application send the
// attacker a reset link for the victim's account, or sign anyone in as the victim. On a PostgreSQL
// server (PARAPET_TEST_DB=postgres) the SQL runs on parapet_app's own login; on PGlite inside an
// application transaction (whose session is a superuser: docs/tenancy.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CompiledQuery, sql as ksql } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { openTestDatabase } from '../../../test/support/databases.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';

describe('SQL injected as parapet_app cannot move an address onto another account (issue 13, TEN-1)', () => {
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

  const login = (email: string, password: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  const resetRequest = (email: string) => t.inject({ method: 'POST', url: '/api/v1/auth/password/reset/request', payload: { email } });
  const mailsTo = async (address: string) => {
    await t.app.services.mail.idle();
    return smtp.messages.filter((m) => m.to.includes(address));
  };

  it('the attacker runs as parapet_app on a server', async () => {
    if (client === undefined) return;
    assert.deepEqual(await asApp('select current_user as u, (select rolsuper from pg_roles where rolname = current_user) as s'), [{ u: 'parapet_app', s: false }]);
  });

  it("TEN-1: a victim's address changed by SQL to the attacker's gets no reset link and signs nobody in, with or without the attacker's own MAC copied", async () => {
    const victim = await t.createUser(`victim-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const mailbox = `attacker-${crypto.randomUUID()}@example.com`;
    await asApp('update users set email = $1, email_normalized = $1 where id = $2', [mailbox, victim.id]);
    assert.equal((await resetRequest(mailbox)).statusCode, 202);
    assertProblem(await login(mailbox, TEST_PASSWORD), 401, 'invalid_credentials');
    // The attacker's real account had that address; its MAC is over its own id, so copying it fails too.
    const attacker = await t.createUser(`attacker-${crypto.randomUUID()}@example.com`, 'the attacker’s own passphrase');
    await asApp('update users set email = $1, email_normalized = $1 where id = $2', [`gone-${crypto.randomUUID()}@example.com`, attacker.id]);
    await asApp('update users set email = $1, email_normalized = $1, email_mac = (select email_mac from users where id = $3) where id = $2', [attacker.email, victim.id, attacker.id]);
    assert.equal((await resetRequest(attacker.email)).statusCode, 202);
    assertProblem(await login(attacker.email, TEST_PASSWORD), 401, 'invalid_credentials');
    assert.deepEqual(await mailsTo(mailbox), [], 'no mail reached the address SQL wrote');
    assert.deepEqual(await mailsTo(attacker.email), [], 'no mail reached the address SQL wrote');
  });

  it('TEN-1: the display address alone changed (mail goes to `email`) is refused as well', async () => {
    const victim = await t.createUser(`victim-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const mailbox = `attacker-${crypto.randomUUID()}@example.com`;
    await asApp('update users set email = $1 where id = $2', [mailbox, victim.id]);
    assert.equal((await resetRequest(victim.email)).statusCode, 202);
    assert.deepEqual(await mailsTo(mailbox), []);
    assertProblem(await login(victim.email, TEST_PASSWORD), 401, 'invalid_credentials');
  });

  it('the application’s own addresses work: a reset mail reaches a real account, which signs in', async () => {
    const user = await t.createUser(`real-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    assert.equal((await resetRequest(user.email)).statusCode, 202);
    assert.equal((await mailsTo(user.email)).length, 1);
    assert.equal((await login(user.email, TEST_PASSWORD)).statusCode, 200);
  });

  it('TEN-1: parapet_app neither reads nor writes the address copies of migration 0122 outside the jobs context', async () => {
    assert.deepEqual(await asApp('select user_id from users_email_upgrade'), []);
    if (client === undefined) return; // PGlite: grants and RLS are one RESET ROLE away (docs/tenancy.md)
    await assert.rejects(asApp('insert into users_email_upgrade (user_id, email, email_normalized) select id, email, email_normalized from users limit 1'), /row-level security|permission denied/);
  });
});

describe('the upgrade MACs existing addresses and blesses none written by hand (issue 13, property 1)', () => {
  it('TEN-1: an address from before migration 0122 signs in after the next start; one changed by SQL after the migration does not', async () => {
    const database = await openTestDatabase();
    const t = await createTestApp({ database });
    const user = await t.createUser(`old-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const victim = await t.createUser(`victim-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    const mailbox = `attacker-${crypto.randomUUID()}@example.com`;
    // Before the upgrade: no MACs; the migration copied both addresses (as the owner).
    await t.transactor.withPlatform((tx) => ksql`update users set email_mac = null where id in (${user.id}, ${victim.id})`.execute(tx));
    await t.database.db.withOwner(async (owner) => {
      await owner.exec('alter table users_email_upgrade no force row level security');
      await owner.query('insert into users_email_upgrade (user_id, email, email_normalized) values ($1, $2, $2), ($3, $4, $4)', [user.id, user.email, victim.id, victim.email]);
      await owner.exec('alter table users_email_upgrade force row level security');
    });
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: TEST_PASSWORD } }), 401, 'invalid_credentials');
    // After the migration, SQL moves the victim's address.
    await t.transactor.withPlatform((tx) => ksql`update users set email = ${mailbox}, email_normalized = ${mailbox} where id = ${victim.id}`.execute(tx));
    await t.close();

    const restarted = await createTestApp({ database });
    try {
      assert.equal((await restarted.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: TEST_PASSWORD } })).statusCode, 200, 'the old address signs in');
      assertProblem(await restarted.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: mailbox, password: TEST_PASSWORD } }), 401, 'invalid_credentials');
      assert.deepEqual(await restarted.transactor.withJobs((tx) => tx.selectFrom('users_email_upgrade').select('user_id').execute()), [], 'the copies are used up');
    } finally {
      await restarted.close();
      await database.close();
    }
  });
});
