// The console's governance pages in a real browser (Debian's chromium, driven by playwright-core):
// single sign-on and directory, the audit log's event proof checked in the browser and its export,
// retention and organization deletion, and the access review. Each flow is clicked through as a
// person would (partly by keyboard alone), its result checked through the API, its pages checked
// with axe-core (0 serious or critical violations) under the console's own CSP, and XSS canaries
// planted in the strings it renders.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { samlIdp, signingPair, testDns, type TestDns } from '../../src/modules/sso/sso-test-fixture.ts';
import { createOrg, memberWithRole, sessionWith, type Member } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, CANARY, message, MFA, screenshot, startBrowserApp, tabTo, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';

peerSuite('console governance pages in a real browser (AC-1, AC-5, AUD-2, AUD-4, DATA-1, DATA-3)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let t: TestApp;
  let dns: TestDns;
  const json = <T>(who: Member, url: string) => app.json<T>(who, url);
  const axe = async (page: Page, where: string) => {
    assert.deepEqual(await axeViolations(page), [], `axe on ${where}`);
  };

  before(async () => {
    dns = await testDns();
    app = await startBrowserApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
    await dns?.close();
  });

  it('SSO: an administrator adds a SAML connection from uploaded metadata, downloads the SP metadata, edits it, claims and verifies a domain by its TXT record and requires SSO with a break-glass account; the API agrees; a <script> name is text; others do not see the tab', async () => {
    const org = await createOrg(t, 'console-sso');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const base = `/api/v1/organizations/${org.orgId}/sso`;
    const idp = samlIdp(signingPair('console-idp'));
    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/sso`);
    await page.locator('#sso-connections').waitFor();
    await axe(page, 'the SSO tab, empty');

    await page.fill('#conn-name', `Okta ${CANARY}`);
    await page.setInputFiles('#conn-metadata-file', { name: 'idp-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(idp.metadata) });
    await page.selectOption('#conn-default-role', 'viewer');
    await page.click('#create-connection button[type=submit]');
    await message(page, /is added/);
    await screenshot(page, 'sso');
    type Connection = { id: string; name: string; enabled: boolean; default_role: string; saml: { idp_entity_id: string; idp_sso_url: string; allow_idp_initiated: boolean } | null };
    const [connection] = (await json<{ items: Connection[] }>(admin, `${base}/connections`)).items;
    assert.ok(connection);
    assert.deepEqual([connection.name, connection.default_role, connection.saml?.idp_entity_id, connection.saml?.idp_sso_url], [`Okta ${CANARY}`, 'viewer', idp.entityId, idp.ssoUrl]);

    // The SP metadata, downloaded from the detail, is what the API serves.
    await page.click(`details.connection-detail[data-connection="${connection.id}"] summary`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`.sp-metadata[data-connection="${connection.id}"]`)]);
    const served = await json<{ metadata_xml: string }>(admin, `${base}/connections/${connection.id}/saml-metadata`);
    // (Each generation gets a fresh document ID.)
    const withoutId = (xml: string) => xml.replace(/ ID="_[0-9a-f]+"/, '');
    assert.equal(download.suggestedFilename(), `parapet-sp-metadata-${connection.id}.xml`);
    assert.equal(withoutId(await readFile(await download.path(), 'utf8')), withoutId(served.metadata_xml));

    await page.click(`details.edit-connection[data-connection="${connection.id}"] summary`);
    await page.uncheck(`#conn-enabled-${connection.id}`);
    await page.selectOption(`#conn-role-${connection.id}`, 'security_analyst');
    await page.check(`#conn-idp-init-${connection.id}`);
    await page.click(`details.edit-connection[data-connection="${connection.id}"] button[type=submit]`);
    await message(page, /is saved/);
    const edited = await json<Connection>(admin, `${base}/connections/${connection.id}`);
    assert.deepEqual([edited.enabled, edited.default_role, edited.saml?.allow_idp_initiated], [false, 'security_analyst', true]);

    // A domain, claimed and verified by keyboard alone.
    await page.locator('h1').focus();
    await tabTo(page, '#domain-name');
    await page.keyboard.type('acme-console.test');
    await tabTo(page, '#domain-connection');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, '#claim-domain button[type=submit]');
    await page.keyboard.press('Enter');
    await message(page, /is claimed/);
    const txtName = ((await page.locator('#sso-domains .txt-name').textContent()) ?? '').trim();
    const txtValue = ((await page.locator('#sso-domains .txt-value').textContent()) ?? '').trim();
    await axe(page, 'the SSO tab with a connection and a claimed domain');
    // Not published yet: the refusal is shown in words, with what to do.
    await page.locator('h1').focus();
    await tabTo(page, '.verify-domain');
    await page.keyboard.press('Enter');
    await message(page, /Publish the TXT record shown/);
    dns.setTxt(txtName, [txtValue]);
    await page.locator('h1').focus();
    await tabTo(page, '.verify-domain');
    await page.keyboard.press('Enter');
    await message(page, /acme-console\.test is verified/);
    type Domain = { domain: string; verified: boolean; connection_id: string | null; txt_record: { name: string; value: string } };
    const domains = (await json<{ items: Domain[] }>(admin, `${base}/domains`)).items;
    assert.deepEqual(domains.map((d) => [d.domain, d.verified, d.connection_id, d.txt_record.name, d.txt_record.value]), [['acme-console.test', true, connection.id, txtName, txtValue]]);

    // The policy: the lock-out warning is shown before saving; a break-glass account is named.
    await page.locator('#sso-lockout-warning', { hasText: 'break-glass' }).waitFor();
    await page.check('#require-sso');
    await page.check(`#break-glass-${org.admin.userId}`);
    await page.click('#sso-policy button[type=submit]');
    await message(page, /Single sign-on is required; 1 break-glass/);
    assert.deepEqual(await json(admin, `${base}/policy`), { require_sso: true, break_glass_user_ids: [org.admin.userId] });
    await page.locator('#sso-policy-state', { hasText: 'acme-console.test' }).waitFor();
    await axe(page, 'the SSO tab with a policy');

    // Turn SSO off again, remove the domain, then delete the connection.
    await page.uncheck('#require-sso');
    await page.click('#sso-policy button[type=submit]');
    await message(page, /no longer required/);
    await page.click(`.delete-connection[data-connection="${connection.id}"]`);
    await message(page, /Remove the domains routed to .* first \(acme-console\.test\)/);
    await page.click('.remove-domain');
    await page.locator('#sso-domains td', { hasText: 'None yet.' }).waitFor();
    assert.deepEqual((await json<{ items: unknown[] }>(admin, `${base}/domains`)).items, []);
    await page.click(`.delete-connection[data-connection="${connection.id}"]`);
    await page.locator('#sso-connections td', { hasText: 'None yet.' }).waitFor();
    assert.deepEqual((await json<{ items: unknown[] }>(admin, `${base}/connections`)).items, []);
    await done();

    // A Security Analyst reads but does not administer SSO: no tab, and the API refuses the change.
    const analyst = await memberWithRole(t, org, 'security_analyst');
    const other = await app.openPage(analyst);
    await other.page.goto(`/console#/org/${org.orgId}/sso`);
    await other.page.locator('nav.tabs').waitFor();
    assert.equal(await other.page.locator('nav.tabs a', { hasText: 'Single sign-on' }).count(), 0);
    const status = await other.page.evaluate(async (url) => (await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ require_sso: false, break_glass_user_ids: [] }) })).status, `${base}/policy`);
    assert.equal(status, 403);
    await other.done();
  });

  it('AUD-2, AUD-4: an administrator opens an event with <script> strings, verifies its inclusion proof in the browser (a forged path or another key is "not verified"), and downloads the export; the API agrees', async () => {
    const org = await createOrg(t, 'console-audit');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const base = `/api/v1/organizations/${org.orgId}`;
    const renamed = await t.inject({ method: 'PATCH', url: base, headers: { cookie: admin.cookie }, payload: { name: `Acme ${CANARY}` } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    await t.app.services.audit.sequencer.drain();
    type Event = { id: string; seq: number; action: string };
    const [event] = (await json<{ items: Event[] }>(admin, `${base}/audit/events?action=organization.renamed`)).items;
    assert.ok(event);
    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/audit`);
    await page.locator('#audit-events').waitFor();
    const row = page.locator('#audit-events tbody tr', { hasText: 'organization.renamed' });
    await row.locator('td', { hasText: `Acme ${CANARY}` }).first().waitFor();

    // By keyboard: open the detail, then verify.
    await page.locator('h1').focus();
    await tabTo(page, `details:has(.verify-proof[data-event="${event.id}"]) summary`);
    await page.keyboard.press('Enter');
    await tabTo(page, `.verify-proof[data-event="${event.id}"]`);
    await page.keyboard.press('Enter');
    const verdict = page.locator(`#proof-${event.id} .proof-verdict`);
    await verdict.waitFor();
    assert.match((await verdict.textContent()) ?? '', /^Verified: event \d+ is in the log's signed tree of \d+ events\.$/);
    assert.equal(await page.locator(`#proof-${event.id} li`, { hasText: '✗' }).count(), 0);
    const served = await json<{ verifier_key: string; audit_path: string[]; tree_size: number }>(admin, `${base}/audit/events/${event.id}/proof`);
    assert.equal(await page.locator(`#proof-${event.id} .verifier-key`).textContent(), served.verifier_key);
    await axe(page, 'the audit log with a verified proof');

    // A proof whose audit path was altered on the way is not verified (the same check, a forged answer).
    assert.ok(served.tree_size > 1 && served.audit_path.length > 0, 'the log holds more than one event');
    await page.route(`**/audit/events/${event.id}/proof`, async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { audit_path: string[] };
      const first = Buffer.from(body.audit_path[0] ?? '', 'base64');
      first[0] = (first[0] ?? 0) ^ 1;
      body.audit_path[0] = first.toString('base64');
      await route.fulfill({ response: answer, json: body });
    });
    await page.click(`.verify-proof[data-event="${event.id}"]`);
    await verdict.filter({ hasText: /^Not verified/ }).waitFor();
    await page.locator(`#proof-${event.id} li`, { hasText: '✗ The audit path leads from the leaf to the signed root' }).waitFor();
    await page.unroute(`**/audit/events/${event.id}/proof`);

    // A kept key that is not this log's (here the served key renamed, so its key id no longer matches) makes the same proof unverified.
    const other = served.verifier_key.replace(/^[^+]+/, 'other.example.com/audit');
    await page.click('details.kept-key summary');
    await page.fill('#audit-kept-key', other);
    await page.click('#audit-key-form button[type=submit]');
    await message(page, /checked against the key you keep/);
    await page.click(`.verify-proof[data-event="${event.id}"]`);
    await verdict.filter({ hasText: /^Not verified/ }).waitFor();
    await page.fill('#audit-kept-key', served.verifier_key);
    await page.click('#audit-key-form button[type=submit]');
    await page.click(`.verify-proof[data-event="${event.id}"]`);
    await verdict.filter({ hasText: /^Verified/ }).waitFor();
    await page.locator(`#proof-${event.id} small`, { hasText: 'the verifier key you keep' }).waitFor();

    // Export: the download holds the log (every event the API lists) and is recorded.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-export .export-jsonl')]);
    assert.equal(download.suggestedFilename(), `audit-${org.orgId}.jsonl`);
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { type: string; tenant_id?: string; canonical?: string });
    assert.equal(lines[0]?.type, 'header');
    assert.equal(lines[0]?.tenant_id, org.orgId);
    const exported = lines.filter((l) => l.type === 'event').map((l) => (JSON.parse(l.canonical ?? '{}') as { id: string }).id);
    const listed = (await json<{ items: Event[] }>(admin, `${base}/audit/events?limit=500`)).items.map((e) => e.id);
    assert.deepEqual([...exported].sort(), [...listed].sort());
    await t.app.services.audit.sequencer.drain();
    assert.equal((await json<{ items: Event[] }>(admin, `${base}/audit/events?action=audit.exported`)).items.length, 1);
    await done();
  });

  it('DATA-1, DATA-3: an administrator sets retention, allows risky writes and requests the deletion; a second administrator approves it; the grace period is shown, writes are refused with what to do, and the deletion is cancelled by keyboard; the API agrees; a Viewer only reads', async () => {
    const org = await createOrg(t, 'console-data');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const second = await sessionWith(t, (await memberWithRole(t, org, 'tenant_admin')).userId, MFA);
    const base = `/api/v1/organizations/${org.orgId}`;
    const name = `Doomed ${CANARY}`;
    const renamed = await t.inject({ method: 'PATCH', url: base, headers: { cookie: admin.cookie }, payload: { name } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    type Policy = { type: string; days: number; overridden: boolean; default_days: number };
    const policy = async (type: string) => (await json<{ items: Policy[] }>(admin, `${base}/retention`)).items.find((p) => p.type === type);

    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/data`);
    await page.locator('#retention').waitFor();
    await axe(page, 'the data tab');
    await page.fill('#retention-security_events', '730');
    await page.fill('#retention-audit', '800');
    await page.click('#retention-form button[type=submit]');
    await message(page, /Retention saved: (?=.*security_events 730 days)(?=.*audit 800 days)/);
    assert.deepEqual([(await policy('security_events'))?.days, (await policy('security_events'))?.overridden, (await policy('audit'))?.days], [730, true, 800]);
    await page.check('#retention-reset-security_events');
    await page.click('#retention-form button[type=submit]');
    await message(page, /security_events back to the default/);
    await screenshot(page, 'data-and-deletion');
    assert.equal((await policy('security_events'))?.overridden, false);

    // Deleting while risky writes are disabled is refused, with the way on.
    await page.fill('#delete-confirm', name);
    await page.click('#delete-org button[type=submit]');
    await message(page, /allow it with a second administrator's approval under "Risky writes"/);
    await page.selectOption('#risky-writes-mode', 'approval');
    await page.click('#risky-writes-form button[type=submit]');
    await message(page, /need a second administrator/);
    assert.equal((await json<{ mode: string }>(admin, `${base}/settings/risky-writes`)).mode, 'approval');
    await page.fill('#delete-confirm', 'not the name');
    await page.click('#delete-org button[type=submit]');
    await message(page, /does not match/);
    await page.fill('#delete-confirm', name);
    await page.click('#delete-org button[type=submit]');
    await message(page, /Deletion requested/);
    await page.locator('#deletion-waiting').waitFor();
    const [approval] = (await json<{ items: { id: string; operation: string }[] }>(admin, `${base}/approvals?status=pending`)).items;
    assert.equal(approval?.operation, 'organization.delete');

    // The second administrator approves it in the console.
    const other = await app.openPage(second);
    await other.page.goto(`/console#/org/${org.orgId}/approvals`);
    await other.page.click(`#risky-approvals [data-approval="${approval.id}"] .approve`);
    await message(other.page, /Approved/);
    await other.done();

    await page.reload();
    const pending = page.locator('#deletion-pending');
    await pending.waitFor();
    const state = await json<{ status: string; requested_at: string; purge_after: string }>(admin, `${base}/deletion`);
    assert.equal(state.status, 'pending');
    assert.equal(Date.parse(state.purge_after) - Date.parse(state.requested_at), 14 * 86_400_000);
    assert.match((await pending.textContent()) ?? '', /a grace period of 14 days/);
    await axe(page, 'the data tab with a pending deletion');
    // Read-only meanwhile: a rename is refused and the console says how to undo that.
    await page.click('nav.tabs >> text=Settings');
    await page.fill('#org-rename', 'Renamed');
    await page.click('#rename-org button[type=submit]');
    await message(page, /cancel the deletion on its "Data and deletion" tab/);
    // Cancelled by keyboard alone.
    await page.goto(`/console#/org/${org.orgId}/data`);
    await pending.waitFor();
    await page.locator('h1').focus();
    await tabTo(page, '#cancel-deletion');
    await page.keyboard.press('Enter');
    await message(page, /The deletion is cancelled/);
    assert.equal((await json<{ status: string }>(admin, `${base}/deletion`)).status, 'none');
    await page.locator('#delete-org').waitFor();
    await done();

    // A Viewer reads the periods and the state, changes nothing; the API refuses those changes anyway.
    const viewer = await memberWithRole(t, org, 'viewer');
    const read = await app.openPage(viewer);
    await read.page.goto(`/console#/org/${org.orgId}/data`);
    await read.page.locator('#retention').waitFor();
    assert.equal(await read.page.locator('#retention-form, #risky-writes-form, #delete-org, #cancel-deletion, #retention input').count(), 0);
    const statuses = await read.page.evaluate(async (url) => {
      const send = async (method: string, to: string, body?: unknown) => (await fetch(to, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })).status;
      return [await send('PUT', `${url}/retention`, { policies: { security_events: 400 } }), await send('PUT', `${url}/settings/risky-writes`, { mode: 'disabled' }), await send('DELETE', url), await send('DELETE', `${url}/deletion`)];
    }, base);
    assert.deepEqual(statuses, [403, 403, 403, 403]);
    await read.done();
  });

  it('AC-5: the access review lists every principal with its grants and flags (<script> names as text), filters to the flagged ones by keyboard, and downloads the CSV; the API agrees', async () => {
    const org = await createOrg(t, 'console-review');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const base = `/api/v1/organizations/${org.orgId}`;
    const member = await memberWithRole(t, org, 'viewer');
    const renamed = await t.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { cookie: member.cookie }, payload: { display_name: `Mallory ${CANARY}` } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    const account = await t.inject({ method: 'POST', url: `${base}/service-accounts`, headers: { cookie: admin.cookie }, payload: { name: `Robot ${CANARY}` } });
    assert.equal(account.statusCode, 201, account.body);
    const bound = await t.inject({ method: 'POST', url: `${base}/bindings`, headers: { cookie: admin.cookie }, payload: { principal: { type: 'service_account', id: account.json<{ id: string }>().id }, role: 'viewer' } });
    assert.equal(bound.statusCode, 201, bound.body);
    const key = await t.inject({ method: 'POST', url: `${base}/api-keys`, headers: { cookie: admin.cookie }, payload: { name: 'ci', role: 'viewer', expires_in_days: 5 } });
    assert.equal(key.statusCode, 201, key.body);

    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/access-review`);
    await page.locator('#access-review').waitFor();
    await axe(page, 'the access review');
    await screenshot(page, 'access-review');
    type Principal = { id: string; name: string; flags: string[]; grants: { flags: string[] }[] };
    const review = await json<{ principals: Principal[] }>(admin, `${base}/access-review`);
    const flagsOf = (p: Principal) => [...new Set([...p.flags, ...p.grants.flatMap((g) => g.flags)])].sort();
    assert.ok(review.principals.length >= 4, JSON.stringify(review.principals.map((p) => p.name)));
    for (const principal of review.principals) {
      const row = page.locator('#access-review tbody tr', { has: page.locator(`[data-principal="${principal.id}"]`) });
      assert.equal(await row.locator('.principal').textContent(), principal.name);
      assert.deepEqual((await row.locator('.flags li').evaluateAll((items) => items.map((i) => i.getAttribute('data-flag') ?? ''))).sort(), flagsOf(principal));
    }
    await page.locator('.principal', { hasText: `Mallory ${CANARY}` }).waitFor();
    await page.locator('.principal', { hasText: `Robot ${CANARY}` }).waitFor();
    const flagged = review.principals.filter((p) => flagsOf(p).length > 0);
    assert.ok(flagged.length > 0 && flagged.length < review.principals.length, 'some principals are flagged, some not');

    await page.locator('h1').focus();
    await tabTo(page, '#review-flagged');
    await page.keyboard.press('Space');
    await page.locator('#access-review caption', { hasText: `(${flagged.length} of ${review.principals.length} principals)` }).waitFor();
    assert.equal(await page.locator('#access-review tbody tr').count(), flagged.length);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#access-review-csv')]);
    assert.equal(download.suggestedFilename(), `access-review-${org.orgId}.csv`);
    const csv = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    const apiCsv = (await t.inject({ method: 'GET', url: `${base}/access-review?format=csv`, headers: { cookie: admin.cookie } })).body.trim().split('\n');
    assert.equal(csv[0], apiCsv[0]);
    const ids = (lines: string[]) => [...new Set(lines.slice(1).map((line) => line.split(',')[1]))].sort();
    assert.deepEqual(ids(csv), ids(apiCsv));
    assert.deepEqual(ids(csv), review.principals.map((p) => p.id).sort());
    await t.app.services.audit.sequencer.drain();
    assert.ok((await json<{ items: unknown[] }>(admin, `${base}/audit/events?action=access.reviewed`)).items.length >= 3);
    await done();
  });
});
