// Issue 13, property 1 (TEN-1): SQL running as parapet_app cannot mint a refresh token for someone
// else's session, move one to another session or bring a retired one back: every refresh token
// carries a MAC under a keyring key the database never holds, checked on every read. Each row is
// then presented to the token endpoint, which must refuse it. Runs on both databases.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { newUser, refresh, sidOf, tokenLogin, type Pair } from './user-tokens-test-fixture.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';

describe('refresh tokens carry MACs: SQL cannot mint or alter one (issue 13, TEN-1)', () => {
  let t: TestApp;
  let victim: Pair;
  let attacker: Pair;
  before(async () => {
    t = await createTestApp();
    victim = await tokenLogin(t, (await newUser(t, 'victim')).email);
    attacker = await tokenLogin(t, (await newUser(t, 'attacker')).email);
  });
  after(async () => {
    await t.close();
  });

  /** SQL as parapet_app, outside any organization (refresh tokens are platform rows). */
  const inject = (text: string, parameters: readonly unknown[] = []) => t.transactor.withPlatform((tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])));
  // Digests are stored keyed (issue 13, property 2); the attacker is granted the keyed form so that what is tested is the MAC.
  const digest = (token: string) => createRowIntegrity(TEST_KEYRING.derive('row-integrity')).storedDigest('refresh-token', createHash('sha256').update(token).digest());
  const chosen = () => `prt_${randomBytes(32).toString('base64url')}`;

  it("TEN-1: a refresh token inserted by hand on the victim's session is refused", async () => {
    const token = chosen();
    await inject(
      `insert into refresh_tokens (id, token_hash, session_id, organization_id, created_at, family_expires_at) values (gen_random_uuid(), $1, $2, null, now(), now() + interval '7 days')`,
      [digest(token), sidOf(victim.access_token)],
    );
    assertProblem(await refresh(t, token), 400, 'invalid_grant');
  });

  it("TEN-1: a refresh token inserted by hand with the victim's real MAC copied onto it is refused", async () => {
    const token = chosen();
    await inject(
      `insert into refresh_tokens (id, token_hash, session_id, organization_id, created_at, family_expires_at, integrity_mac)
       select gen_random_uuid(), $1, session_id, organization_id, created_at, family_expires_at, integrity_mac from refresh_tokens where token_hash = $2`,
      [digest(token), digest(victim.refresh_token)],
    );
    assertProblem(await refresh(t, token), 400, 'invalid_grant');
  });

  it("TEN-1: moving one's own refresh token onto the victim's session makes it refused", async () => {
    await inject('update refresh_tokens set session_id = $1 where token_hash = $2', [sidOf(victim.access_token), digest(attacker.refresh_token)]);
    assertProblem(await refresh(t, attacker.refresh_token), 400, 'invalid_grant');
  });

  it('TEN-1: un-retiring a rotated refresh token does not make it usable again', async () => {
    const pair = await tokenLogin(t, (await newUser(t, 'rotating')).email);
    const rotated = await refresh(t, pair.refresh_token);
    assert.equal(rotated.statusCode, 200, rotated.body);
    await inject('update refresh_tokens set retired_at = null, successor_id = null where token_hash = $1', [digest(pair.refresh_token)]);
    assertProblem(await refresh(t, pair.refresh_token), 400, 'invalid_grant');
  });

  it("the victim's own refresh token still works (the defence refuses forgeries only)", async () => {
    assert.equal((await refresh(t, victim.refresh_token)).statusCode, 200);
  });
});
