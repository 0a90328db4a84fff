import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, memberWithRole, post, signUp, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { manualClock } from '../../platform/clock.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;
interface RequestView {
  id: string;
  status: string;
  operator: boolean;
  break_glass: boolean;
  binding_id: string | null;
  expires_at: string | null;
  principal_id: string;
}

const REASON = 'Investigating support ticket 4821';

/** A platform operator (no membership anywhere), signed in; `relogin` signs in again after the clock moved. */
async function operator(t: TestApp, label: string): Promise<Member & { relogin(): Promise<string> }> {
  const email = `${label}-${crypto.randomUUID()}@ops.example.com`;
  const user = await t.createUser(email, TEST_PASSWORD, { platformAdmin: true });
  return { userId: user.id, cookie: await t.login(email, TEST_PASSWORD), relogin: () => t.login(email, TEST_PASSWORD) };
}

/** Sequenced audit events of an organization with the given action, parsed. */
async function events(t: TestApp, orgId: string, action: string): Promise<{ actor: { id: string | null }; metadata: Record<string, unknown>; targets: { type: string; id: string }[] }[]> {
  await t.app.services.audit.apiCalls.flush();
  await t.app.services.audit.sequencer.drain();
  const rows = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_events').select('canonical').where('tenant_id', '=', orgId).where('action', '=', action).execute());
  return rows.map((row) => JSON.parse(Buffer.from(row.canonical).toString('utf8')) as never);
}

