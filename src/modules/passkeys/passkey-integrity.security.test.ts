// Issue 13, property 1 (TEN-1, AUTH-3): SQL injected as parapet_app — here run in the attacker's
// own verified sign-in context, the way an injection in one of their requests would run — cannot
// turn its own authenticator into someone else's passkey: each passkey carries a MAC under a
// keyring key the database never holds over its user, credential, public key and user handle,
// checked by the passwordless and second-factor look-ups. Each forged or moved row is then
// presented through a sign-in, which must refuse it. Runs on both databases.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { authenticatorFor, registerPasskey, signInWithPasskey } from '../../../test/support/passkeys.ts';
import { manualClock } from '../../platform/clock.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { upgradePasskeyMacs } from './passkey-integrity.ts';

describe('passkeys carry MACs: SQL cannot add or move one (issue 13, TEN-1, AUTH-3)', () => {
  const clock = manualClock(new Date('2026-05-02T09:00:00Z'));
  const source = { ip: '192.0.2.7', user_agent: null, request_id: 'rowmac' };
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { PARAPET_PUBLIC_URL: 'https://id.example.com' } });
  });
  after(async () => {
    await t.close();
  });

  async function newUser(prefix: string): Promise<{ id: string; email: string; cookie: string }> {
    const email = `${prefix}-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    return { id: user.id, email, cookie: await t.login(email, TEST_PASSWORD) };
  }
  /** Runs SQL as parapet_app in the attacker's verified sign-in context (platform tenant, attacker as actor). */
  const inject = (attackerId: string, text: string, parameters: readonly unknown[] = []) =>
    t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])), attackerId);
  /** The second factor of `userId`'s pending sign-in, answered by `key`. */
  const secondFactor = async (userId: string, key: ReturnType<typeof authenticatorFor>) => {
    const binding = crypto.randomUUID();
    const options = await t.app.services.passkeys.secondFactorOptions({ userId, binding });
    return t.app.services.passkeys.verifySecondFactor({ userId, binding, response: key.get(options), source });
  };

  it("TEN-1: the attacker's own passkey moved onto the victim's account signs in as nobody, passwordless or as the victim's second factor", async () => {
    const victim = await newUser('victim');
    const attacker = await newUser('attacker');
    const key = authenticatorFor(t);
    await registerPasskey(t, attacker.cookie, key);
    assert.equal((await signInWithPasskey(t, key)).statusCode, 200, 'the control: the passkey signs its owner in');
    await inject(attacker.id, 'update passkeys set user_id = $1 where user_id = $2', [victim.id, attacker.id]);
    assertProblem(await signInWithPasskey(t, key), 401, 'passkey_refused');
    await assert.rejects(secondFactor(victim.id, key), { code: 'passkey_refused' });
  });

  it("TEN-1: a passkey inserted by hand for the victim with the attacker's public key and real MAC copied onto it is refused", async () => {
    const victim = await newUser('victim');
    const attacker = await newUser('attacker');
    const key = authenticatorFor(t);
    await registerPasskey(t, attacker.cookie, key);
    await inject(
      attacker.id,
      `with mine as (delete from passkeys where user_id = $2 returning *)
       insert into passkeys (id, user_id, credential_id, public_key, counter, transports, aaguid, user_handle, backup_eligible, backed_up, name, created_at, integrity_mac)
       select gen_random_uuid(), $1, credential_id, public_key, counter, transports, aaguid, user_handle, backup_eligible, backed_up, name, created_at, integrity_mac from mine`,
      [victim.id, attacker.id],
    );
    assertProblem(await signInWithPasskey(t, key), 401, 'passkey_refused');
    await assert.rejects(secondFactor(victim.id, key), { code: 'passkey_refused' });
  });

  it('TEN-1: the back-fill MACs the copy the migration took, not the live row; parapet_app cannot write a copy', async () => {
    const kept = await newUser('kept');
    const moved = await newUser('moved');
    const attacker = await newUser('attacker');
    const keptKey = authenticatorFor(t);
    const movedKey = authenticatorFor(t);
    await registerPasskey(t, kept.cookie, keptKey);
    await registerPasskey(t, moved.cookie, movedKey);
    await inject(attacker.id, 'update passkeys set integrity_mac = null where user_id in ($1, $2)', [kept.id, moved.id]);
    assertProblem(await signInWithPasskey(t, keptKey), 401, 'passkey_refused');
    await t.database.db.withOwner((session) =>
      session.exec(`alter table passkeys_mac_upgrade no force row level security;
                    insert into passkeys_mac_upgrade select id, user_id, credential_id, public_key, user_handle, backup_eligible, created_at from passkeys where user_id in ('${kept.id}', '${moved.id}');
                    alter table passkeys_mac_upgrade force row level security`),
    );
    // After the copy (as if between the migration and the start), one passkey is moved to the attacker.
    await inject(attacker.id, 'update passkeys set user_id = $1 where user_id = $2', [attacker.id, moved.id]);
    assert.deepEqual((await inject(attacker.id, 'select id from passkeys_mac_upgrade')).rows, []);
    await assert.rejects(inject(attacker.id, 'insert into passkeys_mac_upgrade (id, user_id) values ($1, $2)', [crypto.randomUUID(), attacker.id]), /permission denied|violates|null value/);
    const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
    assert.equal(await upgradePasskeyMacs(t.transactor, integrity), 2);
    assert.equal((await signInWithPasskey(t, keptKey)).statusCode, 200, 'a passkey copied by the migration signs in again');
    assertProblem(await signInWithPasskey(t, movedKey), 401, 'passkey_refused');
    assert.equal(await upgradePasskeyMacs(t.transactor, integrity), 0, 'each copy is used once');
  });
});
