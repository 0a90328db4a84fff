// Token lifetimes bounded by the organization's session policy (issue 17, item 2 of "Applications"):
// an application registered with the platform's longest lifetimes, in an organization whose policy
// ends idle sessions after 5 minutes and every session after 1 hour, gets no token that outlives them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, type Running } from './openid-test-fixture.ts';
import { policyBoundedLifetimes } from './policy-lifetimes.ts';

describe("OIDC token lifetimes within the organization's session policy", () => {
  let r: Running;
  before(async () => {
    r = await startProvider('policy-ttl');
  });
  after(async () => {
    await r.t.close();
  });

  async function setPolicy(idleMinutes: number | null, absoluteHours: number | null) {
    const response = await r.t.inject({ method: 'PUT', url: `/api/v1/organizations/${r.org.orgId}/security-policy`, headers: { cookie: r.org.cookie }, payload: { mfa_required: false, allowed_mfa_methods: ['totp', 'webauthn'], session_idle_minutes: idleMinutes, session_absolute_hours: absoluteHours, ip_allowlist: [] } });
    assert.equal(response.statusCode, 200, response.body);
  }

  /** The code flow for a new user; the tokens, the ID token's lifetime and the stored refresh token's remaining life. */
  async function signInAndExchange(config: oidc.Configuration) {
    const request = await authorizationRequest(config);
    const callback = await signIn(r, new Browser(r.issuer), request.url, await newUser(r, 'ttl'));
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const claims = tokens.claims();
    const refresh = await r.t.transactor.withPlatform((tx) => tx.selectFrom('oidc_artifacts').select('expires_at').where('kind', '=', 'RefreshToken').orderBy('expires_at', 'desc').executeTakeFirst());
    // The longest-lived refresh token stored: each test reads it only where no longer one came before.
    return { tokens, idTokenSeconds: (claims?.exp ?? 0) - (claims?.iat ?? 0), refreshRemaining: ((refresh?.expires_at?.getTime() ?? 0) - Date.now()) / 1000 };
  }

  it('an application registered for 1 h access and ID tokens and 7-day refresh tokens gets 5 min and 1 h under a 5-minute idle, 1-hour absolute policy, also after a refresh', async () => {
    const app = await application(r, { access_token_ttl_seconds: 3600, id_token_ttl_seconds: 3600, refresh_token_ttl_seconds: 604_800 });
    const config = await discover(r, app);
    await setPolicy(5, 1);
    const { tokens, idTokenSeconds, refreshRemaining } = await signInAndExchange(config);
    assert.equal(tokens.expires_in, 300);
    assert.equal(idTokenSeconds, 300);
    assert.ok(refreshRemaining > 3000 && refreshRemaining <= 3600, String(refreshRemaining));
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.equal(refreshed.expires_in, 300);
    assert.equal((refreshed.claims()?.exp ?? 0) - (refreshed.claims()?.iat ?? 0), 300);
  });

  it("a shorter application lifetime stays the application's; with the policy back at the platform defaults the registered lifetimes apply again", async () => {
    const app = await application(r, { access_token_ttl_seconds: 120, id_token_ttl_seconds: 3600, refresh_token_ttl_seconds: 86_400 });
    const config = await discover(r, app);
    await setPolicy(5, 1);
    const capped = await signInAndExchange(config);
    assert.deepEqual({ access: capped.tokens.expires_in, id: capped.idTokenSeconds }, { access: 120, id: 300 });
    await setPolicy(null, null);
    const free = await signInAndExchange(config);
    assert.deepEqual({ access: free.tokens.expires_in, id: free.idTokenSeconds }, { access: 120, id: 3600 });
    assert.ok(free.refreshRemaining > 86_000 && free.refreshRemaining <= 86_400, String(free.refreshRemaining));
  });

  it('caps each lifetime: idle bounds access and ID tokens, absolute bounds all three', () => {
    const app = { access_token_ttl_seconds: 3600, id_token_ttl_seconds: 900, refresh_token_ttl_seconds: 604_800 };
    assert.deepEqual(policyBoundedLifetimes(app, { sessionIdleMinutes: 10, sessionAbsoluteHours: 2 }), { accessToken: 600, idToken: 600, refreshToken: 7200 });
    assert.deepEqual(policyBoundedLifetimes(app, { sessionIdleMinutes: null, sessionAbsoluteHours: 24 }), { accessToken: 3600, idToken: 900, refreshToken: 86_400 });
    assert.deepEqual(policyBoundedLifetimes(app, undefined), { accessToken: 3600, idToken: 900, refreshToken: 604_800 });
  });
});
