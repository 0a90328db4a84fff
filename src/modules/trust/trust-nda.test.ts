// Documents under NDA (TR-2), end to end through the script-free pages and the JSON API: the
// request with the click-through NDA, the mailed verification, approval by rule or by a platform
// administrator, and the single-use download of a watermarked PDF.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { linkToken, mailTo } from '../../../test/support/smtp.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { domainMac } from '../sso/sso-integrity.ts';
import { allowDomains, auditActionsOf, makePdf, download, downloadCode, NDA_TEXT, readPdf, requestDocument, requestRow, startNdaFixture, verifyCode, type NdaFixture } from './nda-test-fixture.ts';

const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

describe('documents under NDA (TR-2)', () => {
  let f: NdaFixture;
  before(async () => {
    f = await startNdaFixture();
    await allowDomains(f, ['allowed.example']);
  });
  after(async () => {
    await f.close();
  });

  it('TR-2: the documents page links a document under NDA to its request page, which shows the NDA text, version and SHA-256 without script', async () => {
    const list = await f.t.inject({ method: 'GET', url: '/trust/documents' });
    assert.match(list.body, new RegExp(`href="/trust/documents/${f.entryId}/request"`));
    const page = await f.t.inject({ method: 'GET', url: `/trust/documents/${f.entryId}/request` });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.doesNotMatch(page.body, /<script|style=/i);
    assert.match(page.body, /MUTUAL NON-DISCLOSURE AGREEMENT/);
    assert.equal(f.ndaSha256, createHash('sha256').update(NDA_TEXT).digest('hex'));
    assert.match(page.body, new RegExp(f.ndaSha256));
    assert.match(page.body, new RegExp(`name="nda_version" value="${f.ndaVersion}"`));
  });

  it('TR-2: through the HTML forms an allowed domain is approved by rule: request, verify, download a watermarked PDF; each step audited', async () => {
    const email = `form-${systemRandom(4).toString('hex')}@allowed.example`;
    const posted = await f.t.inject({ method: 'POST', url: `/trust/documents/${f.entryId}/request`, ...form({ email, name: 'Grace', company: 'Allowed Inc', nda_version: String(f.ndaVersion), accept_nda: 'yes' }) });
    assert.equal(posted.statusCode, 202, posted.body);
    const verifyMail = await mailTo(f.t, f.smtp, email, /Confirm your request/);
    assert.match(verifyMail.text, /\/trust\/documents\/verify#token=/, 'the code travels in the fragment');
    const verified = await f.t.inject({ method: 'POST', url: '/trust/documents/verify', ...form({ token: linkToken(verifyMail) }) });
    assert.equal(verified.statusCode, 200, verified.body);
    const code = await downloadCode(f, email);
    const file = await f.t.inject({ method: 'POST', url: '/trust/documents/download', ...form({ email, token: code }) });
    assert.equal(file.statusCode, 200, file.body);
    assert.equal(file.headers['content-type'], 'application/pdf');
    assert.match(String(file.headers['content-disposition']), /^attachment; filename="SOC-2-Type-II-report\.pdf"$/);
    const pdf = await readPdf(file.rawPayload);
    assert.ok(pdf.pages[0]?.includes('ORIGINAL REPORT CONTENT'), 'the original content is kept');
    const row = await requestRow(f, email);
    assert.equal(row.status, 'approved');
    assert.equal(row['approved_by'], 'allowed_domain');
    assert.deepEqual(await auditActionsOf(f, row.id), ['trust.nda_requested', 'trust.nda_email_verified', 'trust.nda_approved', 'trust.nda_downloaded']);
  });

  it('TR-2: an address in an organization\'s verified SSO domain is approved by rule', async () => {
    const domain = `customer-${systemRandom(4).toString('hex')}.example`;
    // Through the app role in the organization's own context (the database owner is under forced RLS on PostgreSQL).
    const orgId = crypto.randomUUID();
    await f.t.transactor.withTenant(orgId, async (tx) => {
      const now = new Date();
      await tx.insertInto('organizations').values({ id: orgId, name: 'Customer', created_at: now, updated_at: now }).execute();
      // A verification the application made carries its MAC (issue 13); one written by hand would not count.
      const id = crypto.randomUUID();
      const integrity_mac = domainMac(createRowIntegrity(TEST_KEYRING.derive('row-integrity')), { tenant_id: orgId, id, domain, verified_at: now });
      await tx.insertInto('sso_domains').values({ tenant_id: orgId, id, domain, verification_token: 'token', verified_at: now, created_at: now, integrity_mac }).execute();
    });
    const email = `buyer@${domain}`;
    assert.equal((await verifyCode(f, await requestDocument(f, email))).statusCode, 200);
    const row = await requestRow(f, email);
    assert.equal(row.status, 'approved');
    assert.equal(row['approved_by'], 'sso_domain');
    assert.equal((await download(f, email, await downloadCode(f, email))).statusCode, 200);
  });

  it('TR-2: any other verified request waits for a platform administrator, who approves it (a link is mailed) or rejects it', async () => {
    const email = `someone-${systemRandom(4).toString('hex')}@elsewhere.example`;
    assert.equal((await verifyCode(f, await requestDocument(f, email))).statusCode, 200);
    const row = await requestRow(f, email);
    assert.equal(row.status, 'pending');
    const listed = await f.t.inject({ method: 'GET', url: '/api/v1/platform/trust/nda-requests', headers: { cookie: f.admin } });
    const item = listed.json<{ items: { id: string; status: string; nda_sha256: string; email: string }[] }>().items.find((i) => i.id === row.id);
    assert.equal(item?.status, 'pending');
    assert.equal(item.nda_sha256, f.ndaSha256);
    const approved = await f.t.inject({ method: 'POST', url: `/api/v1/platform/trust/nda-requests/${row.id}/approve`, headers: { cookie: f.admin } });
    assert.equal(approved.statusCode, 204, approved.body);
    assert.equal((await requestRow(f, email))['approved_by'], 'administrator');
    assert.equal((await download(f, email, await downloadCode(f, email))).statusCode, 200);

    const other = `rejected-${systemRandom(4).toString('hex')}@elsewhere.example`;
    await verifyCode(f, await requestDocument(f, other));
    const rejected = await f.t.inject({ method: 'POST', url: `/api/v1/platform/trust/nda-requests/${(await requestRow(f, other)).id}/reject`, headers: { cookie: f.admin } });
    assert.equal(rejected.statusCode, 204);
    assert.equal((await requestRow(f, other)).status, 'rejected');
  });

  it('TR-2: a new NDA version gets the next number and its own hash; a request accepting the old version is refused with 409', async () => {
    const text = `${NDA_TEXT}\n3. Version two.`;
    const published = await f.t.inject({ method: 'POST', url: '/api/v1/platform/trust/nda', headers: { cookie: f.admin }, payload: { body: text } });
    assert.equal(published.statusCode, 201);
    const v2 = published.json<{ version: number; sha256: string }>();
    assert.equal(v2.version, f.ndaVersion + 1);
    assert.equal(v2.sha256, createHash('sha256').update(text).digest('hex'));
    const stale = await f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-requests', payload: { document_id: f.entryId, email: 'late@elsewhere.example', name: 'Late', company: 'Late Corp', nda_version: f.ndaVersion, accept_nda: true } });
    assert.equal(stale.statusCode, 409);
    assert.equal(stale.json<{ code: string }>().code, 'nda_version_outdated');
    const current = await f.t.inject({ method: 'GET', url: '/api/v1/trust/nda' });
    assert.deepEqual(current.json(), { version: v2.version, sha256: v2.sha256, body: text });
  });

  it('TR-2: the uploaded PDF is stored encrypted under the envelope keys (no PDF bytes in the row)', async () => {
    const [row] = await f.t.database.db.withOwner((s) => s.query<{ content_sealed: string }>(`select content_sealed from trust_nda_documents where entry_id = '${f.entryId}'`));
    assert.ok(row !== undefined);
    assert.match(row.content_sealed, /^pk1\./);
    assert.ok(!Buffer.from(row.content_sealed).includes('%PDF') && !row.content_sealed.includes(Buffer.from('%PDF').toString('base64').slice(0, 4)));
  });

  it('TR-2: an upload that is not a PDF, or for an entry that is not an NDA document, is refused', async () => {
    const notPdf = await f.t.inject({ method: 'PUT', url: `/api/v1/platform/trust/entries/${f.entryId}/file`, headers: { cookie: f.admin, 'content-type': 'application/pdf' }, payload: Buffer.from('<html>not a pdf</html>') });
    assert.equal(notPdf.statusCode, 400);
    assert.equal(notPdf.json<{ code: string }>().code, 'invalid_pdf');
    const pub = await f.t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: f.admin }, payload: { kind: 'document', data: { title: 'Public', access: 'public', url: '/x.pdf' } } });
    const onPublic = await f.t.inject({ method: 'PUT', url: `/api/v1/platform/trust/entries/${pub.json<{ id: string }>().id}/file`, headers: { cookie: f.admin, 'content-type': 'application/pdf' }, payload: Buffer.from(await makePdf('public')) });
    assert.equal(onPublic.statusCode, 404, 'only an entry with access "nda" takes a file');
    const bare = await f.t.inject({ method: 'PUT', url: `/api/v1/platform/trust/entries/${f.entryId}/file`, headers: { cookie: f.admin, 'content-type': 'application/pdf' }, payload: Buffer.from('%PDF-1.7') });
    const asJson = await f.t.inject({ method: 'PUT', url: `/api/v1/platform/trust/entries/${f.entryId}/file`, headers: { cookie: f.admin }, payload: { content_base64: 'JVBERi0=' } });
    assert.equal(asJson.statusCode, 415, 'the body is the PDF, not JSON');
    assert.equal(bare.statusCode, 400, 'a PDF header without pages is not a document');
  });
});
