import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manualClock } from '../../platform/clock.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { digestToken } from '../../platform/crypto/random.ts';
import { SETUP_LINK_TTL_MS } from './setup-service.ts';
import { createRowIntegrity } from './row-integrity.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';

const body = (token: string, email = 'root@example.com') => ({ token, email, password: 'a long enough passphrase', display_name: 'Root' });
const tokenOf = (link: string | undefined) => new URL(link ?? 'http://x/#token=').hash.replace('#token=', '');

describe('one-time setup link', () => {
  const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  it('stores only a digest of the token, never the token itself', async () => {
    const token = tokenOf(await t.app.services.setup.issueLink(t.config.publicUrl));
    const rows = await t.transactor.withPlatform((tx) => tx.selectFrom('setup_tokens').selectAll().execute());
    assert.ok(rows.length > 0);
    for (const row of rows) assert.ok(!Buffer.from(row.token_hash).toString('latin1').includes(token) && Buffer.from(row.token_hash).length === 32);
  });

  it('refuses a wrong token, including one differing in a single character', async () => {
    const token = tokenOf(await t.app.services.setup.issueLink(t.config.publicUrl));
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(flipped) }), 400, 'setup_link_invalid');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body('x') }), 400, 'setup_link_invalid');
  });

  it('refuses an expired link', async () => {
    const token = tokenOf(await t.app.services.setup.issueLink(t.config.publicUrl));
    clock.advance(SETUP_LINK_TTL_MS + 1000);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(token) }), 400, 'setup_link_invalid');
  });

  it('a new link invalidates earlier ones', async () => {
    const first = tokenOf(await t.app.services.setup.issueLink(t.config.publicUrl));
    await t.app.services.setup.issueLink(t.config.publicUrl);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(first) }), 400, 'setup_link_invalid');
  });

  it('a starting node issues a link only when none is live, so every node of a fresh cluster leaves the first link working', async () => {
    clock.advance(SETUP_LINK_TTL_MS + 1000); // every earlier link has expired
    const results = await Promise.all([1, 2, 3].map(() => t.app.services.setup.issueFirstLink(t.config.publicUrl)));
    const links = results.flatMap((result) => (result !== undefined && 'link' in result ? [result.link] : []));
    assert.equal(links.length, 1, 'exactly one of three concurrent starts issues a link');
    for (const result of results) if (result !== undefined && 'issuedUntil' in result) assert.equal(result.issuedUntil.getTime(), clock.now().getTime() + SETUP_LINK_TTL_MS);
    assert.deepEqual(await t.app.services.setup.issueFirstLink(t.config.publicUrl), { issuedUntil: new Date(clock.now().getTime() + SETUP_LINK_TTL_MS) });
    // The one link printed is the one live link.
    const live = await t.transactor.withPlatform((tx) => tx.selectFrom('setup_tokens').select('token_hash').where('used_at', 'is', null).where('expires_at', '>', clock.now()).execute());
    assert.deepEqual(live.map((row) => Buffer.from(row.token_hash).toString('hex')), [createRowIntegrity(TEST_KEYRING.derive('row-integrity')).storedDigest('setup-token', digestToken(tokenOf(links[0]))).toString('hex')]);
    clock.advance(SETUP_LINK_TTL_MS + 1000);
    const after = await t.app.services.setup.issueFirstLink(t.config.publicUrl);
    assert.ok(after !== undefined && 'link' in after, 'a node starting after the link expired issues a new one');
  });

  it('refuses a weak password without consuming the link', async () => {
    const token = tokenOf(await t.app.services.setup.issueLink(t.config.publicUrl));
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: { ...body(token), password: 'short' } }), 400, 'password_too_short');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: { ...body(token), password: 'password1234' } }), 400, 'password_too_common');
    const ok = await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(token) });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json<{ is_platform_admin: boolean }>().is_platform_admin, true);
  });

  it('works once: the second use is refused, even concurrently, and no new links are issued after setup', async () => {
    // The previous test consumed its link; no administrator-less state remains.
    assert.equal(await t.app.services.setup.issueLink(t.config.publicUrl), undefined);
  });
});

describe('one-time setup link under concurrency', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('two simultaneous uses of the same link create exactly one administrator', async () => {
    const token = tokenOf(await t.app.services.setup.issueLink(t.config.publicUrl));
    const results = await Promise.all([
      t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(token, 'one@example.com') }),
      t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(token, 'two@example.com') }),
    ]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 400]);
    const admins = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('is_platform_admin', '=', true).execute());
    assert.equal(admins.length, 1);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/setup', payload: body(token, 'three@example.com') }), 400, 'setup_link_invalid');
  });
});
