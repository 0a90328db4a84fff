// Test-only: a Parapet with a real SMTP server, a platform administrator, a published NDA and one
// document under NDA with its PDF uploaded; helpers that walk a visitor through the flow and read
// text back out of a PDF's page content.
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDocument, PDFName, PDFRawStream, StandardFonts, type PDFPage } from 'pdf-lib';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { linkToken, mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import type { Clock } from '../../platform/clock.ts';

export const NDA_TEXT = 'MUTUAL NON-DISCLOSURE AGREEMENT\n\n1. The recipient keeps the documents confidential.\n2. Nothing here grants a licence.';

export interface NdaFixture {
  readonly t: TestApp;
  readonly smtp: TestSmtp;
  readonly admin: string;
  readonly entryId: string;
  readonly ndaVersion: number;
  readonly ndaSha256: string;
  close(): Promise<void>;
}

/** A one-page PDF with `text` on it. */
export async function makePdf(text: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([595, 842]);
  page.drawText(text, { x: 50, y: 780, size: 14, font: await pdf.embedFont(StandardFonts.Helvetica) });
  return pdf.save();
}

/** Every string shown with `Tj` on the page's content streams (pdf-lib writes them hex-encoded, Flate-compressed). */
function pageStrings(page: PDFPage): string[] {
  const contents = page.node.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : [contents];
  const out: string[] = [];
  for (const ref of refs) {
    const stream = page.doc.context.lookup(ref);
    if (!(stream instanceof PDFRawStream)) continue;
    const filter = stream.dict.get(PDFName.of('Filter'));
    const raw = Buffer.from(stream.contents);
    const text = (filter === undefined ? raw : inflateSync(raw)).toString('latin1');
    for (const m of text.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)) out.push(Buffer.from(m[1] ?? '', 'hex').toString('latin1'));
    for (const m of text.matchAll(/\(((?:[^()\\]|\\.)*)\)\s*Tj/g)) out.push(m[1] ?? '');
  }
  return out;
}

/** The text drawn on each page and the document's subject. */
export async function readPdf(bytes: Uint8Array): Promise<{ pages: string[][]; subject: string | undefined }> {
  const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
  return { pages: pdf.getPages().map(pageStrings), subject: pdf.getSubject() };
}

export async function startNdaFixture(options: { clock?: Clock; env?: Record<string, string>; app?: (env: Record<string, string>) => Promise<TestApp> } = {}): Promise<NdaFixture> {
  const smtp = await startTestSmtp();
  const env = { ...smtp.env, ...options.env };
  const t = options.app === undefined ? await createTestApp({ env, ...(options.clock === undefined ? {} : { clock: options.clock }) }) : await options.app(env);
  const adminEmail = `nda-admin-${crypto.randomUUID()}@example.com`;
  await t.createUser(adminEmail, TEST_PASSWORD, { platformAdmin: true });
  const admin = await t.login(adminEmail, TEST_PASSWORD);
  const nda = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/nda', headers: { cookie: admin }, payload: { body: NDA_TEXT } });
  assert.equal(nda.statusCode, 201, nda.body);
  const entry = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/entries', headers: { cookie: admin }, payload: { kind: 'document', data: { title: 'SOC 2 Type II report', access: 'nda', description: 'The auditor\'s report.' } } });
  assert.equal(entry.statusCode, 201, entry.body);
  const entryId = entry.json<{ id: string }>().id;
  const upload = await t.inject({ method: 'PUT', url: `/api/v1/platform/trust/entries/${entryId}/file`, headers: { cookie: admin, 'content-type': 'application/pdf' }, payload: Buffer.from(await makePdf('ORIGINAL REPORT CONTENT')) });
  assert.equal(upload.statusCode, 200, upload.body);
  const { version, sha256 } = nda.json<{ version: number; sha256: string }>();
  return {
    t,
    smtp,
    admin,
    entryId,
    ndaVersion: version,
    ndaSha256: sha256,
    close: async () => {
      await t.close();
      await smtp.close();
    },
  };
}

/** Requests the fixture's document for `email` through the JSON API; returns the verification code mailed. */
export async function requestDocument(f: NdaFixture, email: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-requests', headers, payload: { document_id: f.entryId, email, name: 'Ada Visitor', company: 'Visiting Corp', nda_version: f.ndaVersion, accept_nda: true } });
  assert.equal(response.statusCode, 202, response.body);
  return linkToken(await mailTo(f.t, f.smtp, email, /Confirm your request for a document under NDA/));
}

export const verifyCode = (f: NdaFixture, token: string) => f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-requests/verify', payload: { token } });

/** The download code mailed to `email` (the latest one). */
export async function downloadCode(f: NdaFixture, email: string): Promise<string> {
  await f.t.app.services.mail.idle();
  const mails = f.smtp.messages.filter((m) => m.to.includes(email) && /Your document under NDA is ready/.test(m.subject));
  const last = mails.at(-1);
  assert.ok(last !== undefined, `no download mail to ${email}`);
  return linkToken(last);
}

export const download = (f: NdaFixture, email: string, token: string) => f.t.inject({ method: 'POST', url: '/api/v1/trust/nda-downloads', payload: { email, token } });

export async function allowDomains(f: NdaFixture, domains: string[]): Promise<void> {
  const response = await f.t.inject({ method: 'PUT', url: '/api/v1/platform/trust/nda-allowed-domains', headers: { cookie: f.admin }, payload: { domains } });
  assert.equal(response.statusCode, 200, response.body);
}

/** The request row of `email` (the newest), read as the database owner. */
export async function requestRow(f: NdaFixture, email: string): Promise<Record<string, unknown> & { id: string; status: string }> {
  const rows = await f.t.database.db.withOwner((s) => s.query<Record<string, unknown> & { id: string; status: string }>(`select * from trust_nda_requests where email = '${email.replaceAll("'", "''")}' order by created_at desc limit 1`));
  assert.ok(rows[0] !== undefined, `no request of ${email}`);
  return rows[0];
}

/** The audit actions recorded with `targetId` among their targets, in order (after the sequencer drained). */
export async function auditActionsOf(f: NdaFixture, targetId: string): Promise<string[]> {
  await f.t.app.services.audit.apiCalls.flush();
  await f.t.app.services.audit.sequencer.drain();
  const tenant = '00000000-0000-0000-0000-000000000000';
  const rows = await f.t.transactor.withTenant(tenant, (tx) => tx.selectFrom('audit_events').select(['action', 'target_ids']).where('tenant_id', '=', tenant).orderBy('seq').execute());
  return rows.filter((r) => r.target_ids.includes(targetId)).map((r) => r.action);
}
