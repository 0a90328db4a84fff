// Test-only: an organization with a verified email domain and a SCIM directory, and SCIM requests as an IdP sends them.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../../test/support/app.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import type { TestDns } from '../sso/sso-test-fixture.ts';

export interface ScimOrg {
  readonly orgId: string;
  readonly admin: Member;
  readonly domain: string;
  readonly directoryId: string;
  readonly token: string;
}

/** Claims and proves `domain` through the test DNS server (no SSO connection needed). */
export async function proveDomain(t: TestApp, dns: TestDns, org: { orgId: string; admin: Member }, domain: string): Promise<void> {
  const claimed = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/sso/domains`, headers: { cookie: org.admin.cookie }, payload: { domain } });
  assert.equal(claimed.statusCode, 201, claimed.body);
  const body = claimed.json<{ id: string; txt_record: { name: string; value: string } }>();
  dns.setTxt(body.txt_record.name, [body.txt_record.value]);
  const verified = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/sso/domains/${body.id}/verify`, headers: { cookie: org.admin.cookie } });
  assert.equal(verified.statusCode, 200, verified.body);
}

/** Creates a SCIM directory through the admin API; the token is in the answer, once. */
export async function createDirectory(t: TestApp, org: { orgId: string; admin: Member }, defaultRole = 'viewer'): Promise<{ directoryId: string; token: string }> {
  const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/scim/directories`, headers: { cookie: org.admin.cookie }, payload: { name: 'Okta', default_role: defaultRole } });
  assert.equal(created.statusCode, 201, created.body);
  const body = created.json<{ directory: { id: string }; token: string }>();
  return { directoryId: body.directory.id, token: body.token };
}

/** An organization with a verified domain and one SCIM directory. */
export async function scimOrg(t: TestApp, dns: TestDns, label: string, defaultRole = 'viewer'): Promise<ScimOrg> {
  const org = await createOrg(t, label);
  const domain = `${label}-${crypto.randomUUID().slice(0, 8)}.example.org`;
  await proveDomain(t, dns, org, domain);
  const { directoryId, token } = await createDirectory(t, org, defaultRole);
  return { orgId: org.orgId, admin: org.admin, domain, directoryId, token };
}

/** A SCIM request as an IdP sends it: bearer token, application/scim+json. */
export function scim(t: TestApp, token: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return t.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json', ...(payload === undefined ? {} : { 'content-type': 'application/scim+json; charset=utf-8' }), ...headers },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}

/** Asserts a SCIM error answer (RFC 7644 §3.12) with its status and scimType. */
export function assertScimError(response: LightMyRequestResponse, status: number, scimType?: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/scim\+json/);
  const body = response.json<{ schemas: string[]; status: string; scimType?: string }>();
  assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  assert.equal(body.status, String(status));
  assert.equal(body.scimType, scimType);
}

/** The organization-level roles a user holds, read through the members API (as the admin sees them). */
export async function rolesOf(t: TestApp, org: { orgId: string; admin: Member }, userId: string): Promise<string[] | undefined> {
  const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/members/${userId}`, headers: { cookie: org.admin.cookie } });
  if (response.statusCode === 404) return undefined;
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json<{ member?: boolean; roles?: { role: string }[] }>();
  if (body.member === false) return undefined;
  return (body.roles ?? []).map((r) => r.role).sort();
}
