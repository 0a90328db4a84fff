// AC-7 and issue 19: an organization with one administrator can still carry out a risky write it
// allowed with approval, but only as its requester, only while nobody else could approve it, only
// after the cooling-off period, only with a recent sign-in, once, and audited.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { allowRiskyWrites } from '../../../test/support/risky-writes.ts';
import { manualClock } from '../../platform/clock.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;
const COOLING_OFF_MINUTES = 5;

describe('risky writes in a single-administrator organization (AC-7, issue 19)', () => {
  const clock = manualClock(new Date('2026-09-01T08:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { PARAPET_RISKY_WRITE_COOLING_OFF_MINUTES: String(COOLING_OFF_MINUTES) } });
  });
  after(async () => {
    await t.close();
  });

  const as = (who: Member, method: 'GET' | 'POST' | 'DELETE', url: string) => t.inject({ method, url, headers: { cookie: who.cookie } });
  /** A fresh single-admin organization with risky writes on, and a project deletion queued by its admin. */
  async function queued(label: string): Promise<{ org: Org; project: string; approval: string }> {
    const org = await createOrg(t, label);
    await allowRiskyWrites(t, org.orgId, org.admin.cookie);
    const project = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/projects`, { name: `${label} made a minute ago` });
    const answer = await as(org.admin, 'DELETE', `/api/v1/organizations/${org.orgId}/projects/${project}`);
    assert.equal(answer.statusCode, 202, answer.body);
    return { org, project, approval: String(answer.headers['location']) };
  }
  const projectExists = async (org: Org, project: string) => (await as(org.admin, 'GET', `/api/v1/organizations/${org.orgId}/projects/${project}`)).statusCode === 200;
  async function actions(orgId: string): Promise<{ action: string; metadata: unknown }[]> {
    await t.app.services.audit.apiCalls.flush();
    await t.app.services.audit.sequencer.drain();
    const rows = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).where('tenant_id', '=', orgId).orderBy('seq').execute());
    // An event's fields are in its canonical JSON (what the chain hashes).
    return rows.map((row) => ({ action: row.action, metadata: (JSON.parse(Buffer.from(row.canonical).toString('utf8')) as { metadata?: unknown }).metadata }));
  }

  it('AC-7: the only administrator confirms alone after the cooling-off period; the operation runs once and is audited as self-confirmed', async () => {
    const { org, project, approval } = await queued('alone');
    const pending = (await as(org.admin, 'GET', approval)).json<{ confirmable_alone_after: string | null; created_at: string }>();
    assert.equal(Date.parse(pending.confirmable_alone_after ?? ''), Date.parse(pending.created_at) + COOLING_OFF_MINUTES * 60_000);
    // Before the cooling-off period: refused, with when to come back; nothing deleted.
    const early = await as(org.admin, 'POST', `${approval}/confirm`);
    assertProblem(early, 409, 'cooling_off');
    assert.ok(Number(early.headers['retry-after']) > 0);
    assert.equal(await projectExists(org, project), true);
    clock.advance(COOLING_OFF_MINUTES * 60_000 + 1_000);
    // Twice at once: one runs the operation, the other finds it decided.
    const [first, second] = await Promise.all([as(org.admin, 'POST', `${approval}/confirm`), as(org.admin, 'POST', `${approval}/confirm`)]);
    assert.deepEqual([first.statusCode, second.statusCode].sort(), [200, 409], `${first.body} ${second.body}`);
    assert.equal(await projectExists(org, project), false);
    const events = await actions(org.orgId);
    const confirmed = events.filter((e) => e.action === 'risky_write.self_confirmed');
    assert.equal(confirmed.length, 1);
    assert.equal((confirmed[0]?.metadata as { reason?: string }).reason, 'no_second_approver');
    assert.equal(events.filter((e) => e.action === 'project.deleted').length, 1);
  });

  it('AC-7: nobody but the requester can confirm alone, and not while another administrator could approve', async () => {
    const { org, project, approval } = await queued('others');
    clock.advance(COOLING_OFF_MINUTES * 60_000 + 1_000);
    // A member who may delete projects but not approve anything is not the requester: refused,
    // although nobody but the requester could approve and the cooling-off period is over.
    const role = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/roles`, { name: 'Project cleaner', permissions: ['organization.read', 'projects.read', 'projects.delete'] });
    const cleaner = await memberWithRole(t, org, role);
    assertProblem(await as(cleaner, 'POST', `${approval}/confirm`), 403, 'forbidden');
    assert.equal(await projectExists(org, project), true);
    // A second Tenant Admin joins: the single-admin path closes, the normal approval opens.
    const second = await memberWithRole(t, org, 'tenant_admin');
    assert.equal((await as(org.admin, 'GET', approval)).json<{ confirmable_alone_after: string | null }>().confirmable_alone_after, null);
    assertProblem(await as(org.admin, 'POST', `${approval}/confirm`), 409, 'second_approver_available');
    assert.equal(await projectExists(org, project), true);
    assert.equal((await as(second, 'POST', `${approval}/approve`)).statusCode, 200);
    assert.equal(await projectExists(org, project), false);
  });

  it('AC-7: confirming alone needs a recent sign-in', async () => {
    const { org, project, approval } = await queued('stale');
    // Past the cooling-off period and past the step-up window (10 minutes).
    clock.advance(11 * 60_000);
    assertProblem(await as(org.admin, 'POST', `${approval}/confirm`), 403, 'reauthentication_required');
    assert.equal(await projectExists(org, project), true);
    const reauth = await t.inject({ method: 'POST', url: '/api/v1/auth/reauthenticate', headers: { cookie: org.admin.cookie }, payload: { password: TEST_PASSWORD } });
    assert.equal(reauth.statusCode, 200, reauth.body);
    // Re-authenticating replaces the session (a new cookie).
    const fresh = { ...org.admin, cookie: sessionCookie(reauth) };
    assert.equal((await as(fresh, 'POST', `${approval}/confirm`)).statusCode, 200);
    assert.equal((await as(fresh, 'GET', `/api/v1/organizations/${org.orgId}/projects/${project}`)).statusCode, 404);
  });

  it('TEN-1: an approval of organization A cannot be confirmed through organization B, by B\u2019s own administrator', async () => {
    const a = await queued('tenant-a');
    const b = await createOrg(t, 'tenant-b');
    clock.advance(COOLING_OFF_MINUTES * 60_000 + 1_000);
    const id = a.approval.split('/').pop() ?? '';
    assertProblem(await as(b.admin, 'POST', `/api/v1/organizations/${b.orgId}/approvals/${id}/confirm`), 404, 'not_found');
    assertProblem(await as(b.admin, 'POST', `/api/v1/organizations/${a.org.orgId}/approvals/${id}/confirm`), 404, 'not_found');
    assert.equal(await projectExists(a.org, a.project), true);
  });
});
