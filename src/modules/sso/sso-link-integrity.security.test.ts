// Issue 13, property 1 (TEN-1): the account links of SSO cannot be forged by SQL injected as
// parapet_app. An organization's IdP vouches for the accounts of the domains that organization
// verified, so a connection (which IdP is believed, its certificates, the just-in-time role) and a
// domain verification decide who an SSO sign-in is. Both carry a MAC under a keyring key the
// database never holds (migration 0091); the SQL below runs as parapet_app in a verified tenant
// context, the way an injection in one of that organization's requests would, and each forged or
// altered row is then tried through the HTTP API, which must not honour it. Runs on both
// databases: the defence is in the application.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { samlIdp, signingPair, testDns, type SamlIdp, type TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, authnRequestOf, postAcs, stateCookie, verifiedDomain } from './sso-test-fixture-helpers.ts';
import { upgradeSsoMacs } from './sso-integrity.ts';

interface Org {
  orgId: string;
  admin: Member;
  connectionId: string;
  acs: string;
  spMetadata: string;
  domain: string;
}

describe('SSO account links carry MACs: SQL cannot make an IdP vouch for an account (issue 13, TEN-1)', () => {
  let t: TestApp;
  let dns: TestDns;
  let victimIdp: SamlIdp;
  let attackerIdp: SamlIdp;
  /** The attacker's own organization, with its own IdP and verified domain (all made legitimately). */
  let attacker: Org;
  /** Another organization, whose members the attacker wants to become. */
  let victim: Org;

  async function samlOrg(label: string, idp: SamlIdp): Promise<Org> {
    const org = await createOrg(t, label);
    const created = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: `IdP ${label}`, protocol: 'saml', default_role: 'viewer', saml: { metadata_xml: idp.metadata } });
    assert.equal(created.statusCode, 201, created.body);
    const connectionId = created.json<{ id: string }>().id;
    const md = await api(t, org.admin, 'GET', `/api/v1/organizations/${org.orgId}/sso/connections/${connectionId}/saml-metadata`);
    const domain = `${label}-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await verifiedDomain(t, dns, { orgId: org.orgId, admin: org.admin }, domain, connectionId);
    return { orgId: org.orgId, admin: org.admin, connectionId, acs: new URL(md.json<{ acs_url: string }>().acs_url).pathname, spMetadata: md.json<{ metadata_xml: string }>().metadata_xml, domain };
  }

  /** Runs SQL as parapet_app in `orgId`'s verified context (an injection in one of its requests). */
  const inject = (orgId: string, text: string, parameters: readonly unknown[] = []) =>
    t.transactor.withTenant(orgId, (tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])));

  /** A sign-in at `org`'s connection answered by `idp` for `email`: the callback's response. */
  async function signIn(org: Org, idp: SamlIdp, email: string) {
    const started = await t.inject({ method: 'GET', url: `/sso/start?org=${org.orgId}&connection=${org.connectionId}` });
    assert.equal(started.statusCode, 302, started.body);
    const request = authnRequestOf(String(started.headers.location));
    return postAcs(t, org.acs, await idp.respond(org.spMetadata, email, request.id), request.relayState, stateCookie(started).header);
  }

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    victimIdp = samlIdp(signingPair('victim-idp'), 'https://victim-idp.example.test/saml');
    attackerIdp = samlIdp(signingPair('attacker-idp'), 'https://attacker-idp.example.test/saml');
    attacker = await samlOrg('attacker', attackerIdp);
    victim = await samlOrg('victim', victimIdp);
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  it("the attacker's IdP signs in accounts of the attacker's own verified domain (the control)", async () => {
    assert.equal((await signIn(attacker, attackerIdp, `own@${attacker.domain}`)).statusCode, 303);
  });

  it('TEN-1: a domain marked verified by hand (also with a real verification MAC copied) does not let the attacker\'s IdP sign in its accounts', async () => {
    // An existing account in a domain nobody verified: the platform operator's, say.
    const domain = `operator-${crypto.randomUUID().slice(0, 8)}.example.net`;
    const email = `root@${domain}`;
    await t.createUser(email, TEST_PASSWORD, { platformAdmin: true });
    assertProblem(await signIn(attacker, attackerIdp, email), 401, 'sso_failed');
    await inject(attacker.orgId, `insert into sso_domains (tenant_id, id, domain, connection_id, verification_token, verified_at, created_at, integrity_mac)
                                  values ($1, gen_random_uuid(), $2, $3, 'x', now(), now(), (select integrity_mac from sso_domains where domain = $4))`, [attacker.orgId, domain, attacker.connectionId, attacker.domain]);
    const refused = await signIn(attacker, attackerIdp, email);
    assertProblem(refused, 401, 'sso_failed');
    assert.equal(refused.cookies.some((c) => c.name === 'parapet_session'), false);
    assert.equal((await auditEvents(t, attacker.orgId, 'sso.sign_in_refused')).at(-1)?.metadata['reason'], 'email_domain_not_verified');
    // Nor does the public lookup route the address to the attacker's IdP.
    assert.deepEqual((await t.inject({ method: 'GET', url: `/api/v1/sso/lookup?email=${encodeURIComponent(email)}` })).json(), { sso: false });
  });

  it('TEN-1: a forged verification does not let the attacker\'s organization enforce SSO on other people\'s password sign-ins', async () => {
    const domain = `people-${crypto.randomUUID().slice(0, 8)}.example.net`;
    const email = `someone@${domain}`;
    await t.createUser(email, TEST_PASSWORD);
    await inject(attacker.orgId, `insert into sso_domains (tenant_id, id, domain, connection_id, verification_token, verified_at, created_at) values ($1, gen_random_uuid(), $2, $3, 'x', now(), now())`, [attacker.orgId, domain, attacker.connectionId]);
    await inject(attacker.orgId, `insert into sso_policies (tenant_id, require_sso, break_glass_user_ids, updated_at) values ($1, true, '{}', now())
                                  on conflict (tenant_id) do update set require_sso = true`, [attacker.orgId]);
    const login = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } });
    assert.equal(login.statusCode, 200, login.body);
    await inject(attacker.orgId, 'update sso_policies set require_sso = false where tenant_id = $1', [attacker.orgId]);
  });

  it("TEN-1: a connection inserted by hand into the victim's organization (with a real connection MAC copied) signs nobody in", async () => {
    // The attacker knows their own connection's values (read in their own context) and copies them.
    const own = (await inject(attacker.orgId, 'select protocol, saml_idp_entity_id, saml_idp_sso_url, saml_idp_certs from sso_connections where id = $1', [attacker.connectionId])).rows[0] as Record<string, unknown>;
    const forged = crypto.randomUUID();
    await inject(victim.orgId, `insert into sso_connections (tenant_id, id, name, protocol, enabled, default_role, saml_idp_entity_id, saml_idp_sso_url, saml_idp_certs, created_at, updated_at, integrity_mac)
                                values ($1, $2, 'forged', 'saml', true, 'tenant_admin', $3, $4, $5, now(), now(), (select integrity_mac from sso_connections where id = $6))`,
    [victim.orgId, forged, own['saml_idp_entity_id'], own['saml_idp_sso_url'], own['saml_idp_certs'], victim.connectionId]);
    assertProblem(await t.inject({ method: 'GET', url: `/sso/start?org=${victim.orgId}&connection=${forged}` }), 404, 'not_found');
    // The victim's own connection still works, and the forged one is not listed.
    assert.equal((await signIn(victim, victimIdp, `member@${victim.domain}`)).statusCode, 303);
    const listed = await api(t, victim.admin, 'GET', `/api/v1/organizations/${victim.orgId}/sso/connections`);
    assert.ok(!listed.json<{ items: { id: string }[] }>().items.some((c) => c.id === forged));
  });

  it("TEN-1: the victim's connection switched by hand to the attacker's certificate, or to a stronger default role, signs nobody in", async () => {
    const other = await samlOrg('switched', victimIdp);
    const own = (await inject(attacker.orgId, 'select saml_idp_entity_id, saml_idp_certs from sso_connections where id = $1', [attacker.connectionId])).rows[0] as Record<string, unknown>;
    await inject(other.orgId, 'update sso_connections set saml_idp_entity_id = $2, saml_idp_certs = $3 where id = $1', [other.connectionId, own['saml_idp_entity_id'], own['saml_idp_certs']]);
    assertProblem(await t.inject({ method: 'GET', url: `/sso/start?org=${other.orgId}&connection=${other.connectionId}` }), 404, 'not_found');
    const raised = await samlOrg('raised', victimIdp);
    await inject(raised.orgId, "update sso_connections set default_role = 'tenant_admin' where id = $1", [raised.connectionId]);
    assertProblem(await t.inject({ method: 'GET', url: `/sso/start?org=${raised.orgId}&connection=${raised.connectionId}` }), 404, 'not_found');
  });

  it('a connection changed through the API is re-MACed and still signs in (the update path works)', async () => {
    const org = await samlOrg('patched', victimIdp);
    const patched = await api(t, org.admin, 'PATCH', `/api/v1/organizations/${org.orgId}/sso/connections/${org.connectionId}`, { default_role: 'security_analyst' });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((await signIn(org, victimIdp, `after-patch@${org.domain}`)).statusCode, 303);
  });

  it('TEN-1: the back-fill MACs the copies the migration took, not the live rows; parapet_app cannot write a copy', async () => {
    const kept = await samlOrg('kept', victimIdp);
    const altered = await samlOrg('altered', victimIdp);
    for (const org of [kept, altered]) {
      await inject(org.orgId, 'update sso_connections set integrity_mac = null where id = $1', [org.connectionId]);
      await inject(org.orgId, 'update sso_domains set integrity_mac = null where tenant_id = $1', [org.orgId]);
    }
    assertProblem(await t.inject({ method: 'GET', url: `/sso/start?org=${kept.orgId}&connection=${kept.connectionId}` }), 404, 'not_found');
    // The owner is bound by the copies' forced RLS too: the migration copies before enabling it.
    const ids = `'${kept.orgId}', '${altered.orgId}'`;
    await t.database.db.withOwner((session) =>
      session.exec(`alter table sso_connections_mac_upgrade no force row level security;
                    alter table sso_domains_mac_upgrade no force row level security;
                    create policy probe_0091 on sso_connections for select to parapet_owner using (true);
                    insert into sso_connections_mac_upgrade select tenant_id, id, protocol, enabled, default_role, oidc_issuer, oidc_client_id, saml_idp_entity_id, saml_idp_sso_url,
                      saml_idp_certs, saml_allow_idp_initiated, created_at from sso_connections where tenant_id in (${ids});
                    insert into sso_domains_mac_upgrade select tenant_id, id, domain, verified_at from sso_domains where tenant_id in (${ids}) and verified_at is not null;
                    drop policy probe_0091 on sso_connections;
                    alter table sso_connections_mac_upgrade force row level security;
                    alter table sso_domains_mac_upgrade force row level security`),
    );
    // After the copy (as if between the migration and the start), one connection is switched by hand.
    await inject(altered.orgId, "update sso_connections set default_role = 'tenant_admin' where id = $1", [altered.connectionId]);
    assert.deepEqual((await inject(kept.orgId, 'select id from sso_connections_mac_upgrade union all select id from sso_domains_mac_upgrade')).rows, [], 'parapet_app sees no copy outside the jobs context');
    await assert.rejects(inject(kept.orgId, "insert into sso_domains_mac_upgrade (tenant_id, id, domain, verified_at) values ($1, gen_random_uuid(), 'evil.example', now())", [kept.orgId]), /permission denied|violates/);
    const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
    assert.equal(await upgradeSsoMacs(t.transactor, integrity), 4);
    assert.equal((await signIn(kept, victimIdp, `kept@${kept.domain}`)).statusCode, 303, 'a connection and domain copied by the migration work again');
    assertProblem(await t.inject({ method: 'GET', url: `/sso/start?org=${altered.orgId}&connection=${altered.connectionId}` }), 404, 'not_found');
    assert.equal(await upgradeSsoMacs(t.transactor, integrity), 0, 'each copy is used once');
  });
});
