// Test-only: an app with a real SMTP server, an HTTPS webhook receiver and an injected clock, and
// helpers to subscribe, confirm and publish through the public routes.
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { createTestCertificates, type TestCertificates } from '../audit-streaming/tls-test-fixture.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../audit-streaming/webhook-test-fixture.ts';

export interface SubscriptionsFixture {
  readonly t: TestApp;
  readonly smtp: TestSmtp;
  readonly certs: TestCertificates;
  readonly receiver: WebhookReceiver;
  readonly clock: ReturnType<typeof manualClock>;
  admin(): Promise<string>;
  /** Subscribes through the JSON API; returns the answer's body. */
  subscribe(payload: object): Promise<{ statusCode: number; body: Record<string, unknown> }>;
  /** The token of the newest confirmation mail to `email`. */
  confirmToken(email: string): Promise<string>;
  /** Subscribes `email` and confirms it; returns the webhook secret when a URL was given. */
  subscribeConfirmed(payload: { topic: string; email: string; webhook_url?: string; components?: string[] }): Promise<string | undefined>;
  deliver(): Promise<number>;
  close(): Promise<void>;
}

export const tokenIn = (text: string, path: string): string => {
  const match = new RegExp(`${path.replaceAll('/', '\\/')}\\?token=([^\\s"<>&]+)`).exec(text);
  assert.ok(match?.[1] !== undefined, `no ${path} link in: ${text}`);
  return decodeURIComponent(match[1]);
};

export async function startSubscriptionsFixture(options: { allowLoopback?: boolean; adminEmail: string }): Promise<SubscriptionsFixture> {
  // Real time to the second: the standardwebhooks verifier refuses timestamps five minutes off its own clock.
  const clock = manualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const smtp = await startTestSmtp();
  const certs = createTestCertificates('Subscriptions Test');
  const receiver = await startWebhookReceiver(certs, '/hooks/status');
  const env: Record<string, string> = { ...smtp.env, PARAPET_SUBSCRIPTION_WEBHOOK_CA_FILE: certs.caFile, ...(options.allowLoopback === false ? {} : { PARAPET_SUBSCRIPTION_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8' }) };
  const t = await createTestApp({ env, clock });
  await t.createUser(options.adminEmail, TEST_PASSWORD, { platformAdmin: true });
  const seen = new Set<string>();
  const fixture: SubscriptionsFixture = {
    t, smtp, certs, receiver, clock,
    admin: () => t.login(options.adminEmail, TEST_PASSWORD),
    subscribe: async (payload) => {
      const response = await t.inject({ method: 'POST', url: '/api/v1/subscriptions', payload });
      return { statusCode: response.statusCode, body: response.json<Record<string, unknown>>() };
    },
    confirmToken: async (email) => {
      await t.app.services.mail.idle();
      const mail = await smtp.waitFor((m) => m.to.includes(email) && /Confirm your subscription/.test(m.subject) && !seen.has(m.text));
      seen.add(mail.text);
      return tokenIn(mail.text, '/subscriptions/confirm');
    },
    subscribeConfirmed: async (payload) => {
      const answer = await fixture.subscribe(payload);
      assert.equal(answer.statusCode, 202, JSON.stringify(answer.body));
      const token = await fixture.confirmToken(payload.email);
      const confirmed = await t.inject({ method: 'POST', url: '/api/v1/subscriptions/confirm', payload: { token } });
      assert.equal(confirmed.statusCode, 200, confirmed.body);
      return answer.body['webhook_secret'] as string | undefined;
    },
    deliver: async () => {
      const n = await t.app.modules.subscriptions.worker.deliverDue();
      await t.app.services.mail.idle();
      return n;
    },
    close: async () => {
      await t.close();
      await smtp.close();
      await receiver.close();
    },
  };
  return fixture;
}

export { mailTo };

/** Parses XML, throwing on any error or fatal error (not well-formed). */
export function parseXml(text: string) {
  const fail = (message: string) => {
    throw new Error(message);
  };
  return new DOMParser({ errorHandler: { error: fail, fatalError: fail } }).parseFromString(text, 'text/xml');
}
