// Shared set-up for the OAuth tests: an organization with an admin, service accounts with role
// bindings, clients, and helpers to ask the token endpoint for tokens through app.inject().
import assert from 'node:assert/strict';
import type { BuiltInRoleKey } from '../access/index.ts';
import { TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
export { freePort } from '../../../test/support/ports.ts';

export interface OrgFixture {
  readonly orgId: string;
  readonly projectId: string;
  readonly cookie: string;
  readonly userId: string;
}

export async function seedOrg(t: TestApp, label: string): Promise<OrgFixture> {
  const email = `${label}-${crypto.randomUUID()}@example.com`;
  const user = await t.createUser(email, TEST_PASSWORD);
  const cookie = await t.login(email, TEST_PASSWORD);
  const org = await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: `Org ${label}` }, headers: { cookie } });
  assert.equal(org.statusCode, 201, org.body);
  const orgId = org.json<{ id: string }>().id;
  const project = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects`, payload: { name: `Project ${label}` }, headers: { cookie } });
  assert.equal(project.statusCode, 201, project.body);
  return { orgId, projectId: project.json<{ id: string }>().id, cookie, userId: user.id };
}

/** A service account bound to `roles` (organization-wide, or at `projectId`), through the API. */
export async function seedServiceAccount(t: TestApp, org: OrgFixture, name: string, roles: readonly BuiltInRoleKey[], options: { projectId?: string } = {}): Promise<string> {
  const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/service-accounts`, payload: { name }, headers: { cookie: org.cookie } });
  assert.equal(created.statusCode, 201, created.body);
  const id = created.json<{ id: string }>().id;
  for (const role of roles) {
    const binding = await t.inject({
      method: 'POST',
      url: `/api/v1/organizations/${org.orgId}/bindings`,
      payload: { principal: { type: 'service_account', id }, role, ...(options.projectId === undefined ? {} : { scope: { project_id: options.projectId } }) },
      headers: { cookie: org.cookie },
    });
    assert.equal(binding.statusCode, 201, binding.body);
  }
  return id;
}

/** Disables a service account through its route. */
export async function disableServiceAccount(t: TestApp, org: OrgFixture, serviceAccountId: string): Promise<void> {
  const response = await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${org.orgId}/service-accounts/${serviceAccountId}`, payload: { disabled: true }, headers: { cookie: org.cookie } });
  assert.equal(response.statusCode, 200, response.body);
}

export interface CreatedClient {
  readonly client_id: string;
  readonly client_secret?: string;
}

export async function createClient(t: TestApp, org: OrgFixture, serviceAccountId: string, body: object = { name: 'ci' }): Promise<CreatedClient> {
  const response = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/service-accounts/${serviceAccountId}/clients`, payload: body, headers: { cookie: org.cookie } });
  assert.equal(response.statusCode, 201, response.body);
  return response.json<CreatedClient>();
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** POSTs a form to /oauth/token with app.inject(). */
export async function tokenRequest(t: TestApp, form: Record<string, string>, headers: Record<string, string> = {}) {
  return t.inject({ method: 'POST', url: '/oauth/token', payload: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

/** A token for a secret client (client_secret_basic), asserting success. */
export async function secretToken(t: TestApp, client: CreatedClient, form: Record<string, string> = {}): Promise<string> {
  const response = await tokenRequest(t, { grant_type: 'client_credentials', ...form }, { authorization: basic(client.client_id, client.client_secret ?? '') });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<{ access_token: string }>().access_token;
}
