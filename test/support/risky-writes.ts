// Risky writes (AC-7) are off by default: deleting an organization, project or environment needs
// the organization to allow them with approval, and a second administrator to approve.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.ts';
import { memberWithRole, type Member } from './access.ts';

/** Switches the organization's risky writes to `approval` (as an administrator holding settings.manage). */
export async function allowRiskyWrites(t: TestApp, orgId: string, cookie: string): Promise<void> {
  const response = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${orgId}/settings/risky-writes`, headers: { cookie }, payload: { mode: 'approval' } });
  assert.equal(response.statusCode, 200, response.body);
}

/** A second Tenant Admin of the organization, to approve what the first one asks for. */
export async function secondAdmin(t: TestApp, org: { orgId: string; admin: Member }): Promise<Member> {
  return memberWithRole(t, org, 'tenant_admin');
}

/**
 * Sends a risky DELETE as `requester` and has `approver` approve it; returns the approval's
 * response (200 when the operation ran). The DELETE itself must answer 202.
 */
export async function deleteWithApproval(t: TestApp, url: string, requester: string, approver: string): Promise<LightMyRequestResponse> {
  const queued = await t.inject({ method: 'DELETE', url, headers: { cookie: requester } });
  assert.equal(queued.statusCode, 202, `${url}: ${queued.body}`);
  const location = String(queued.headers['location']);
  return t.inject({ method: 'POST', url: `${location}/approve`, headers: { cookie: approver } });
}
