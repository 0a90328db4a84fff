// docs/integrate.md is run, not just read: its registration body is posted, its app module is
// written out and imported, and its functions drive a real sign-in against a running Parapet.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Browser, signIn, startProvider, type Running } from '../../src/modules/openid/openid-test-fixture.ts';
import { addMember } from '../support/access.ts';
import { TEST_PASSWORD } from '../support/app.ts';

const page = readFileSync(new URL('../../docs/integrate.md', import.meta.url), 'utf8');

/** The fenced block whose info string is `<lang> <name>`. */
function block(lang: string, name: string): string {
  const found = new RegExp('```' + lang + ' ' + name + '\\n([\\s\\S]*?)```').exec(page)?.[1];
  assert.ok(found !== undefined, `docs/integrate.md has no \`${lang} ${name}\` block`);
  return found;
}

interface AppModule {
  connect(issuer: string, clientId: string, clientSecret: string, options?: oidc.DiscoveryRequestOptions): Promise<oidc.Configuration>;
  startSignIn(config: oidc.Configuration, redirectUri: string): Promise<{ url: URL; pending: { codeVerifier: string; state: string; nonce: string } }>;
  finishSignIn(config: oidc.Configuration, currentUrl: URL, pending: { codeVerifier: string; state: string; nonce: string }): Promise<{ user: { id: string; email: unknown; orgId: unknown; roles: unknown }; tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers }>;
  refresh(config: oidc.Configuration, refreshToken: string): Promise<oidc.TokenEndpointResponse>;
  signOutUrl(config: oidc.Configuration, idToken: string, postLogoutRedirectUri: string): URL;
}

describe('docs/integrate.md: an app signs in with Parapet by following the page', () => {
  let r: Running;
  // Beside this file, so `openid-client` resolves from the repository's node_modules.
  const moduleFile = new URL(`./.integrate-app-${crypto.randomUUID()}.ts`, import.meta.url);
  before(async () => {
    r = await startProvider('integrate');
    await writeFile(moduleFile, block('ts', 'integrate-app'));
  });
  after(async () => {
    await unlink(moduleFile).catch(() => undefined);
    await r.t.close();
  });

  it('registers the application with the documented body, then signs a member in, refreshes and builds the sign-out URL with the documented module', async () => {
    // Step 1: the registration body, as written.
    const body = JSON.parse(block('json', 'integrate-register')) as { redirect_uris: string[]; post_logout_redirect_uris: string[] };
    const registered = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/applications`, payload: body, headers: { cookie: r.org.cookie } });
    assert.equal(registered.statusCode, 201, registered.body);
    const { client_id, client_secret } = registered.json<{ client_id: string; client_secret: string }>();
    const redirectUri = body.redirect_uris[0] ?? '';

    // A member of the organization, with a role, to sign in as.
    const email = `integrate-${crypto.randomUUID()}@example.com`;
    const user = await r.t.createUser(email, TEST_PASSWORD);
    await addMember(r.t, r.org.orgId, user.id);
    const bound = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${r.org.orgId}/bindings`, payload: { principal: { type: 'user', id: user.id }, role: 'viewer', scope: {} }, headers: { cookie: r.org.cookie } });
    assert.equal(bound.statusCode, 201, bound.body);

    // Step 3: the module, as written.
    const app = (await import(moduleFile.href)) as AppModule;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http on loopback, as the page says, for local development only
    const config = await app.connect(r.issuer, client_id, client_secret, { execute: [oidc.allowInsecureRequests] });
    const { url, pending } = await app.startSignIn(config, redirectUri);
    assert.equal(url.origin, r.issuer);
    const callback = await signIn(r, new Browser(r.issuer), url, email);
    assert.ok(callback.startsWith(`${redirectUri}?code=`), callback);

    // Step 4: what the page says the app gets.
    const { user: signedIn, tokens } = await app.finishSignIn(config, new URL(callback), pending);
    assert.equal(signedIn.id, user.id);
    assert.equal(signedIn.email, email);
    assert.equal(signedIn.orgId, r.org.orgId);
    assert.deepEqual(signedIn.roles, ['viewer']);
    assert.ok(tokens.refresh_token);
    const refreshed = await app.refresh(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
    const signOut = app.signOutUrl(config, tokens.id_token ?? '', body.post_logout_redirect_uris[0] ?? '');
    assert.ok(signOut.href.startsWith(`${r.issuer}/oidc/session/end?`), signOut.href);
  });
});