describe('just-in-time access and break-glass (AC-4, AC-6)', () => {
  let t: TestApp;
  let a: Org;

  before(async () => {
    t = await createTestApp();
    a = await createOrg(t, 'jit');
  });
  after(async () => {
    await t.close();
  });

  const ask = (who: Member, payload: object, org: Org = a) => t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/access-requests`, headers: { cookie: who.cookie }, payload });
  const decide = (who: Member, id: string, verb: 'approve' | 'reject' | 'cancel' | 'revoke') => t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/access-requests/${id}/${verb}`, headers: { cookie: who.cookie } });
  const readOrg = (who: Member) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { cookie: who.cookie } });

  it('AC-4: the requester cannot approve their own request, even holding access.approve; a second approver can', async () => {
    const requester = await memberWithRole(t, a, 'security_admin');
    const created = await ask(requester, { role: 'auditor', reason: REASON, duration_minutes: 60 });
    assert.equal(created.statusCode, 201, created.body);
    const request = created.json<RequestView>();
    assert.equal(request.status, 'pending');
    assertProblem(await decide(requester, request.id, 'approve'), 403, 'self_approval_refused');
    const stillPending = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/access-requests/${request.id}`, headers: { cookie: requester.cookie } });
    assert.equal(stillPending.json<RequestView>().status, 'pending');
    const approved = await decide(a.admin, request.id, 'approve');
    assert.equal(approved.statusCode, 200, approved.body);
    const grant = approved.json<RequestView>();
    assert.equal(grant.status, 'approved');
    const binding = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/bindings/${grant.binding_id ?? ''}`, headers: { cookie: a.admin.cookie } });
    const bound = binding.json<{ grant_id: string; expires_at: string; role: string; principal: { id: string } }>();
    assert.equal(bound.grant_id, request.id);
    assert.equal(bound.role, 'auditor');
    assert.equal(bound.principal.id, requester.userId);
    assert.equal(bound.expires_at, grant.expires_at);
    assertProblem(await decide(a.admin, request.id, 'approve'), 409, 'conflict');
  });

  it('AC-4: an approver who does not hold every permission of the role at its scope cannot approve it', async () => {
    const approverRole = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Approver only', permissions: ['access.approve', 'organization.read'] });
    const approver = await memberWithRole(t, a, approverRole);
    const requester = await memberWithRole(t, a, 'viewer');
    const request = (await ask(requester, { role: 'tenant_admin', reason: REASON, duration_minutes: 30 })).json<RequestView>();
    assertProblem(await decide(approver, request.id, 'approve'), 403, 'forbidden');
    const after_ = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/access-requests/${request.id}`, headers: { cookie: a.admin.cookie } });
    assert.equal(after_.json<RequestView>().status, 'pending', 'a refused approval leaves the request pending');
    // The requester gained nothing: reading bindings still needs access.read, which they lack.
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/bindings`, headers: { cookie: requester.cookie } }), 403, 'forbidden');
  });

  it('AC-4: an ordinary non-member cannot ask (404, as if the organization did not exist); a member without access.request gets 403', async () => {
    const outsider = await signUp(t, 'outsider');
    assertProblem(await ask(outsider, { role: 'viewer', reason: REASON, duration_minutes: 30 }), 404, 'not_found');
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/access-requests`, headers: { cookie: outsider.cookie } }), 404, 'not_found');
    const auditor = await memberWithRole(t, a, 'auditor');
    assertProblem(await ask(auditor, { role: 'viewer', reason: REASON, duration_minutes: 30 }), 403, 'forbidden');
  });

  it('AC-4: a request states a reason and stays within the configured maximum duration', async () => {
    const requester = await memberWithRole(t, a, 'viewer');
    assertProblem(await ask(requester, { role: 'viewer', reason: 'because', duration_minutes: 30 }), 400, 'invalid_request');
    assertProblem(await ask(requester, { role: 'viewer', reason: '          x          ', duration_minutes: 30 }), 400, 'invalid_request');
    assertProblem(await ask(requester, { role: 'viewer', reason: REASON, duration_minutes: 4 * 60 + 1 }), 400, 'invalid_request');
    assertProblem(await ask(requester, { role: 'no_such_role', reason: REASON, duration_minutes: 30 }), 400, 'invalid_request');
    assertProblem(await ask(requester, { role: 'viewer', reason: REASON, duration_minutes: 30, scope: { project_id: crypto.randomUUID() } }), 400, 'invalid_request');
    assert.equal((await ask(requester, { role: 'viewer', reason: REASON, duration_minutes: 4 * 60 })).statusCode, 201);
  });

  it('AC-4: requesters see only their own requests and only they can withdraw them; approvers see all', async () => {
    const first = await memberWithRole(t, a, 'viewer');
    const second = await memberWithRole(t, a, 'viewer');
    const mine = (await ask(first, { role: 'security_analyst', reason: REASON, duration_minutes: 30 })).json<RequestView>();
    const list = (who: Member) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/access-requests?limit=100`, headers: { cookie: who.cookie } }).then((r) => r.json<{ items: RequestView[] }>().items.map((i) => i.id));
    assert.ok(!(await list(second)).includes(mine.id));
    assert.ok((await list(first)).includes(mine.id));
    assert.ok((await list(a.admin)).includes(mine.id));
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/access-requests/${mine.id}`, headers: { cookie: second.cookie } }), 404, 'not_found');
    assertProblem(await decide(second, mine.id, 'cancel'), 404, 'not_found');
    assertProblem(await decide(a.admin, mine.id, 'cancel'), 403, 'forbidden');
    assert.equal((await decide(first, mine.id, 'cancel')).json<RequestView>().status, 'cancelled');
    assertProblem(await decide(a.admin, mine.id, 'approve'), 409, 'conflict');
  });

  it('AC-4: a platform operator without a grant gets 404 on the tenant\u2019s data, may still ask, and reads once a tenant admin approves', async () => {
    const op = await operator(t, 'support');
    assertProblem(await readOrg(op), 404, 'not_found');
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/projects`, headers: { cookie: op.cookie } }), 404, 'not_found');
    const created = await ask(op, { role: 'viewer', reason: REASON, duration_minutes: 60 });
    assert.equal(created.statusCode, 201, created.body);
    const request = created.json<RequestView>();
    assert.equal(request.operator, true);
    assertProblem(await readOrg(op), 404, 'not_found');
    // The operator sees their own request, not the rest of the queue.
    const own = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/access-requests`, headers: { cookie: op.cookie } });
    assert.deepEqual(own.json<{ items: RequestView[] }>().items.map((i) => i.id), [request.id]);
    // No organization by that id: the same 404 as before.
    assertProblem(await ask(op, { role: 'viewer', reason: REASON, duration_minutes: 60 }, { ...a, orgId: crypto.randomUUID() }), 404, 'not_found');
    assert.equal((await decide(a.admin, request.id, 'approve')).statusCode, 200);
    assert.equal((await readOrg(op)).statusCode, 200);
    // Still nothing the role does not grant.
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/audit/events`, headers: { cookie: op.cookie } }), 403, 'forbidden');
    const revoked = await decide(a.admin, request.id, 'revoke');
    assert.equal(revoked.json<RequestView>().status, 'revoked');
    assertProblem(await readOrg(op), 404, 'not_found');
  });

  it('AC-4: a tenant admin can open a support grant for a named operator directly, never for themselves or a stranger', async () => {
    const op = await operator(t, 'invited');
    const direct = await ask(a.admin, { role: 'viewer', reason: 'Support case 77: please look at our setup', duration_minutes: 120, principal_id: op.userId, approved: true });
    assert.equal(direct.statusCode, 201, direct.body);
    const grant = direct.json<RequestView>();
    assert.equal(grant.status, 'approved');
    assert.equal(grant.principal_id, op.userId);
    assert.equal((await readOrg(op)).statusCode, 200);
    assertProblem(await ask(a.admin, { role: 'viewer', reason: REASON, duration_minutes: 60, principal_id: a.admin.userId, approved: true }), 403, 'self_approval_refused');
    const stranger = await signUp(t, 'stranger');
    assertProblem(await ask(a.admin, { role: 'viewer', reason: REASON, duration_minutes: 60, principal_id: stranger.userId, approved: true }), 400, 'invalid_request');
    assertProblem(await ask(a.admin, { role: 'viewer', reason: REASON, duration_minutes: 60, principal_id: op.userId }), 400, 'invalid_request');
    // Opening grants for others takes access.approve.
    const viewer = await memberWithRole(t, a, 'viewer');
    assertProblem(await ask(viewer, { role: 'viewer', reason: REASON, duration_minutes: 60, principal_id: op.userId, approved: true }), 403, 'forbidden');
  });

  it('AC-6: only platform operators can break the glass', async () => {
    assertProblem(await ask(a.admin, { role: 'viewer', reason: REASON, duration_minutes: 30, break_glass: true }), 403, 'forbidden');
    const member = await memberWithRole(t, a, 'security_admin');
    assertProblem(await ask(member, { role: 'viewer', reason: REASON, duration_minutes: 30, break_glass: true }), 403, 'forbidden');
    const outsider = await signUp(t, 'glass-outsider');
    assertProblem(await ask(outsider, { role: 'viewer', reason: REASON, duration_minutes: 30, break_glass: true }), 404, 'not_found');
  });

  it('AC-6: break-glass access longer than one hour is refused', async () => {
    const op = await operator(t, 'long-glass');
    assertProblem(await ask(op, { role: 'viewer', reason: REASON, duration_minutes: 61, break_glass: true }), 400, 'invalid_request');
    assertProblem(await readOrg(op), 404, 'not_found');
  });

  it('AC-6: break-glass grants at once, is flagged and recorded as access.break_glass, and raises an alert the tenant admin sees and acknowledges', async () => {
    const op = await operator(t, 'glass');
    const created = await ask(op, { role: 'viewer', reason: 'Production outage, customer unreachable', duration_minutes: 60, break_glass: true });
    assert.equal(created.statusCode, 201, created.body);
    const request = created.json<RequestView>();
    assert.equal(request.status, 'approved');
    assert.equal(request.break_glass, true);
    assert.equal((await readOrg(op)).statusCode, 200);

    const alerts = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/security-alerts?status=open`, headers: { cookie: a.admin.cookie } });
    assert.equal(alerts.statusCode, 200);
    const alert = alerts.json<{ items: { id: string; kind: string; actor_id: string; subject: { id: string } }[] }>().items.find((i) => i.subject.id === request.id);
    assert.ok(alert !== undefined, 'no alert for the break-glass access');
    assert.equal(alert.kind, 'break_glass');
    assert.equal(alert.actor_id, op.userId);
    // Viewers do not read alerts; admins acknowledge them.
    const viewer = await memberWithRole(t, a, 'viewer');
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/security-alerts`, headers: { cookie: viewer.cookie } }), 403, 'forbidden');
    const acknowledged = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/security-alerts/${alert.id}/acknowledge`, headers: { cookie: a.admin.cookie } });
    assert.equal(acknowledged.json<{ acknowledged_by: string }>().acknowledged_by, a.admin.userId);

    const glass = await events(t, a.orgId, 'access.break_glass');
    assert.ok(glass.some((e) => e.actor.id === op.userId && e.targets.some((x) => x.id === request.id)));
    assert.ok((await events(t, a.orgId, 'security_alert.raised')).some((e) => e.targets.some((x) => x.id === alert.id)));
    assert.ok(
      t.logs.some((line) => line.includes('break-glass access granted') && line.includes(request.id) && (JSON.parse(line) as { level?: number }).level === 40),
      'break-glass was not logged at warn level',
    );
  });

  it('AC-4: every use of a just-in-time grant is attributable: api.request events carry its grant id', async () => {
    const op = await operator(t, 'attributed');
    const request = (await ask(op, { role: 'viewer', reason: REASON, duration_minutes: 30 })).json<RequestView>();
    assert.equal((await decide(a.admin, request.id, 'approve')).statusCode, 200);
    assert.equal((await readOrg(op)).statusCode, 200);
    const calls = (await events(t, a.orgId, 'api.request')).filter((e) => e.actor.id === op.userId);
    assert.ok(calls.length > 0);
    assert.ok(calls.some((e) => e.metadata['route'] === '/api/v1/organizations/:orgId' && e.metadata['grant_id'] === request.id), JSON.stringify(calls));
    const approved = await events(t, a.orgId, 'access.approved');
    assert.ok(approved.some((e) => e.actor.id === a.admin.userId && e.targets.some((x) => x.id === request.id)));
  });
});

describe('just-in-time grants expire by themselves (AC-4)', () => {
  const start = new Date('2026-06-01T08:00:00Z');
  const clock = manualClock(start);
  let t: TestApp;
  let a: Org;

  before(async () => {
    t = await createTestApp({ clock });
    a = await createOrg(t, 'expiry');
  });
  after(async () => {
    await t.close();
  });

  it('AC-4: an approved grant works until the second it expires and not after; the request then reads as expired', async () => {
    const op = await operator(t, 'timed');
    const member = await signUp(t, 'timed-member');
    await addMember(t, a.orgId, member.userId);
    await post(t, a.admin, `/api/v1/organizations/${a.orgId}/bindings`, { principal: { type: 'user', id: member.userId }, role: 'viewer' });
    const ask = (who: Member, role: string) => t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/access-requests`, headers: { cookie: who.cookie }, payload: { role, reason: REASON, duration_minutes: 60 } });
    const opRequest = (await ask(op, 'viewer')).json<RequestView>();
    const memberRequest = (await ask(member, 'auditor')).json<RequestView>();
    for (const id of [opRequest.id, memberRequest.id]) {
      assert.equal((await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/access-requests/${id}/approve`, headers: { cookie: a.admin.cookie } })).statusCode, 200);
    }
    const expiresAt = start.getTime() + 60 * 60_000;
    const readOrg = (cookie: string) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { cookie } });
    const readAudit = (cookie: string) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/audit/events`, headers: { cookie } });
    assert.equal((await readOrg(op.cookie)).statusCode, 200);
    assert.equal((await readAudit(member.cookie)).statusCode, 200);

    // Sessions idle out (15 min for operators), so sign in again just before the end.
    clock.set(new Date(expiresAt - 1));
    const opCookie = await op.relogin();
    const memberCookie = await t.login((await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', member.userId).executeTakeFirstOrThrow())).email, TEST_PASSWORD);
    assert.equal((await readOrg(opCookie)).statusCode, 200);
    assert.equal((await readAudit(memberCookie)).statusCode, 200);

    clock.set(new Date(expiresAt));
    assertProblem(await readOrg(opCookie), 404, 'not_found');
    assertProblem(await readAudit(memberCookie), 403, 'forbidden');
    // The member keeps their standing role.
    assert.equal((await readOrg(memberCookie)).statusCode, 200);
    const view = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/access-requests/${opRequest.id}`, headers: { cookie: opCookie } });
    assert.equal(view.json<RequestView>().status, 'expired');
    assert.equal(view.json<RequestView>().expires_at, new Date(expiresAt).toISOString());
  });
});
