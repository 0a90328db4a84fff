// Helpers for access-control tests: organizations with members bound to roles, signed in.
import assert from 'node:assert/strict';
import { PLATFORM_TENANT_ID } from '../../src/modules/audit/index.ts';
import { findUserById } from '../../src/modules/identity/identity-store.ts';
import { TEST_PASSWORD, type TestApp } from './app.ts';

export interface Member {
  readonly userId: string;
  readonly cookie: string;
}

/** Creates an organization (its creator is Tenant Admin) with one project and one environment. */
export async function createOrg(t: TestApp, label: string): Promise<{ orgId: string; projectId: string; environmentId: string; admin: Member }> {
  const admin = await signUp(t, `${label}-admin`);
  const orgId = await post(t, admin, '/api/v1/organizations', { name: `Org ${label}` });
  const projectId = await post(t, admin, `/api/v1/organizations/${orgId}/projects`, { name: `Project ${label}` });
  const environmentId = await post(t, admin, `/api/v1/organizations/${orgId}/projects/${projectId}/environments`, { name: 'production', kind: 'production' });
  return { orgId, projectId, environmentId, admin };
}

/** A new user, signed in. */
export async function signUp(t: TestApp, label: string, options: { platformAdmin?: boolean } = {}): Promise<Member> {
  const email = `${label}-${crypto.randomUUID()}@example.com`;
  const user = await t.createUser(email, TEST_PASSWORD, options);
  return { userId: user.id, cookie: await t.login(email, TEST_PASSWORD) };
}

/** Adds a user to an organization directly (faster than an invitation: POST /api/v1/organizations/:orgId/invitations, docs/identity.md). */
export async function addMember(t: TestApp, orgId: string, userId: string): Promise<void> {
  await t.transactor.withTenant(orgId, async (tx) => {
    await tx.insertInto('memberships').values({ tenant_id: orgId, user_id: userId, role: 'member', created_at: new Date() }).execute();
    await t.app.services.access.changed(tx, orgId);
  });
}

/** A new member of `orgId` holding `role` at `scope`, signed in. */
export async function memberWithRole(
  t: TestApp,
  org: { orgId: string; admin: Member },
  role: string,
  scope: { project_id?: string; environment_id?: string } = {},
  extra: { conditions?: object; expires_at?: string } = {},
): Promise<Member & { bindingId: string }> {
  const member = await signUp(t, role);
  await addMember(t, org.orgId, member.userId);
  const bindingId = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/bindings`, { principal: { type: 'user', id: member.userId }, role, scope, ...extra });
  return { ...member, bindingId };
}

export async function post(t: TestApp, who: Member, url: string, payload: object): Promise<string> {
  const response = await t.inject({ method: 'POST', url, payload, headers: { cookie: who.cookie } });
  assert.equal(response.statusCode, 201, `${url}: ${response.body}`);
  return response.json<{ id: string }>().id;
}

/** An organization security policy with nothing required (PUT …/security-policy takes every field). */
export const OPEN_POLICY = { mfa_required: false, allowed_mfa_methods: ['totp', 'webauthn'], session_idle_minutes: null, session_absolute_hours: null, ip_allowlist: [] };

/** A session for `userId` signed in now with `authMethods` (as the MFA step would leave it). */
export async function sessionWith(t: TestApp, userId: string, authMethods: string[]): Promise<Member> {
  const user = await t.transactor.withPlatform((tx) => findUserById(tx, userId));
  assert.ok(user);
  const { token } = await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => t.app.services.sessions.create(tx, user, { ip: '127.0.0.1', userAgent: 'test', authMethods }), user.id);
  return { userId, cookie: `parapet_session=${token}` };
}
