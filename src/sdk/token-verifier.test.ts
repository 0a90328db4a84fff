import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../test/support/app.ts';
import { newUser, tokenLogin, sidOf } from '../modules/tokens/user-tokens-test-fixture.ts';
import { buildApp, userIdOf } from './example-fastify.ts';
import { createTokenVerifier, TokenVerificationError } from './index.ts';
import { freePort } from '../../test/support/ports.ts';
import { createClient, secretToken, seedOrg, seedServiceAccount } from '../modules/oauth/oauth-test-fixture.ts';

const DOC = readFileSync(new URL('../../docs/sdk.md', import.meta.url), 'utf8');
const EXAMPLE = readFileSync(new URL('./example-fastify.ts', import.meta.url), 'utf8');

describe('SDK token verifier against a real Parapet server on loopback (AUTH-5, docs/sdk.md)', () => {
  let parapet: TestApp;
  let url: string;
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    parapet = await createTestApp({ env: { PARAPET_PUBLIC_URL: url } });
    await parapet.app.http.listen({ port, host: '127.0.0.1' });
  });
  after(async () => {
    await parapet.close();
  });

  it('in this repository, @parapet/sdk resolves to the sources, not to a build in dist/ that may be stale', () => {
    // package.json's scripts pass the condition; a bare `node --test` needs it too (docs/sdk.md, Packaging).
    // The workspace link resolves to packages/sdk, whose source entry re-exports this directory.
    assert.equal(import.meta.resolve('@parapet/sdk'), new URL('../../packages/sdk/src/index.ts', import.meta.url).href, 'run node with --conditions=parapet-source');
  });

  it('docs/sdk.md shows the example exactly as src/sdk/example-fastify.ts', () => {
    const block = /<!-- sdk-example -->\n```ts\n([\s\S]*?)```/.exec(DOC)?.[1];
    assert.equal(block, EXAMPLE);
  });

  it('AUTH-5: the documented Fastify example accepts a Parapet user token, refuses none or a bad one with 401 problem+json, and serves the token warm', async () => {
    const user = await newUser(parapet, 'sdk');
    const pair = await tokenLogin(parapet, user.email);
    const { app, verifier } = await buildApp(url);
    try {
      const ok = await app.inject({ method: 'GET', url: '/whoami', headers: { authorization: `Bearer ${pair.access_token}` } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json(), { user_id: user.userId, session_id: sidOf(pair.access_token), second_factor: false });
      assert.equal(verifier.warm(pair.access_token)?.subject, user.userId, 'cached after the first use');
      const missing = await app.inject({ method: 'GET', url: '/whoami' });
      assert.equal(missing.statusCode, 401);
      assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
      assert.equal(missing.headers['www-authenticate'], 'Bearer error="invalid_token"');
      const bad = await app.inject({ method: 'GET', url: '/whoami', headers: { authorization: `Bearer ${pair.access_token.slice(0, -4)}AAAA` } });
      assert.equal(bad.statusCode, 401);
      assert.equal(await userIdOf(verifier, `Bearer ${pair.access_token}`), user.userId);
      await assert.rejects(userIdOf(verifier, undefined), TokenVerificationError);
    } finally {
      await app.close();
    }
  });

  it("labels a service account's client-credentials token service_account, with its client, and a user's token user", async () => {
    const org = await seedOrg(parapet, 'sdk-sa');
    const accountId = await seedServiceAccount(parapet, org, 'sdk-ci', ['viewer']);
    const client = await createClient(parapet, org, accountId);
    const verifier = createTokenVerifier({ issuer: url, audience: `${url}/api`, jwksUrl: `${url}/.well-known/jwks.json` });
    const verified = await verifier.verify(await secretToken(parapet, client));
    assert.deepEqual({ kind: verified.kind, subject: verified.subject, clientId: verified.clientId, organizationId: verified.organizationId }, { kind: 'service_account', subject: accountId, clientId: client.client_id, organizationId: org.orgId });
    const user = await newUser(parapet, 'sdk-kind');
    const pair = await tokenLogin(parapet, user.email);
    const own = await verifier.verify(pair.access_token);
    assert.deepEqual({ kind: own.kind, clientId: own.clientId }, { kind: 'user', clientId: undefined });
  });

  it('refuses a value that is not a JWT', async () => {
    const { verifier } = await buildApp(url);
    await assert.rejects(verifier.verify('not.a.jwt'), TokenVerificationError);
  });
});
