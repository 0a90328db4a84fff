import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, OPEN_POLICY, sessionWith } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { samlIdp, signingPair, testDns, type SamlIdp, type TestDns } from './sso-test-fixture.ts';
import { postAcs } from './sso-test-fixture-helpers.ts';
import { samlOrg, startSaml, type SamlOrg } from './sso-saml-test-org.ts';

const MFA_CLASS = 'https://refeds.org/profile/mfa';
const PASSWORD_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

// AUTH-4 (issue 18 part 3): an organization's MFA policy may accept its own IdP's multi-factor
// authentication (AuthnContextClassRef / amr) or demand Parapet's second factor; the IdP of one
// organization never vouches for another's.
describe('sso: accepting the IdP\u2019s MFA for the organization\u2019s MFA policy (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let idp: SamlIdp;
  let a: SamlOrg;

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    idp = samlIdp(signingPair('idp-mfa'));
    a = await samlOrg(t, dns, 'mfa', idp);
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  async function setPolicy(orgId: string, adminId: string, acceptIdpMfa: boolean): Promise<void> {
    const admin = await sessionWith(t, adminId, ['pwd', 'otp']);
    const put = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${orgId}/security-policy`, headers: { cookie: admin.cookie }, payload: { ...OPEN_POLICY, mfa_required: true, accept_idp_mfa: acceptIdpMfa } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<{ accept_idp_mfa: boolean }>().accept_idp_mfa, acceptIdpMfa);
  }

  /** Signs `email` in through A's IdP with `classRef`; the session cookie. */
  async function ssoSession(email: string, classRef: string): Promise<string> {
    const s = await startSaml(t, a);
    const response = await postAcs(t, a.acs, await idp.respond(a.spMetadata, email, s.requestId, { ClassRef: classRef }), s.relayState, s.cookie);
    assert.equal(response.statusCode, 303, response.body);
    const session = response.cookies.find((c) => c.name === 'parapet_session');
    assert.ok(session !== undefined);
    return `parapet_session=${session.value}`;
  }

  const read = (orgId: string, cookie: string) => t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}`, headers: { cookie } });

  it('AUTH-4: with MFA required, an IdP-asserted MFA counts only while the organization accepts it; a password-only IdP sign-in never does', async () => {
    const email = `mfa-${crypto.randomUUID().slice(0, 8)}@${a.domain}`;
    const withMfa = await ssoSession(email, MFA_CLASS);
    await setPolicy(a.orgId, a.admin.userId, false);
    assertProblem(await read(a.orgId, withMfa), 403, 'mfa_required');
    await setPolicy(a.orgId, a.admin.userId, true);
    assert.equal((await read(a.orgId, withMfa)).statusCode, 200);
    const passwordOnly = await ssoSession(email, PASSWORD_CLASS);
    assertProblem(await read(a.orgId, passwordOnly), 403, 'mfa_required');
    // Turning acceptance off applies to live sessions at once.
    await setPolicy(a.orgId, a.admin.userId, false);
    assertProblem(await read(a.orgId, withMfa), 403, 'mfa_required');
  });

  it('AUTH-4: organization A\u2019s IdP asserting MFA does not satisfy organization B\u2019s MFA policy, even when B accepts its own IdP\u2019s MFA', async () => {
    await setPolicy(a.orgId, a.admin.userId, true);
    const email = `both-${crypto.randomUUID().slice(0, 8)}@${a.domain}`;
    const cookie = await ssoSession(email, MFA_CLASS);
    assert.equal((await read(a.orgId, cookie)).statusCode, 200);
    const b = await createOrg(t, 'mfa-b');
    const user = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow());
    await addMember(t, b.orgId, user.id);
    const admin = await sessionWith(t, b.admin.userId, ['pwd', 'otp']);
    const bound = await t.inject({ method: 'POST', url: `/api/v1/organizations/${b.orgId}/bindings`, headers: { cookie: admin.cookie }, payload: { principal: { type: 'user', id: user.id }, role: 'viewer' } });
    assert.equal(bound.statusCode, 201, bound.body);
    assert.equal((await read(b.orgId, cookie)).statusCode, 200, 'a member of B before B requires MFA');
    await setPolicy(b.orgId, b.admin.userId, true);
    assertProblem(await read(b.orgId, cookie), 403, 'mfa_required');
  });
});
