import { appendFile, chmod, mkdir, open, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import nodemailer from 'nodemailer';

/** A message ready to go: addressed and rendered. */
export interface Envelope {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailTransport {
  /** `smtp` sends to a server; `outbox` writes to the local development outbox file. */
  readonly kind: 'smtp' | 'outbox';
  deliver(mail: Envelope, at: Date): Promise<void>;
  close(): void;
}

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** `tls`: TLS from the first byte (port 465); `starttls`: upgrade required; `none`: loopback only. */
  readonly tls: 'tls' | 'starttls' | 'none';
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** PEM bundle of extra trusted CAs (a private relay); the system store is used otherwise. */
  readonly caFile: string | undefined;
}

/**
 * SMTP through nodemailer. With `tls` or `starttls` the server certificate is always verified
 * (`rejectUnauthorized`) against the host name, at TLS 1.2 or later; `starttls` refuses a server
 * that does not offer the upgrade instead of falling back to plain text.
 */
export function smtpTransport(settings: SmtpSettings): MailTransport {
  const transporter = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'tls',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    ...(settings.user === undefined ? {} : { auth: { user: settings.user, pass: settings.password ?? '' } }),
    tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(isIP(settings.host) === 0 ? { servername: settings.host } : {}), ...(settings.caFile === undefined ? {} : { ca: readFileSync(settings.caFile, 'utf8') }) },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    // nodemailer's own logger would print message contents: keep it off.
    logger: false,
    debug: false,
  });
  return {
    kind: 'smtp',
    deliver: async (mail) => {
      await transporter.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: `<${mail.id}@parapet>` });
    },
    close: () => {
      transporter.close();
    },
  };
}

/** Where the development outbox lives under the data directory. */
export function outboxPath(dataDir: string): string {
  return join(dataDir, 'mail-outbox.jsonl');
}

/**
 * The development outbox: without SMTP configured, each message is appended as one JSON line to a
 * file only its owner can read (0600), which `parapet mail outbox` prints. Never the log: links
 * in these messages carry tokens.
 */
export function outboxTransport(path: string): MailTransport {
  return {
    kind: 'outbox',
    deliver: async (mail, at) => {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const handle = await open(path, 'a', 0o600);
      try {
        await handle.chmod(0o600);
      } finally {
        await handle.close();
      }
      await appendFile(path, `${JSON.stringify({ ...mail, at: at.toISOString() })}\n`, { mode: 0o600 });
      await chmod(path, 0o600);
    },
    close: () => undefined,
  };
}

/** The messages in a development outbox, oldest first (none when the file does not exist). */
export async function readOutbox(path: string): Promise<(Envelope & { at: string })[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Envelope & { at: string });
}
