import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { uuidv7, type Random } from '../crypto/random.ts';
import type { Transactor } from '../db/index.ts';
import type { MailTables } from './mail-tables.ts';
import { renderMail, UNRECORDED_RECIPIENT, type MailTemplate, type RenderedMail } from './mail-templates.ts';
import type { MailTransport } from './mail-transport.ts';

/** A rendered message for one recipient, ready to be queued. */
export interface PreparedMail {
  /** Its row in `mail_deliveries` once queued: a caller may keep it to read the delivery later. */
  readonly id: string;
  readonly to: string;
  readonly kind: MailTemplate['kind'];
  readonly rendered: RenderedMail;
}

export interface MailStats {
  readonly rendered: number;
  readonly queued: number;
  readonly sent: number;
  readonly failed: number;
}

export interface Mailer {
  readonly transport: MailTransport['kind'];
  /**
   * Renders a message. Flows that must not reveal whether an account exists render in both
   * cases and queue only in one, so the request does the same work either way.
   */
  prepare(to: string, template: MailTemplate): PreparedMail;
  /**
   * Queues a message. Call after the transaction that made its token has committed: the request
   * never waits for the network (so delivery time reveals nothing), and a delivery that fails is
   * retried, then recorded as failed (status in `mail_deliveries`, a log line without the body).
   */
  send(mail: PreparedMail): void;
  /** Resolves once every queued message was delivered or given up on. */
  idle(): Promise<void>;
  stats(): MailStats;
  /** Waits for queued messages (at most `graceMs`), then closes the transport. */
  close(graceMs?: number): Promise<void>;
}

/** Waits before the second, third and fourth attempts. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000];

/** Only codes from a failed delivery are logged or stored: server replies can quote the message. */
function errorCode(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown } | undefined;
  const code = typeof e?.code === 'string' && /^[A-Z_]{1,40}$/.test(e.code) ? e.code : 'EUNKNOWN';
  return typeof e?.responseCode === 'number' ? `${code} ${e.responseCode}` : code;
}

export function createMailer(deps: {
  transport: MailTransport;
  from: string;
  publicUrl: string;
  transactor: Transactor<MailTables>;
  clock: Clock;
  random: Random;
  logger: Logger;
  retryDelaysMs?: readonly number[];
}): Mailer {
  const { transport, transactor, clock, logger } = deps;
  const delays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const pending = new Set<Promise<void>>();
  const counts = { rendered: 0, queued: 0, sent: 0, failed: 0 };
  let closed = false;

  async function status(id: string, patch: { status: 'sending' | 'sent' | 'failed'; attempts: number; last_error?: string | null }, insert?: { kind: string; recipient: string }): Promise<void> {
    const now = clock.now();
    try {
      await transactor.withPlatform(async (tx) => {
        if (insert !== undefined) {
          await tx.insertInto('mail_deliveries').values({ id, kind: insert.kind, recipient: insert.recipient, transport: transport.kind, last_error: null, ...patch, created_at: now, updated_at: now }).execute();
        } else {
          await tx.updateTable('mail_deliveries').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
        }
      });
    } catch (error) {
      logger.warn({ mail_id: id, error: errorCode(error) }, 'could not record mail delivery status');
    }
  }

  async function deliver(mail: PreparedMail): Promise<void> {
    const id = mail.id;
    await status(id, { status: 'sending', attempts: 0, last_error: null }, { kind: mail.kind, recipient: UNRECORDED_RECIPIENT.has(mail.kind) ? '(not recorded)' : mail.to });
    const envelope = { id, from: deps.from, to: mail.to, ...mail.rendered };
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.deliver(envelope, clock.now());
        counts.sent++;
        // The last error (if any) stays: it tells why earlier attempts failed.
        await status(id, { status: 'sent', attempts: attempt });
        return;
      } catch (error) {
        const code = errorCode(error);
        const delay = delays[attempt - 1];
        // Never the envelope: its links carry tokens.
        logger.warn({ mail_id: id, kind: mail.kind, transport: transport.kind, attempt, error: code, retry_in_ms: closed ? null : (delay ?? null) }, 'mail delivery failed');
        if (delay === undefined || closed) {
          counts.failed++;
          await status(id, { status: 'failed', attempts: attempt, last_error: code });
          return;
        }
        await status(id, { status: 'sending', attempts: attempt, last_error: code });
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  return {
    transport: transport.kind,
    prepare: (to, template) => {
      counts.rendered++;
      return { id: uuidv7(clock, deps.random), to, kind: template.kind, rendered: renderMail(template, deps.publicUrl) };
    },
    send: (mail) => {
      counts.queued++;
      const job = deliver(mail).catch((error: unknown) => {
        logger.error({ error: errorCode(error) }, 'mail delivery crashed');
      });
      pending.add(job);
      void job.finally(() => pending.delete(job));
    },
    idle: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stats: () => ({ ...counts }),
    close: async (graceMs = 5_000) => {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([...pending]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      transport.close();
    },
  };
}
