import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, signUp, type Member } from '../../../test/support/access.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';

interface Event {
  id: string;
  tenant_id: string;
  action: string;
  outcome: string;
  targets: { type: string; id: string }[];
  actor: { id: string | null };
  metadata: Record<string, unknown>;
}

/** Issue 14 part 5: an organization sees its members' sign-in events; the platform log is for operators. */
describe('sign-in events in the members\u2019 organizations (AUD-1, AUD-4, AUD-5)', () => {
  let t: TestApp;
  let a: Awaited<ReturnType<typeof createOrg>>;
  let b: Awaited<ReturnType<typeof createOrg>>;
  before(async () => {
    t = await createTestApp({ env: { PARAPET_LOCKOUT_THRESHOLD: '3' } });
    a = await createOrg(t, 'member-events-a');
    b = await createOrg(t, 'member-events-b');
  });
  after(async () => {
    await t.close();
  });

  async function log(who: Member, url: string): Promise<Event[]> {
    await t.app.services.audit.sequencer.drain();
    const response = await t.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ items: Event[] }>().items;
  }
  const orgLog = (org: { orgId: string; admin: Member }) => log(org.admin, `/api/v1/organizations/${org.orgId}/audit/events?limit=500`);
  /** Whole export of an organization's log, as its SIEM would get it. */
  async function orgExport(org: { orgId: string; admin: Member }): Promise<string> {
    await t.app.services.audit.sequencer.drain();
    const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/audit/export?format=jsonl`, headers: { cookie: org.admin.cookie } });
    assert.equal(response.statusCode, 200, response.body);
    return response.body;
  }
  const about = (events: Event[], userId: string) => events.filter((e) => e.actor.id === userId || e.targets.some((x) => x.id === userId));
  const wrong = (email: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'not the password at all' } });

  it('AUD-1: failures, the lockout, sign-in and sign-out of a member of A and B are in both logs, each naming only its own organization', async () => {
    const email = `both-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, a.orgId, user.id);
    await addMember(t, b.orgId, user.id);
    for (let i = 0; i < 3; i++) assert.equal((await wrong(email)).statusCode, 401);
    // Locked now (threshold 3): even the right password is refused, and that refusal is recorded too.
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } })).statusCode, 429);
    await t.app.services.throttle.succeed(email);
    const cookie = await t.login(email, TEST_PASSWORD);
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } })).statusCode, 204);

    for (const org of [a, b]) {
      const events = about(await orgLog(org), user.id);
      const actions = events.map((e) => e.action).sort();
      assert.deepEqual(
        actions,
        ['session.created', 'session.locked_out', 'session.login_failed', 'session.login_failed', 'session.login_failed', 'session.login_failed', 'session.revoked'].sort(),
        `${org.orgId}: ${JSON.stringify(events)}`,
      );
      assert.ok(events.every((e) => e.tenant_id === org.orgId));
      assert.ok(events.some((e) => e.action === 'session.login_failed' && e.metadata['reason'] === 'throttled'));
      // Nothing in one organization's log names the other, or says there is another.
      const other = org === a ? b : a;
      const exported = await orgExport(org);
      assert.ok(!exported.includes(other.orgId), 'the other organization is never named');
      assert.ok(!exported.includes('mfa_enrolment_required'));
    }
    // The copies are separate events: no id is shared between the two logs or with the platform log.
    const ids = (await orgLog(a)).map((e) => e.id);
    const idsB = new Set((await orgLog(b)).map((e) => e.id));
    assert.ok(ids.every((id) => !idsB.has(id)));
    const operator = await signUp(t, 'member-events-operator', { platformAdmin: true });
    const platform = about(await log(operator, '/api/v1/platform/audit/events?limit=500'), user.id);
    assert.ok(platform.filter((e) => e.action === 'session.login_failed').length >= 4, 'the platform log keeps its record');
    assert.ok(platform.every((e) => e.tenant_id === PLATFORM_TENANT_ID && !ids.includes(e.id)));
  });

  it('AUD-4: org B\u2019s administrator never sees the sign-in events of a member of A only, and cannot read A\u2019s log', async () => {
    const email = `only-a-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, a.orgId, user.id);
    await wrong(email);
    await t.login(email, TEST_PASSWORD);
    assert.equal(about(await orgLog(a), user.id).length, 2);
    assert.deepEqual(about(await orgLog(b), user.id), []);
    assert.ok(!(await orgExport(b)).includes(email));
    const foreign = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/audit/events`, headers: { cookie: b.admin.cookie } });
    assert.equal(foreign.statusCode, 404);
  });

  it('AUD-4: only a platform administrator reads or exports the platform log; members, organization admins and the platform id under /organizations are refused', async () => {
    const member = await signUp(t, 'platform-log-reader');
    for (const who of [member, a.admin]) {
      for (const url of ['/api/v1/platform/audit/events', '/api/v1/platform/audit/export?format=jsonl', '/api/v1/platform/audit/checkpoints']) {
        const response = await t.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
        assert.equal(response.statusCode, 403, `${url}: ${response.body}`);
        assert.equal(response.json<{ code: string }>().code, 'forbidden');
      }
      assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${PLATFORM_TENANT_ID}/audit/events`, headers: { cookie: who.cookie } })).statusCode, 404);
    }
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/platform/audit/events' })).statusCode, 401);
    const operator = await signUp(t, 'platform-log-operator', { platformAdmin: true });
    const exported = await t.inject({ method: 'GET', url: '/api/v1/platform/audit/export?format=jsonl', headers: { cookie: operator.cookie } });
    assert.equal(exported.statusCode, 200);
    assert.match(exported.body.split('\n')[0] ?? '', new RegExp(PLATFORM_TENANT_ID));
  });

  it('AUD-1: a failure for an unknown address goes to the platform log only, answered and recorded exactly like a wrong password for a member', async () => {
    const email = `member-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, a.orgId, user.id);
    const unknown = `nobody-${crypto.randomUUID()}@example.com`;
    const recorder: AuditRecorder = t.app.services.audit.recorder;
    const original = recorder.recordForUser.bind(recorder);
    const calls: (string | null)[] = [];
    recorder.recordForUser = (tx, userId, inputs) => {
      calls.push(userId);
      return original(tx, userId, inputs);
    };
    try {
      const known = await wrong(email);
      const missing = await wrong(unknown);
      assert.equal(missing.statusCode, known.statusCode);
      const strip = (body: string) => JSON.stringify({ ...JSON.parse(body), instance: undefined, request_id: undefined });
      assert.equal(strip(missing.body), strip(known.body));
      assert.deepEqual(Object.keys(missing.headers).sort(), Object.keys(known.headers).sort());
      // The same recording call (one statement) for both: only its user differs.
      assert.deepEqual(calls, [user.id, null]);
    } finally {
      recorder.recordForUser = original;
    }
    for (const org of [a, b]) assert.ok(!(await orgExport(org)).includes(unknown));
    const operator = await signUp(t, 'unknown-address-operator', { platformAdmin: true });
    const platform = await log(operator, '/api/v1/platform/audit/events?action=session.login_failed&limit=500');
    assert.ok(platform.some((e) => e.metadata['email'] === unknown));
  });

  it('AUD-1: a member\u2019s copy cannot be written from an organization\u2019s own context (the function refuses outside the platform log)', async () => {
    await assert.rejects(
      t.transactor.withTenant(b.orgId, (tx) => t.app.services.audit.recorder.recordForUser(tx, b.admin.userId, [{ action: 'session.created', actor: { type: 'user', id: null, display_name: null }, outcome: 'success' }])),
      /platform log/,
    );
  });
});
