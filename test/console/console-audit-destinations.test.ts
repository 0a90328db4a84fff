// AUD-5, issue 19: an organization's SIEM destinations in the console — add a Standard Webhooks
// endpoint (the signing secret shown once), "Send test" to a real HTTPS receiver whose signature the
// standardwebhooks library verifies, a refusing receiver reported as not delivered, removal — with
// the API agreeing and an auditor (audit.read without audit.manage) shown nothing and refused by the API.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createTestCertificates, type TestCertificates } from '../../src/modules/audit-streaming/tls-test-fixture.ts';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../../src/modules/audit-streaming/webhook-test-fixture.ts';
import { createOrg, memberWithRole, sessionWith } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, CANARY, message, MFA, screenshot, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';

const headersOf = (r: ReceivedRequest) => ({ 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) });

peerSuite('console: SIEM destinations with "send test" (AUD-5, issue 19)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let t: TestApp;
  let certs: TestCertificates;
  let receiver: WebhookReceiver;
  before(async () => {
    certs = createTestCertificates();
    receiver = await startWebhookReceiver(certs);
    app = await startBrowserApp({ env: { PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS: '127.0.0.1/32' } });
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
    await receiver?.close();
    if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('AUD-5: an administrator adds a webhook destination, sees its secret once, sends a test the receiver verifies, sees a refused test reported, and removes it; an auditor sees no controls and the API refuses them', async () => {
    const org = await createOrg(t, 'console-siem');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const base = `/api/v1/organizations/${org.orgId}`;
    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/audit`);
    await page.locator('#destination-form').waitFor();
    await page.fill('#destination-name', `SIEM ${CANARY}`);
    await page.selectOption('#destination-kind', 'webhook');
    await page.fill('#destination-url', receiver.url);
    await page.fill('#destination-ca', certs.caPem);
    await page.click('#destination-form button[type=submit]');
    await message(page, /added: new events stream to it/);
    const secret = await page.locator('#destination-secret-value').innerText();
    assert.match(secret, /^whsec_/);
    const listed = (await t.inject({ method: 'GET', url: `${base}/audit/destinations`, headers: { cookie: admin.cookie } })).json<{ items: { id: string; name: string; url: string }[] }>().items;
    assert.equal(listed.length, 1);
    assert.deepEqual([listed[0]?.name, listed[0]?.url], [`SIEM ${CANARY}`, receiver.url]);
    const id = listed[0]?.id ?? '';
    // The canary name is text in the table.
    assert.match(await page.locator('#audit-destinations').innerText(), /SIEM <img src=x/);
    assert.deepEqual(await axeViolations(page), [], 'axe on the audit tab with destinations');

    const before = receiver.requests.length;
    await page.click(`#audit-destinations [data-destination="${id}"] .send-test`);
    await page.locator('.test-verdict').waitFor();
    await screenshot(page, 'audit-destinations');
    assert.match(await page.locator('.test-verdict').innerText(), /Test message delivered/);
    const sent = receiver.requests.slice(before);
    assert.ok(sent.length >= 1, 'the receiver got the test message');
    // Signed with the secret shown once: the reference library verifies it, and a changed byte fails.
    for (const request of sent) {
      new Webhook(secret).verify(request.body, headersOf(request));
      assert.throws(() => new Webhook(secret).verify(`${request.body} `, headersOf(request)));
    }

    receiver.respond = (response) => {
      response.writeHead(503).end();
    };
    await page.click(`#audit-destinations [data-destination="${id}"] .send-test`);
    await page.locator('.test-verdict', { hasText: 'not delivered' }).waitFor();
    receiver.respond = (response) => {
      response.writeHead(204).end();
    };

    // An auditor reads the log but manages nothing: no section, and the API refuses.
    const auditor = await memberWithRole(t, org, 'auditor');
    const other = await app.openPage(await sessionWith(t, auditor.userId, MFA));
    await other.page.goto(`/console#/org/${org.orgId}/audit`);
    await other.page.locator('#audit-events').waitFor();
    assert.equal(await other.page.locator('#destination-form, #audit-destinations').count(), 0);
    await other.done();
    assert.equal((await t.inject({ method: 'POST', url: `${base}/audit/destinations/${id}/test`, headers: { cookie: auditor.cookie }, payload: {} })).statusCode, 403);

    await page.click(`#audit-destinations [data-destination="${id}"] .remove-destination`);
    await message(page, /removed/);
    await done();
    assert.equal((await t.inject({ method: 'GET', url: `${base}/audit/destinations`, headers: { cookie: admin.cookie } })).json<{ items: unknown[] }>().items.length, 0);
  });
});
