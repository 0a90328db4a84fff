// Test-only: an organization with a SAML connection to an in-process IdP and a verified domain,
// and a browser's start of a sign-in there (shared by the SAML security suites).
import assert from 'node:assert/strict';
import type { TestApp } from '../../../test/support/app.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { emailTaken } from '../identity/index.ts';
import type { SamlIdp, TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, authnRequestOf, stateCookie, verifiedDomain } from './sso-test-fixture-helpers.ts';

export interface SamlOrg {
  readonly orgId: string;
  readonly admin: Member;
  readonly connectionId: string;
  /** The ACS path (`/sso/saml/<org>/<connection>/acs`). */
  readonly acs: string;
  readonly spMetadata: string;
  readonly domain: string;
}

/** A new organization whose SAML connection trusts `idp` (extra `saml` fields merged), with a verified domain. */
export async function samlOrg(t: TestApp, dns: TestDns, label: string, idp: SamlIdp, extra: object = {}): Promise<SamlOrg> {
  const org = await createOrg(t, label);
  const created = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: `IdP ${label}`, protocol: 'saml', default_role: 'viewer', saml: { metadata_xml: idp.metadata, ...extra } });
  assert.equal(created.statusCode, 201, created.body);
  const connectionId = created.json<{ id: string }>().id;
  const md = await api(t, org.admin, 'GET', `/api/v1/organizations/${org.orgId}/sso/connections/${connectionId}/saml-metadata`);
  assert.equal(md.statusCode, 200, md.body);
  const domain = `${label}-${crypto.randomUUID().slice(0, 8)}.example.org`;
  await verifiedDomain(t, dns, { orgId: org.orgId, admin: org.admin }, domain, connectionId);
  return { orgId: org.orgId, admin: org.admin, connectionId, acs: new URL(md.json<{ acs_url: string }>().acs_url).pathname, spMetadata: md.json<{ metadata_xml: string }>().metadata_xml, domain };
}

/** Starts a sign-in at `org`'s connection as a browser: the request id, the RelayState and the state cookie. */
export async function startSaml(t: TestApp, org: SamlOrg): Promise<{ requestId: string; relayState: string; cookie: string }> {
  const started = await t.inject({ method: 'GET', url: `/sso/start?org=${org.orgId}&connection=${org.connectionId}` });
  assert.equal(started.statusCode, 302, started.body);
  const request = authnRequestOf(String(started.headers.location));
  return { requestId: request.id, relayState: request.relayState, cookie: stateCookie(started).header };
}

/** The reason of the organization's last `sso.sign_in_refused`. */
export async function lastRefusal(t: TestApp, org: SamlOrg): Promise<unknown> {
  const events = await auditEvents(t, org.orgId, 'sso.sign_in_refused');
  return events.at(-1)?.metadata['reason'];
}

/** Whether an account with this address exists. */
export async function accountExists(t: TestApp, email: string): Promise<boolean> {
  return (await t.transactor.withPlatform((tx) => emailTaken(tx, email)));
}
