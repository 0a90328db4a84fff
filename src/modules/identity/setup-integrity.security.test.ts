// Issue 13, property 1 (TEN-1): SQL injected as parapet_app cannot mint a setup link. Setup is
// pending whenever no operator flag carries its MAC — which such SQL can arrange by clearing the
// flags — so a setup token inserted with a chosen digest would create a platform administrator
// for the attacker. Each token carries a MAC under a keyring key the database never holds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { digestToken, newSecretToken, systemRandom } from '../../platform/crypto/random.ts';
import { createRowIntegrity } from './row-integrity.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';

const body = (token: string) => ({ token, email: `root-${crypto.randomUUID()}@example.com`, password: 'a long enough passphrase', display_name: 'Root' });

describe('setup links carry MACs: SQL cannot mint one (issue 13, TEN-1)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  /** SQL as parapet_app in an unauthenticated request's platform context. */
  const inject = (text: string, parameters: readonly unknown[] = []) => t.transactor.withPlatform((tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])));

  it('TEN-1: a setup token inserted by hand (with or without a real MAC copied onto it) creates no administrator, and does not stop a starting node from printing a real link', async () => {
    await t.app.services.setup.issueLink(t.config.publicUrl);
    for (const copied of [false, true]) {
      const chosen = newSecretToken(systemRandom);
      await inject('update setup_tokens set used_at = now() where used_at is null');
      await inject(
        `insert into setup_tokens (id, token_hash, created_at, expires_at${copied ? ', integrity_mac' : ''})
         values (gen_random_uuid(), $1, now(), now() + interval '1 hour'${copied ? ', (select integrity_mac from setup_tokens where integrity_mac is not null limit 1)' : ''})`,
        // Keyed as the application stores digests (issue 13, property 2): the attacker is granted that, so the MAC is what refuses it.
        [createRowIntegrity(TEST_KEYRING.derive('row-integrity')).storedDigest('setup-token', digestToken(chosen))],
      );
      assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(chosen) }), 400, 'setup_link_invalid');
      const first = await t.app.services.setup.issueFirstLink(t.config.publicUrl);
      assert.ok(first !== undefined && 'link' in first, 'the forged live token is not taken for a printed one');
    }
    const operators = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('is_platform_admin', '=', true).execute());
    assert.deepEqual(operators, []);
  });
});
