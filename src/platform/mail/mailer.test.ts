import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { mailOutbox } from '../../cli/mail.ts';
import { loadConfig } from '../../config/index.ts';
import { createTestCertificates, type TestCertificates } from '../../modules/audit-streaming/tls-test-fixture.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { linkToken, startTestSmtp } from '../../../test/support/smtp.ts';
import { outboxPath } from './index.ts';
import { cliContext } from '../../../test/support/cli-context.ts';

const TOKEN = 'T'.repeat(43);
const template = { kind: 'password_reset', token: TOKEN, expiresAt: new Date('2030-01-01T00:00:00Z') } as const;

async function deliveries(t: TestApp) {
  return t.transactor.withPlatform((tx) => tx.selectFrom('mail_deliveries').selectAll().orderBy('created_at').execute());
}

describe('mail platform', () => {
  let certs: TestCertificates;
  before(() => {
    certs = createTestCertificates('Parapet SMTP Test');
  });

  it('sends over STARTTLS with a verified certificate and SMTP authentication, as text and HTML with public-URL links', async () => {
    const smtp = await startTestSmtp({ tls: certs, auth: { user: 'relay', password: 'smtp secret 8c1f' } });
    const t = await createTestApp({ env: { ...smtp.env, PARAPET_PUBLIC_URL: 'https://parapet.example.com', PARAPET_MAIL_FROM: 'Security <security@example.com>' } });
    try {
      const mail = t.app.services.mail;
      assert.equal(mail.transport, 'smtp');
      mail.send(mail.prepare('alice@example.com', template));
      await mail.idle();
      const received = await smtp.waitFor((m) => m.to.includes('alice@example.com'));
      assert.equal(received.secure, true, 'STARTTLS was used');
      assert.equal(received.user, 'relay');
      assert.match(received.from, /security@example\.com/);
      assert.equal(received.subject, 'Reset your Parapet password');
      assert.ok(received.text.includes(`https://parapet.example.com/reset-password#token=${TOKEN}`));
      assert.ok(received.html.includes(`href="https://parapet.example.com/reset-password#token=${TOKEN}"`));
      assert.equal(linkToken(received), TOKEN);
      const [row] = await deliveries(t);
      assert.equal(row?.status, 'sent');
      assert.equal(row?.attempts, 1);
      assert.equal(row?.kind, 'password_reset');
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('refuses a server whose certificate it cannot verify: the delivery fails, is recorded, and the log names no token', async () => {
    const smtp = await startTestSmtp({ tls: certs });
    const env = { ...smtp.env };
    delete env['PARAPET_SMTP_CA_FILE'];
    const t = await createTestApp({ env, mailRetryDelaysMs: [10] });
    try {
      const mail = t.app.services.mail;
      mail.send(mail.prepare('bob@example.com', template));
      await mail.idle();
      assert.equal(smtp.messages.length, 0);
      const [row] = await deliveries(t);
      assert.equal(row?.status, 'failed');
      assert.equal(row?.attempts, 2);
      assert.ok(row?.last_error !== null && row?.last_error !== undefined && row.last_error.length > 0);
      const failures = t.logs.filter((line) => line.includes('mail delivery failed'));
      assert.equal(failures.length, 2);
      for (const line of t.logs) assert.ok(!line.includes(TOKEN), `token in log: ${line}`);
      assert.equal(mail.stats().failed, 1);
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('retries a temporary failure and delivers on the next attempt', async () => {
    const smtp = await startTestSmtp({ failFirst: 1 });
    const t = await createTestApp({ env: smtp.env, mailRetryDelaysMs: [10, 10] });
    try {
      const mail = t.app.services.mail;
      mail.send(mail.prepare('carol@example.com', template));
      await mail.idle();
      await smtp.waitFor((m) => m.to.includes('carol@example.com'));
      const [row] = await deliveries(t);
      assert.equal(row?.status, 'sent');
      assert.equal(row?.attempts, 2);
      assert.match(row?.last_error ?? '', /451/);
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('without SMTP, writes to a 0600 development outbox that `parapet mail outbox` prints, never to the log', async () => {
    const t = await createTestApp({ logLevel: 'debug' });
    try {
      const mail = t.app.services.mail;
      assert.equal(mail.transport, 'outbox');
      mail.send(mail.prepare('dave@example.com', template));
      await mail.idle();
      const path = outboxPath(t.config.dataDir);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const lines: string[] = [];
      const code = await mailOutbox(cliContext(t.config, t.app.http.log as never, lines));
      assert.equal(code, 0);
      const printed = lines.join('\n');
      assert.ok(printed.includes('To: dave@example.com'));
      assert.ok(printed.includes(`#token=${TOKEN}`));
      for (const line of t.logs) assert.ok(!line.includes(TOKEN), `token in log: ${line}`);
    } finally {
      await t.close();
    }
  });

  it('refuses plain-text SMTP to a host that is not loopback, and a password without a user', () => {
    assert.throws(() => loadConfig({ env: { PARAPET_SMTP_HOST: 'smtp.example.com', PARAPET_SMTP_TLS: 'none' } }), /PARAPET_SMTP_TLS: none is allowed only for a loopback/);
    assert.throws(() => loadConfig({ env: { PARAPET_SMTP_HOST: 'smtp.example.com', PARAPET_SMTP_PASSWORD: 'x' } }), /PARAPET_SMTP_PASSWORD needs PARAPET_SMTP_USER/);
    assert.throws(() => loadConfig({ env: { PARAPET_MAIL_FROM: 'a@b.c\r\nBcc: x@y.z' } }), /PARAPET_MAIL_FROM/);
    assert.equal(loadConfig({ env: { PARAPET_SMTP_HOST: 'smtp.example.com', PARAPET_SMTP_TLS: 'tls' } }).smtpPort, 465);
  });
  after(() => undefined);
});
