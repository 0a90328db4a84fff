// Shared set-up for the OAuth tests: an organization with an admin, service accounts with role
// bindings, clients, and helpers to ask the token endpoint for tokens through app.inject().
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { BuiltInRoleKey } from '../access/index.ts';
import { TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';

export interface OrgFixture {
  readonly orgId: string;
  readonly projectId: string;
  readonly cookie: string;
  readonly userId: string;
}

/** A free loopback port (for a test that needs a real socket and a matching public URL). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
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

/** A service account bound to `roles` (organization-wide, or at `projectId`). */
export async function seedServiceAccount(t: TestApp, org: OrgFixture, name: string, roles: readonly BuiltInRoleKey[], options: { projectId?: string } = {}): Promise<string> {
  const id = crypto.randomUUID();
  const now = new Date();
  await t.transactor.withTenant(org.orgId, async (tx) => {
    await tx.insertInto('service_accounts').values({ tenant_id: org.orgId, id, name, description: '', created_by: org.userId, created_at: now, disabled_at: null }).execute();
    for (const role of roles) {
      await tx
        .insertInto('role_bindings')
        .values({
          tenant_id: org.orgId,
          id: crypto.randomUUID(),
          principal_type: 'service_account',
          principal_id: id,
          built_in_role: role,
          custom_role_id: null,
          project_id: options.projectId ?? null,
          environment_id: null,
          conditions: null,
          expires_at: null,
          grant_id: null,
          created_by: org.userId,
          created_at: now,
          last_used_at: null,
        })
        .execute();
    }
    await t.app.services.access.changed(tx, org.orgId);
  });
  return id;
}

/** Disables a service account the way its route does (and tells every node). */
export async function disableServiceAccount(t: TestApp, org: OrgFixture, serviceAccountId: string): Promise<void> {
  await t.transactor.withTenant(org.orgId, async (tx) => {
    await tx.updateTable('service_accounts').set({ disabled_at: new Date() }).where('tenant_id', '=', org.orgId).where('id', '=', serviceAccountId).execute();
    await t.app.services.access.changed(tx, org.orgId);
  });
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
