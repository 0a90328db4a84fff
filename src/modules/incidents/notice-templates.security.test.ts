// Editable notice templates (IR-3), as an attacker would try them: markup in the template and in the
// incident's title, a title that smuggles a placeholder, a subject that tries to add a mail header,
// a placeholder that does not exist, and a user who is not a platform administrator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';

const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

describe('notice templates security (IR-3)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let admin: string;
  let owner: { email: string; cookie: string };
  let orgId: string;

  const as = (cookie: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env });
    const adminEmail = `tpl-admin-${crypto.randomUUID()}@example.com`;
    await t.createUser(adminEmail, TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login(adminEmail, TEST_PASSWORD);
    const ownerEmail = `tpl-owner-${crypto.randomUUID()}@example.com`;
    await t.createUser(ownerEmail, TEST_PASSWORD);
    owner = { email: ownerEmail, cookie: await t.login(ownerEmail, TEST_PASSWORD) };
    const org = await as(owner.cookie, 'POST', '/api/v1/organizations', { name: 'Template customer' });
    assert.equal(org.statusCode, 201, org.body);
    orgId = org.json<{ id: string }>().id;
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('IR-3: markup in an edited template and in the incident is text in the mail, a title holding {{placeholders}} is not expanded, and the subject stays one header line', async () => {
    const edited = await as(admin, 'PUT', '/api/v1/platform/incidents/notice-templates/initial', {
      subject: 'Incident {{title}}\r\nBcc: attacker@example.net',
      body: `Hello ${XSS}\n\nIncident: {{title}} ({{severity}}) for {{organization}}.\n\n{{message}}`,
    });
    assert.equal(edited.statusCode, 204, edited.body);
    const title = `Outage ${XSS} {{message}}`;
    const opened = await as(admin, 'POST', '/api/v1/platform/incidents', { title, severity: 'high', affected_organizations: [orgId] });
    assert.equal(opened.statusCode, 201, opened.body);
    const id = opened.json<{ id: string }>().id;
    const sent = await as(admin, 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'initial', message: 'MESSAGE-CANARY' });
    assert.equal(sent.statusCode, 201, sent.body);

    const mail = await mailTo(t, smtp, owner.email, /^Incident Outage/);
    // The title's "{{message}}" is text: filled once, never expanded a second time.
    assert.equal(mail.text.split('MESSAGE-CANARY').length - 1, 1, mail.text);
    assert.ok(mail.text.includes(`Incident: ${title} (high) for ${orgId}.`), mail.text);
    // No element from the template or the title in the HTML part.
    assert.doesNotMatch(mail.html, /<script|<img/i);
    assert.match(mail.html, /&#60;script&#62;/);
    // One subject line; the Bcc text never became a header, so nobody else got the mail.
    assert.doesNotMatch(mail.subject, /[\r\n]/);
    assert.equal(smtp.messages.filter((m) => m.to.includes('attacker@example.net')).length, 0);

    // The organization's own record says the same, as JSON text.
    const notices = await as(owner.cookie, 'GET', `/api/v1/organizations/${orgId}/incident-notices`);
    assert.equal(notices.statusCode, 200, notices.body);
    const [notice] = notices.json<{ items: { subject: string; body: string }[] }>().items;
    assert.doesNotMatch(notice?.subject ?? '', /[\r\n]/);
    assert.equal((notice?.body ?? '').split('MESSAGE-CANARY').length - 1, 1);
  });

  it('IR-3: a placeholder that does not exist is refused without echoing it; the preview fills text the same way; a reset restores the built-in text', async () => {
    const refused = await as(admin, 'PUT', '/api/v1/platform/incidents/notice-templates/update', { subject: 'Update', body: 'Leak {{db_password_zx9}}' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.headers['content-type'] ?? '', /application\/problem\+json/);
    assert.equal(refused.json<{ code: string }>().code, 'unknown_placeholder');
    assert.doesNotMatch(refused.body, /db_password_zx9/);
    const preview = await as(admin, 'POST', '/api/v1/platform/incidents/notice-templates/update/preview', { subject: 'Update on {{title}}\nX-Injected: 1', body: '{{message}}' });
    assert.equal(preview.statusCode, 200, preview.body);
    assert.deepEqual(preview.json(), { subject: 'Update on Example incident X-Injected: 1', paragraphs: ['An example message.'] });
    assert.equal((await as(admin, 'DELETE', '/api/v1/platform/incidents/notice-templates/initial')).statusCode, 204);
    const list = (await as(admin, 'GET', '/api/v1/platform/incidents/notice-templates')).json<{ items: { template: string; custom: boolean }[] }>();
    assert.deepEqual(list.items.map((i) => [i.template, i.custom]), [['initial', false], ['update', false], ['resolved', false], ['breach', false]]);
  });

  it('IR-3: an organization\'s administrator, not a platform administrator, can neither read nor edit the templates', async () => {
    assert.equal((await as(owner.cookie, 'GET', '/api/v1/platform/incidents/notice-templates')).statusCode, 403);
    assert.equal((await as(owner.cookie, 'PUT', '/api/v1/platform/incidents/notice-templates/initial', { subject: 'x', body: 'y' })).statusCode, 403);
    assert.equal((await as(owner.cookie, 'DELETE', '/api/v1/platform/incidents/notice-templates/initial')).statusCode, 403);
  });
});
