import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createRowIntegrity } from '../identity/index.ts';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import type { AppTransactor } from '../../database.ts';
import { createBearerAuthenticator } from './bearer-authenticator.ts';
import { createUserTokenKind } from './user-token-kind.ts';
import { createVerifiedTokenCache } from './verified-token-cache.ts';
import { expectedClaims, me, newUser, refresh, sidOf, tokenLogin, type Pair } from './user-tokens-test-fixture.ts';

describe('tokens for API clients (AUTH-5)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { PARAPET_REFRESH_PER_MINUTE: '3' } });
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-5: sign-in with response_type "token" returns a 15-minute EdDSA access token bound to the session, and a refresh token, instead of a cookie', async () => {
    const user = await newUser(t, 'client');
    const response = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: TEST_PASSWORD, response_type: 'token' } });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.cookies.length, 0, 'no session cookie');
    const pair = response.json<Pair>();
    assert.equal(pair.token_type, 'Bearer');
    assert.equal(pair.expires_in, 900);
    assert.match(pair.refresh_token, /^prt_[A-Za-z0-9_-]{43}$/);
    const header = JSON.parse(Buffer.from(pair.access_token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(header['alg'], 'EdDSA');
    assert.equal(header['typ'], 'at+jwt');
    const claims = decodeJwt(pair.access_token);
    assert.equal(claims.iss, expectedClaims(t).issuer);
    assert.equal(claims.aud, expectedClaims(t).audience);
    assert.equal(claims.sub, user.userId);
    assert.deepEqual(claims['amr'], ['pwd']);
    assert.equal(claims['tid'], undefined, 'unscoped unless an organization was asked for');
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900);
    assert.equal(typeof claims.jti, 'string');
    // The session is the family: listed among the user's sessions, and the bearer path resolves it.
    const session = await me(t, pair.access_token);
    assert.equal(session.statusCode, 200, session.body);
    assert.equal(session.json<{ session: { id: string } }>().session.id, claims['sid']);
  });

  it('refreshes with a form-encoded body as OAuth clients send it, and answers no-store', async () => {
    const user = await newUser(t, 'form');
    const pair = await tokenLogin(t, user.email);
    const response = await refresh(t, pair.refresh_token, true);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(sidOf(response.json<Pair>().access_token), sidOf(pair.access_token), 'same session');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'password', refresh_token: pair.refresh_token } }), 400, 'invalid_request');
    assertProblem(await refresh(t, 'prt_not-a-real-token-at-all-00000000000000000'), 400, 'invalid_grant');
  });

  it('AUTH-6: a family refreshes at most PARAPET_REFRESH_PER_MINUTE times a minute', async () => {
    const user = await newUser(t, 'throttled');
    let pair = await tokenLogin(t, user.email);
    for (let i = 0; i < 2; i++) {
      const response = await refresh(t, pair.refresh_token);
      assert.equal(response.statusCode, 200, response.body);
      pair = response.json<Pair>();
    }
    const refused = assertProblem(await refresh(t, pair.refresh_token), 429, 'rate_limited');
    assert.match(String(refused['detail']), /too often/);
  });

  it('AUTH-5: revoking a refresh token (RFC 7009) ends its family, its session and its access tokens; unknown tokens answer 200 too', async () => {
    const user = await newUser(t, 'revoke');
    const pair = await tokenLogin(t, user.email);
    assert.equal((await me(t, pair.access_token)).statusCode, 200);
    const revoked = await t.inject({ method: 'POST', url: '/api/v1/auth/token/revoke', payload: `token=${pair.refresh_token}&token_type_hint=refresh_token`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal((await me(t, pair.access_token)).statusCode, 401);
    assertProblem(await refresh(t, pair.refresh_token), 400, 'invalid_grant');
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/token/revoke', payload: { token: 'prt_unknown' } })).statusCode, 200);
  });

  it('AUTH-5: logging out with the access token ends the family', async () => {
    const user = await newUser(t, 'logout');
    const pair = await tokenLogin(t, user.email);
    const out = await t.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${pair.access_token}` } });
    assert.equal(out.statusCode, 204, out.body);
    assert.equal((await me(t, pair.access_token)).statusCode, 401);
    assertProblem(await refresh(t, pair.refresh_token), 400, 'invalid_grant');
  });

  it('AC-1: a user token is authorized like the console session, and one scoped to an organization (tid) acts in that organization only', async () => {
    const user = await newUser(t, 'scoped');
    const cookie = await t.login(user.email, TEST_PASSWORD);
    const create = async (name: string) => {
      const response = await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name }, headers: { cookie } });
      assert.equal(response.statusCode, 201, response.body);
      return response.json<{ id: string }>().id;
    };
    const home = await create('Home');
    const other = await create('Other');
    const unscoped = await tokenLogin(t, user.email);
    for (const orgId of [home, other]) assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}`, headers: { authorization: `Bearer ${unscoped.access_token}` } })).statusCode, 200);
    const scoped = await tokenLogin(t, user.email, { organization_id: home });
    assert.equal(decodeJwt(scoped.access_token)['tid'], home);
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${home}`, headers: { authorization: `Bearer ${scoped.access_token}` } })).statusCode, 200);
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${other}`, headers: { authorization: `Bearer ${scoped.access_token}` } }), 403, 'forbidden');
    const refreshed = await refresh(t, scoped.refresh_token);
    assert.equal(decodeJwt(refreshed.json<Pair>().access_token)['tid'], home, 'the scope survives rotation');
    // Not a member: refused, and the session just opened is ended.
    const stranger = await newUser(t, 'stranger');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: stranger.email, password: TEST_PASSWORD, response_type: 'token', organization_id: home } }), 403, 'forbidden');
    const strangerCookie = await t.login(stranger.email, TEST_PASSWORD);
    const sessions = await t.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie: strangerCookie } });
    assert.equal(sessions.json<{ items: unknown[] }>().items.length, 1, 'only the cookie session is live');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: TEST_PASSWORD, organization_id: home } }), 400, 'invalid_request');
  });

  it('AUTH-5: a warm access token costs no database query; the cold path costs one transaction', async () => {
    const user = await newUser(t, 'warm');
    const pair = await tokenLogin(t, user.email);
    let transactions = 0;
    const counting = {
      withPlatform: (fn: never) => {
        transactions++;
        return t.transactor.withPlatform(fn);
      },
    } as unknown as AppTransactor;
    const clock = { now: () => new Date() };
    const cache = createVerifiedTokenCache({ clock });
    const authenticator = createBearerAuthenticator({ keys: t.app.services.tokenKeys, ...expectedClaims(t), clock, cache });
    const users = createUserTokenKind({ clock, transactor: counting, integrity: createRowIntegrity(TEST_KEYRING.derive('row-integrity')), feed: undefined, cache });
    authenticator.accept(users.kind);
    const request = { headers: { authorization: `Bearer ${pair.access_token}` }, params: {} } as unknown as FastifyRequest;
    const userIdOf = (principal: Awaited<ReturnType<typeof authenticator.authenticate>>) => (principal?.kind === 'user' ? principal.userId : undefined);
    for (let i = 0; i < 1_000; i++) assert.equal(userIdOf(await authenticator.authenticate(request)), user.userId);
    assert.equal(transactions, 1);
    const warm = authenticator.warm(pair.access_token);
    assert.equal(warm?.kind === 'user' ? warm.sessionId : undefined, sidOf(pair.access_token));
    users.close();
  });
});
