// Shared set-up for the API key tests: an organization with two projects (each with a production
// environment), its admin signed in, helpers to make keys, members with chosen permissions, and
// requests made with a key.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING, type TestDatabase } from '../../../test/support/databases.ts';
import { createRowIntegrity } from '../identity/index.ts';
import type { DB } from '../../database.ts';
import { openDatabase } from '../../platform/db/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { insertBinding, insertRole } from '../access/access-store.ts';
import type { BuiltInRoleKey, Permission } from '../access/index.ts';
import { insertMembership } from '../tenants/tenants-store.ts';

export interface CreatedKeyBody {
  id: string;
  key: string;
  signing_secret: string | null;
  permissions: string[];
  project_id: string | null;
  environment_id: string | null;
  mode: string;
  status: string;
  expires_at: string;
}

export interface KeyFixture {
  readonly t: TestApp;
  readonly cookie: string;
  readonly userId: string;
  readonly orgId: string;
  readonly projectId: string;
  readonly environmentId: string;
  /** Another environment of the same project (staging). */
  readonly siblingEnvironmentId: string;
  readonly otherProjectId: string;
  /** An environment of the other project. */
  readonly otherEnvironmentId: string;
  /** Creates a key as `cookie` (default: the admin); asserts 201. */
  createKey(body: Record<string, unknown>, cookie?: string): Promise<CreatedKeyBody>;
  /** A request authenticated with `key`. */
  withKey(key: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A new member of the organization bound to a built-in role or to a custom role with `permissions`; returns their cookie. */
  addMember(grant: { role: BuiltInRoleKey } | { permissions: Permission[] }): Promise<{ cookie: string; userId: string }>;
  close(): Promise<void>;
}

async function created(t: TestApp, cookie: string, url: string, payload: object): Promise<string> {
  const response = await t.inject({ method: 'POST', url, payload, headers: { cookie } });
  assert.equal(response.statusCode, 201, `${url}: ${response.body}`);
  return response.json<{ id: string }>().id;
}

export async function keyFixture(options: { clock?: Clock; database?: TestDatabase } = {}): Promise<KeyFixture> {
  const t = await createTestApp({ ...(options.clock === undefined ? {} : { clock: options.clock }), ...(options.database === undefined ? {} : { database: options.database }) });
  const email = `admin-${crypto.randomUUID()}@example.com`;
  const user = await t.createUser(email, TEST_PASSWORD);
  const cookie = await t.login(email, TEST_PASSWORD);
  const orgId = await created(t, cookie, '/api/v1/organizations', { name: 'Keys Org' });
  const projectId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects`, { name: 'Project one' });
  const environmentId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects/${projectId}/environments`, { name: 'production', kind: 'production' });
  const siblingEnvironmentId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects/${projectId}/environments`, { name: 'staging', kind: 'staging' });
  const otherProjectId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects`, { name: 'Project two' });
  const otherEnvironmentId = await created(t, cookie, `/api/v1/organizations/${orgId}/projects/${otherProjectId}/environments`, { name: 'production', kind: 'production' });
  const now = () => (options.clock ?? { now: () => new Date() }).now();
  return {
    t,
    cookie,
    userId: user.id,
    orgId,
    projectId,
    environmentId,
    siblingEnvironmentId,
    otherProjectId,
    otherEnvironmentId,
    createKey: async (body, as = cookie) => {
      const response = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/api-keys`, payload: body, headers: { cookie: as } });
      assert.equal(response.statusCode, 201, response.body);
      return response.json<CreatedKeyBody>();
    },
    withKey: (key, method, url, payload, headers = {}) =>
      t.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload === undefined ? {} : { payload }) }),
    addMember: async (grant) => {
      const memberEmail = `member-${crypto.randomUUID()}@example.com`;
      const member = await t.createUser(memberEmail, TEST_PASSWORD);
      await t.transactor.withTenant(orgId, async (tx) => {
        await insertMembership(tx, orgId, member.id, 'member', now());
        let customRoleId: string | null = null;
        if ('permissions' in grant) {
          customRoleId = crypto.randomUUID();
          await insertRole(tx, createRowIntegrity(TEST_KEYRING.derive('row-integrity')), { tenant_id: orgId, id: customRoleId, name: `role ${customRoleId}`, description: '', permissions: grant.permissions, created_at: now(), updated_at: now() });
        }
        await insertBinding(tx, createRowIntegrity(TEST_KEYRING.derive('row-integrity')), {
          tenant_id: orgId,
          id: crypto.randomUUID(),
          principal_type: 'user',
          principal_id: member.id,
          built_in_role: 'role' in grant ? grant.role : null,
          custom_role_id: customRoleId,
          project_id: null,
          environment_id: null,
          conditions: null,
          expires_at: null,
          grant_id: null,
          created_by: user.id,
          created_at: now(),
          last_used_at: null,
        });
        await t.app.services.access.changed(tx, orgId);
      });
      return { cookie: await t.login(memberEmail, TEST_PASSWORD), userId: member.id };
    },
    close: () => t.close(),
  };
}

/** The same database for a second node: with PGlite the same object, with a server a pool of its own. */
export async function sameDatabase(database: TestDatabase): Promise<TestDatabase> {
  if (database.urls === undefined) return database;
  const db = await openDatabase<DB>({ url: database.urls.app, migrationUrl: database.urls.owner, dataDir: tmpdir(), poolSize: 2 });
  return { db, kind: database.kind, urls: database.urls, close: () => db.close() };
}
