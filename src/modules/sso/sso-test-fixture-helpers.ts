// Test-only: organizations with an SSO connection and a verified domain, and the browser's side of a sign-in.
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../../test/support/app.ts';
import type { Member } from '../../../test/support/access.ts';
import type { TestDns } from './sso-test-fixture.ts';

export async function api(t: TestApp, who: Member, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse> {
  return t.inject({ method, url, headers: { cookie: who.cookie }, ...(payload === undefined ? {} : { payload }) });
}

/** Claims `domain` for the organization and proves it through the test DNS server. */
export async function verifiedDomain(t: TestApp, dns: TestDns, org: { orgId: string; admin: Member }, domain: string, connectionId: string): Promise<string> {
  const claimed = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/domains`, { domain, connection_id: connectionId });
  assert.equal(claimed.statusCode, 201, claimed.body);
  const body = claimed.json<{ id: string; txt_record: { name: string; value: string } }>();
  dns.setTxt(body.txt_record.name, [body.txt_record.value]);
  const verified = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/domains/${body.id}/verify`);
  assert.equal(verified.statusCode, 200, verified.body);
  return body.id;
}

/** The state cookie a start response set, as a Cookie header value. */
export function stateCookie(response: LightMyRequestResponse): { header: string; value: string } {
  const cookie = response.cookies.find((c) => c.name === 'parapet_sso_state');
  assert.ok(cookie !== undefined, 'no state cookie');
  return { header: `parapet_sso_state=${cookie.value}`, value: cookie.value };
}

/** The ID and RelayState of the AuthnRequest in an HTTP-Redirect URL. */
export function authnRequestOf(location: string): { id: string; relayState: string; xml: string } {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const id = /\bID="([^"]+)"/.exec(xml)?.[1];
  assert.ok(id !== undefined);
  return { id, relayState: url.searchParams.get('RelayState') ?? '', xml };
}

/** Posts a SAMLResponse to the ACS as the IdP's auto-submitting form would. */
export function postAcs(t: TestApp, acsPath: string, samlResponse: string, relayState: string | undefined, cookie: string | undefined): Promise<LightMyRequestResponse> {
  const form = new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState === undefined ? {} : { RelayState: relayState }) });
  return t.inject({ method: 'POST', url: acsPath, payload: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://idp.example.test', ...(cookie === undefined ? {} : { cookie }) } });
}

/**
 * The organization's audit events of one action, oldest first, from the inbox and the sequenced log
 * alike (the sequencer moves events out of the inbox as soon as it is woken). Event ids are UUIDv7,
 * so their order is the order of recording.
 */
export async function auditEvents(t: TestApp, orgId: string, action: string): Promise<{ metadata: Record<string, unknown>; targets: { type: string; id: string }[] }[]> {
  type Event = { action: string; metadata: Record<string, unknown>; targets: { type: string; id: string }[] };
  const { inbox, logged } = await t.transactor.withTenant(orgId, async (tx) => ({
    inbox: await tx.selectFrom('audit_inbox').select(['id', 'event']).execute(),
    logged: await tx.selectFrom('audit_events').select(['id', 'canonical']).where('action', '=', action).execute(),
  }));
  const all = [
    ...inbox.map((row) => ({ id: row.id, event: row.event as Event })),
    ...logged.map((row) => ({ id: row.id, event: JSON.parse(Buffer.from(row.canonical).toString('utf8')) as Event })),
  ];
  return all.filter((row) => row.event.action === action).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).map((row) => row.event);
}
