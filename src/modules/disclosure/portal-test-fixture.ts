// Test-only: a verified report, a portal link and a portal session, as a reporter gets them by mail.
import assert from 'node:assert/strict';
import type { TestApp } from '../../../test/support/app.ts';
import { mailTo, type ReceivedMail, type TestSmtp } from '../../../test/support/smtp.ts';

export const codeIn = (text: string): string => {
  const match = /#token=([A-Za-z0-9_-]{43})/.exec(text);
  assert.ok(match?.[1], `no link in ${text}`);
  return match[1];
};

/** Submits a report from `email` and uses the verification link; returns the report id. */
export async function verifiedReport(t: TestApp, smtp: TestSmtp, email: string, title = 'A finding', body = 'Steps to reproduce'): Promise<string> {
  const submitted = await t.inject({ method: 'POST', url: '/api/v1/disclosure/reports', payload: { email, title, body } });
  assert.equal(submitted.statusCode, 202, submitted.body);
  const token = codeIn((await mailTo(t, smtp, email, /Confirm your vulnerability report/)).text);
  const verified = await t.inject({ method: 'POST', url: '/api/v1/disclosure/verify', payload: { token } });
  assert.equal(verified.statusCode, 200, verified.body);
  return verified.json<{ report_id: string }>().report_id;
}

/** Asks for a portal link for `email` and returns the code from the mail (the newest: an address may ask more than once). */
export async function portalCode(t: TestApp, smtp: TestSmtp, email: string): Promise<string> {
  const match = (m: ReceivedMail) => m.to.includes(email) && /Your vulnerability reports/.test(m.subject);
  const seen = smtp.messages.filter(match).length;
  assert.equal((await t.inject({ method: 'POST', url: '/api/v1/disclosure/portal/link', payload: { email } })).statusCode, 202);
  await t.app.services.mail.idle();
  await smtp.waitFor(() => smtp.messages.filter(match).length > seen);
  const newest = smtp.messages.filter(match).at(-1);
  assert.ok(newest);
  return codeIn(newest.text);
}

/** Opens a portal session on the API with `code`; returns the `name=value` cookie. */
export async function apiSession(t: TestApp, code: string): Promise<string> {
  const opened = await t.inject({ method: 'POST', url: '/api/v1/disclosure/portal/session', payload: { token: code } });
  assert.equal(opened.statusCode, 204, opened.body);
  return String(opened.headers['set-cookie']).split(';')[0] ?? '';
}

/** A portal session for `email` on the API (a fresh link each time). */
export async function reporterCookie(t: TestApp, smtp: TestSmtp, email: string): Promise<string> {
  return apiSession(t, await portalCode(t, smtp, email));
}

/** A minimal PNG (the signature and an IHDR chunk): enough for the type check. */
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('0000000d49484452', 'hex'), Buffer.alloc(17)]);
