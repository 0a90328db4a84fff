import type { QueryExecutorProvider } from 'kysely';
import { sql } from 'kysely';

/** The delivery of one queued message: `queued` until the mailer has written its first record. */
export interface MailDeliveryStatus {
  readonly id: string;
  readonly status: 'queued' | 'sending' | 'sent' | 'failed';
  readonly attempts: number;
  readonly updated_at: Date | null;
}

/**
 * The delivery status of messages by their ids (`PreparedMail.id`), in the order asked, for
 * callers that keep those ids as their record of what was sent. Reads no recipient. Run in the
 * platform context (`mail_deliveries` is a platform table).
 */
export async function mailDeliveryStatuses(tx: QueryExecutorProvider, ids: readonly string[]): Promise<MailDeliveryStatus[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ id: string; status: 'sending' | 'sent' | 'failed'; attempts: number; updated_at: Date }>`select id, status, attempts, updated_at from mail_deliveries where id in (${sql.join(ids)})`.execute(tx);
  const found = new Map(rows.rows.map((r) => [r.id, r]));
  return ids.map((id) => found.get(id) ?? { id, status: 'queued', attempts: 0, updated_at: null });
}
