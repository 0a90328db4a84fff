// A real SMTP server in the test process (smtp-server), reading each message with mailparser.
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { TestCertificates } from '../../src/modules/audit-streaming/tls-test-fixture.ts';

export interface ReceivedMail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Whether the message arrived over TLS (STARTTLS or implicit). */
  readonly secure: boolean;
  readonly user: string | undefined;
}

export interface TestSmtp {
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** PARAPET_* settings that point the app at this server. */
  readonly env: Record<string, string>;
  /** Resolves with the first message matching `predicate` (polling briefly). */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * Without `tls`: plain SMTP on loopback (PARAPET_SMTP_TLS=none). With `tls`: STARTTLS with the
 * given certificate and, with `auth`, a required login.
 */
export async function startTestSmtp(options: { tls?: TestCertificates; auth?: { user: string; password: string }; failFirst?: number } = {}): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  let failures = options.failFirst ?? 0;
  const server = new SMTPServer({
    secure: false,
    ...(options.tls === undefined ? { disabledCommands: ['STARTTLS', 'AUTH'] } : { key: options.tls.keyPem, cert: options.tls.certPem }),
    authOptional: options.auth === undefined,
    ...(options.auth === undefined && options.tls !== undefined ? { disabledCommands: ['AUTH'] } : {}),
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth !== undefined && auth.username === options.auth.user && auth.password === options.auth.password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      if (failures > 0) {
        failures--;
        stream.resume();
        stream.on('end', () => {
          const error = Object.assign(new Error('Temporary failure'), { responseCode: 451 });
          callback(error);
        });
        return;
      }
      simpleParser(stream).then(
        (parsed) => {
          messages.push({
            from: parsed.from?.text ?? '',
            to: Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : (parsed.to?.text ?? ''),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          callback();
        },
        (error: unknown) => {
          callback(error as Error);
        },
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const env: Record<string, string> = { PARAPET_SMTP_HOST: '127.0.0.1', PARAPET_SMTP_PORT: String(port), PARAPET_SMTP_TLS: options.tls === undefined ? 'none' : 'starttls' };
  if (options.tls !== undefined) env['PARAPET_SMTP_CA_FILE'] = options.tls.caFile;
  if (options.auth !== undefined) Object.assign(env, { PARAPET_SMTP_USER: options.auth.user, PARAPET_SMTP_PASSWORD: options.auth.password });
  return {
    port,
    messages,
    env,
    waitFor: async (predicate, timeoutMs = 10_000) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(predicate);
        if (found !== undefined) return found;
        if (Date.now() > end) throw new Error(`no matching mail within ${timeoutMs} ms (got ${messages.length}: ${messages.map((m) => m.subject).join('; ')})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The token in a mail's link (`…#token=<token>`). */
export function linkToken(mail: { text: string }): string {
  const match = /#token=([A-Za-z0-9_.-]+)/.exec(mail.text);
  if (match?.[1] === undefined) throw new Error(`no link in mail: ${mail.text}`);
  return match[1];
}

/** Waits for the app's mailer to settle, then for a mail to `address` whose subject matches. */
export async function mailTo(t: { app: { services: { mail: { idle(): Promise<void> } } } }, smtp: TestSmtp, address: string, subject: RegExp): Promise<ReceivedMail> {
  await t.app.services.mail.idle();
  return smtp.waitFor((m) => m.to.includes(address) && subject.test(m.subject));
}
