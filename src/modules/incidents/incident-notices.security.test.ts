// Notices to affected organizations and incident roles (IR-1, IR-3), as an attacker would try them:
// another organization's administrators, a member who is not an administrator, a responder without
// the role, and hostile text in the incident and the message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';

const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

describe('incident notices and roles security (IR-1, IR-3)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let commander: { id: string; cookie: string };
  let responder: { id: string; cookie: string };
  let ownerX: string;
  let ownerY: string;
  let viewerX: string;
  let orgX: string;
  let orgY: string;
  const mail = { ownerX: '', ownerY: '', viewerX: '' };

  const as = (cookie: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });
  const user = async (label: string, platformAdmin = false) => {
    const email = `${label}-${crypto.randomUUID()}@example.com`;
    const row = await t.createUser(email, TEST_PASSWORD, { platformAdmin });
    return { id: row.id, email, cookie: await t.login(email, TEST_PASSWORD) };
  };
  const org = async (cookie: string, name: string) => {
    const res = await as(cookie, 'POST', '/api/v1/organizations', { name });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };
  const open = async (cookie: string, body: object) => {
    const res = await as(cookie, 'POST', '/api/v1/platform/incidents', body);
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env });
    commander = await user('commander', true);
    responder = await user('responder', true);
    const x = await user('owner-x');
    const y = await user('owner-y');
    const v = await user('viewer-x');
    [ownerX, ownerY, viewerX] = [x.cookie, y.cookie, v.cookie];
    [mail.ownerX, mail.ownerY, mail.viewerX] = [x.email, y.email, v.email];
    orgX = await org(ownerX, 'Customer X');
    orgY = await org(ownerY, 'Customer Y');
    // A member of X who reads alerts (Security Analyst) but is not a Tenant Admin: not a recipient.
    await t.transactor.withTenant(orgX, async (tx) => {
      await tx.insertInto('memberships').values({ tenant_id: orgX, user_id: v.id, role: 'member', created_at: new Date() }).execute();
      await t.app.services.access.changed(tx, orgX);
    });
    const bound = await as(ownerX, 'POST', `/api/v1/organizations/${orgX}/bindings`, { principal: { type: 'user', id: v.id }, role: 'security_analyst', scope: {} });
    assert.equal(bound.statusCode, 201, bound.body);
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it("IR-3: a notice reaches the affected organization's Tenant Admins only; another organization's admins can neither read it nor find it in their own list", async () => {
    const id = await open(commander.cookie, { title: 'Database failover', severity: 'high', affected_organizations: [orgX] });
    const sent = await as(commander.cookie, 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'initial', message: 'NOTICE-CANARY for X only.' });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.deepEqual(sent.json<{ items: { organization_id: string; recipients: number }[] }>().items.map((i) => [i.organization_id, i.recipients]), [[orgX, 1]]);
    const received = await mailTo(t, smtp, mail.ownerX, /Security incident affecting your organization/);
    assert.match(received.text, /NOTICE-CANARY/);
    assert.equal(smtp.messages.filter((m) => m.to.includes(mail.ownerY) || m.to.includes(mail.viewerX)).length, 0, 'no mail to another organization or to a member who is not a Tenant Admin');

    const own = await as(ownerX, 'GET', `/api/v1/organizations/${orgX}/incident-notices`);
    assert.equal(own.statusCode, 200, own.body);
    const items = own.json<{ items: { incident_id: string; body: string; deliveries: string[] }[] }>().items;
    assert.equal(items.length, 1);
    assert.equal(items[0]?.incident_id, id);
    assert.deepEqual(items[0]?.deliveries, ['sent'], 'the delivery is recorded');
    // The analyst of X reads X's notices (alerts.read) though not mailed.
    assert.equal((await as(viewerX, 'GET', `/api/v1/organizations/${orgX}/incident-notices`)).statusCode, 200);

    const probe = await as(ownerY, 'GET', `/api/v1/organizations/${orgX}/incident-notices`);
    assert.ok(probe.statusCode === 403 || probe.statusCode === 404, `${probe.statusCode}: ${probe.body}`);
    assert.doesNotMatch(probe.body, /NOTICE-CANARY|Database failover/);
    const theirs = await as(ownerY, 'GET', `/api/v1/organizations/${orgY}/incident-notices`);
    assert.equal(theirs.statusCode, 200, theirs.body);
    assert.deepEqual(theirs.json<{ items: unknown[] }>().items, []);
    // Below the API: inside Y's own database context, X's notice does not exist.
    const rows = await t.transactor.withTenant(orgY, (tx) => tx.selectFrom('incident_notices').select('id').execute());
    assert.deepEqual(rows, []);
    // And an organization administrator cannot send notices (platform administrators only).
    const forged = await as(ownerX, 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'update', message: 'forged' });
    assert.equal(forged.statusCode, 403);
  });

  it('IR-3: a breach notice meets the customer clock, and only for a breach', async () => {
    const id = await open(commander.cookie, { title: 'Leaked export', severity: 'high', affected_organizations: [orgX] });
    const early = await as(commander.cookie, 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'breach', message: 'Categories: email addresses.' });
    assert.equal(early.statusCode, 409);
    assert.equal(early.json<{ code: string }>().code, 'not_a_breach');
    assert.equal((await as(commander.cookie, 'POST', `/api/v1/platform/incidents/${id}/breach`, {})).statusCode, 204);
    const sent = await as(commander.cookie, 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'breach', message: 'Categories: email addresses.' });
    assert.equal(sent.statusCode, 201, sent.body);
    const clocks = (await as(commander.cookie, 'GET', `/api/v1/platform/incidents/${id}`)).json<{ clocks: { clock: string; state: string; met_by: string | null }[] }>().clocks;
    const customer = clocks.find((c) => c.clock === 'customer_breach_notice');
    assert.equal(customer?.state, 'met');
    assert.match(customer?.met_by ?? '', /^notice:/);
    await mailTo(t, smtp, mail.ownerX, /Personal data breach notice: Leaked export/);
  });

  it('IR-1: once roles are set, a responder without the role can neither decide nor speak until they take it over, which is recorded', async () => {
    const id = await open(commander.cookie, { title: 'Roles', severity: 'high', affected_organizations: [orgX], commander_id: commander.id, communications_id: commander.id });
    const refused: [string, 'POST' | 'PATCH', string, object][] = [
      ['phase', 'PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'contain' }],
      ['severity', 'PATCH', `/api/v1/platform/incidents/${id}`, { severity: 'critical' }],
      ['resolve', 'PATCH', `/api/v1/platform/incidents/${id}`, { resolved: true }],
      ['breach', 'POST', `/api/v1/platform/incidents/${id}/breach`, {}],
      ['public update', 'POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: 'Speaking out of turn.' }],
      ['notice', 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'update', message: 'Speaking out of turn.' }],
    ];
    for (const [name, method, url, payload] of refused) {
      const res = await as(responder.cookie, method, url, payload);
      assert.equal(res.statusCode, 403, `${name}: ${res.body}`);
      assert.equal(res.json<{ code: string }>().code, 'incident_role_required', name);
    }
    // A note is anyone's; the incident is unchanged otherwise.
    assert.equal((await as(responder.cookie, 'POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'note', body: 'I see it too.' })).statusCode, 201);
    let detail = (await as(commander.cookie, 'GET', `/api/v1/platform/incidents/${id}`)).json<{ incident: { phase: string; personal_data_breach: boolean }; timeline: { kind: string; body: string }[] }>();
    assert.equal(detail.incident.phase, 'detect');
    assert.equal(detail.incident.personal_data_breach, false);
    assert.deepEqual(detail.timeline.map((e) => e.kind), ['note']);
    // The commander acts; then the responder takes over command, visibly, and may decide.
    assert.equal((await as(commander.cookie, 'PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'analyse' })).statusCode, 204);
    assert.equal((await as(responder.cookie, 'PATCH', `/api/v1/platform/incidents/${id}`, { commander_id: responder.id })).statusCode, 204);
    assert.equal((await as(responder.cookie, 'PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'contain' })).statusCode, 204);
    assert.equal((await as(commander.cookie, 'PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'recover' })).json<{ code: string }>().code, 'incident_role_required', 'the former commander no longer decides');
    detail = (await as(commander.cookie, 'GET', `/api/v1/platform/incidents/${id}`)).json();
    assert.ok(detail.timeline.some((e) => e.body === `commander ${commander.id} → ${responder.id}`), JSON.stringify(detail.timeline));
    assert.equal(detail.incident.phase, 'contain');
  });

  it('IR-3: hostile text in the incident title and the message stays text in the notice mail (HTML part escaped)', async () => {
    const id = await open(commander.cookie, { title: `Title ${XSS}`, severity: 'high', affected_organizations: [orgX] });
    const sent = await as(commander.cookie, 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'update', message: `Message ${XSS} "><a href="https://evil.example">x</a>` });
    assert.equal(sent.statusCode, 201, sent.body);
    const received = await mailTo(t, smtp, mail.ownerX, /^Incident update: Title /);
    assert.doesNotMatch(received.html, /<script|<img|<a href="https:\/\/evil/i);
    assert.match(received.html, /Message &#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/);
    assert.match(received.text, /Message <script>alert\("x"\)<\/script>/, 'the text part carries it as typed');
  });
});
