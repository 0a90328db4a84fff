// The public pages (trust center, status page, disclosure policy, the NDA request form) in headless
// Chromium: each renders its content with JavaScript turned off (they are meant to work without
// script), and has no serious or critical axe-core violation (WCAG 2.0/2.1 A and AA), with the
// hostile XSS canary in every admin-supplied field shown as text (startBrowserApp's profile checks
// catch a canary that ran and any CSP report).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { TEST_PASSWORD } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, CANARY, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { makePdf } from '../../src/modules/trust/nda-test-fixture.ts';

peerSuite('public pages: no script needed, accessible (issues 20, 21, 22)', BROWSER_SKIP, () => {
  let b: BrowserApp;
  const pages: string[] = ['/trust', '/trust/controls', '/trust/certifications', '/trust/documents', '/trust/subprocessors', '/trust/faq', '/trust/attestations', '/status', '/security/disclosure', '/security/disclosure/acknowledgments', '/security/advisories'];
  before(async () => {
    b = await startBrowserApp({ env: { PARAPET_SECURITY_CONTACTS: 'mailto:security@example.com', PARAPET_TRUST_STATUS_URL: '/status', PARAPET_TRUST_DISCLOSURE_URL: '/security/disclosure' } });
    const { t } = b;
    await t.createUser('public-pages-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    const admin = await t.login('public-pages-admin@example.com', TEST_PASSWORD);
    const entries = [
      { kind: 'certification', data: { name: `SOC 2 Type II ${CANARY}`, status: 'certified', auditor: 'An auditor', scope: 'The platform', issued_on: '2026-01-15' } },
      { kind: 'document', data: { title: `Penetration test report ${CANARY}`, access: 'nda', description: 'Summary of the latest test.' } },
      { kind: 'document', data: { title: 'Security whitepaper', access: 'public', url: '/trust/faq' } },
      { kind: 'subprocessor', data: { name: `Cloud host ${CANARY}`, purpose: 'Hosting', data_categories: ['account data'], location: 'EU', effective_from: '2026-01-01' } },
      { kind: 'faq', data: { section: 'faq', question: `Is data encrypted at rest? ${CANARY}`, answer: 'Yes.', claims: ['ENC-1'] } },
      { kind: 'faq', data: { section: 'shared_responsibility', question: 'Who manages user accounts?', answer: 'You do.' } },
    ];
    for (const [position, entry] of entries.entries()) {
      const created = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: admin }, payload: { ...entry, position } });
      assert.equal(created.statusCode, 201, created.body);
    }
    const nda = (await t.inject({ method: 'GET', url: '/api/v1/platform/trust/entries', headers: { cookie: admin } })).json<{ items: { id: string; kind: string; data: { access?: string } }[] }>();
    const document = nda.items.find((entry) => entry.kind === 'document' && entry.data.access === 'nda');
    assert.ok(document);
    // The request form exists once the document has its PDF.
    const upload = await t.inject({ method: 'PUT', url: `/api/v1/platform/trust/entries/${document.id}/file`, headers: { cookie: admin, 'content-type': 'application/pdf' }, payload: Buffer.from(await makePdf('Report')) });
    assert.ok(upload.statusCode < 300, upload.body);
    pages.push(`/trust/documents/${document.id}/request`);
    // IR-4: a component in a group with a disrupted day in its history, and a running maintenance window.
    const component = await t.inject({ method: 'POST', url: '/api/v1/platform/status/components', headers: { cookie: admin }, payload: { name: `API ${CANARY}`, status: 'degraded', group: `Core ${CANARY}` } });
    assert.equal(component.statusCode, 201, component.body);
    const window = await t.inject({ method: 'POST', url: '/api/v1/platform/status/maintenance', headers: { cookie: admin }, payload: { title: `Upgrade ${CANARY}`, body: 'Read-only.', starts_at: new Date(Date.now() - 60_000).toISOString(), ends_at: new Date(Date.now() + 3_600_000).toISOString() } });
    assert.equal(window.statusCode, 201, window.body);
  });
  after(async () => {
    await b.close();
  });

  it('TR-1..TR-5, IR-4, VDP-2: every public page shows its content with JavaScript disabled', async () => {
    const context = await b.browser.newContext({ baseURL: b.baseURL, javaScriptEnabled: false });
    try {
      for (const path of pages) {
        const page = await context.newPage();
        const response = await page.goto(path);
        assert.equal(response?.status(), 200, path);
        assert.equal(await page.locator('main').count(), 1, `${path}: one main landmark`);
        const heading = (await page.locator('h1').first().textContent()) ?? '';
        assert.ok(heading.trim().length > 0, `${path}: a visible h1`);
        // Admin-supplied text with markup shows as text, not markup.
        assert.equal(await page.locator('img[src="x"]').count(), 0, `${path}: the canary became an element`);
        await page.close();
      }
    } finally {
      await context.close();
    }
  });

  it('has no serious or critical axe-core violation on any public page', async () => {
    const { page, done } = await b.openPage();
    const found: string[] = [];
    for (const path of pages) {
      await page.goto(path);
      found.push(...(await axeViolations(page)).map((violation) => `${path}: ${violation}`));
    }
    assert.deepEqual(found, []);
    await done();
  });
});
