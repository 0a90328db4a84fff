import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditActor, AuditSource } from '../../platform/http/principal.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import type { FieldContext, FieldEncryption } from '../keys/index.ts';
import type { ReportRow } from './disclosure-service.ts';
import type { CreditConsent, Side } from './disclosure-tables.ts';
import { spendDisclosureToken, TOKEN_SHAPE } from './disclosure-tokens.ts';

/** How long a portal session lasts after its link is used; it is never extended. */
export const PORTAL_SESSION_TTL_MS = 30 * 60_000;
/** Messages one side may post to one report in an hour. */
export const MESSAGES_PER_HOUR = 20;
/** Messages a report's conversation holds at most. */
export const MAX_MESSAGES = 500;

const ANONYMOUS: AuditActor = { type: 'anonymous', id: null, display_name: null };

/** A researcher's portal session: the address its link was mailed to. */
export interface ReporterSession {
  readonly sessionId: string;
  readonly email: string;
}

/** Who acts on a report: its reporter through the portal, or a triager (platform administrator). */
export type Speaker = { readonly side: 'reporter'; readonly session: ReporterSession } | { readonly side: 'triager'; readonly actor: AuditActor & { id: string } };

export interface MessageView {
  readonly id: string;
  readonly author: Side;
  readonly body: string;
  readonly created_at: string;
}

export const messageContext = (id: string): FieldContext => ({ tenantId: PLATFORM_TENANT_ID, table: 'disclosure_messages', column: 'body_sealed', rowId: id });

/**
 * The researcher portal (VDP-2): a session opened once per mailed link, and, for each report, the
 * conversation between its reporter and the triagers and the coordinated disclosure date.
 * Every reporter-side read and write names the report and checks, in the same transaction, that
 * it belongs to the session's address: another reporter's report is `not_found`, like a missing one.
 */
export function createPortalService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; fields: FieldEncryption }) {
  const { transactor, clock, random, audit, fields } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const actorOf = (speaker: Speaker): AuditActor => (speaker.side === 'reporter' ? ANONYMOUS : speaker.actor);

  /** The received report `id` if `speaker` may see it: a reporter only their own; locked for update when asked. */
  async function reportFor(tx: Tx, speaker: Speaker, id: string, lock = false): Promise<ReportRow> {
    let query = tx.selectFrom('disclosure_reports').selectAll().where('id', '=', id).where('status', '!=', 'unverified');
    if (speaker.side === 'reporter') query = query.where('reporter_email', '=', speaker.session.email);
    const row = await (lock ? query.forUpdate() : query).executeTakeFirst();
    if (row === undefined) throw new AppError('not_found');
    return row;
  }

  return {
    reportFor: (tx: Tx, speaker: Speaker, id: string, lock = false) => reportFor(tx, speaker, id, lock),

    /**
     * Uses a portal link (once, within its hour) and opens a session bound to the address it was
     * mailed to. The caller puts the returned secret in a cookie; only its SHA-256 is stored.
     */
    async openSession(token: string, source: AuditSource): Promise<{ token: string; expiresAt: Date }> {
      return inPlatform(async (tx) => {
        const now = clock.now();
        const spent = await spendDisclosureToken(tx, now, 'portal', token);
        if (spent === undefined) throw new AppError('disclosure_link_invalid');
        const secret = newSecretToken(random);
        const id = uuidv7(clock, random);
        const expiresAt = new Date(now.getTime() + PORTAL_SESSION_TTL_MS);
        await tx.insertInto('disclosure_portal_sessions').values({ id, token_hash: digestToken(secret), email: spent.email, created_at: now, expires_at: expiresAt, revoked_at: null }).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.portal_session_opened', actor: ANONYMOUS, outcome: 'success', source, targets: [{ type: 'disclosure_portal_session', id }] });
        return { token: secret, expiresAt };
      });
    },

    /** The live session a cookie names; undefined when absent, malformed, expired or closed. */
    async session(cookie: string | undefined): Promise<ReporterSession | undefined> {
      if (cookie === undefined || !TOKEN_SHAPE.test(cookie)) return undefined;
      const row = await inPlatform((tx) =>
        tx.selectFrom('disclosure_portal_sessions').select(['id', 'email']).where('token_hash', '=', digestToken(cookie)).where('revoked_at', 'is', null).where('expires_at', '>', clock.now()).executeTakeFirst(),
      );
      return row === undefined ? undefined : { sessionId: row.id, email: row.email };
    },

    async closeSession(session: ReporterSession): Promise<void> {
      await inPlatform((tx) => tx.updateTable('disclosure_portal_sessions').set({ revoked_at: clock.now() }).where('id', '=', session.sessionId).where('revoked_at', 'is', null).execute());
    },

    /** The session's address's received reports, newest first. */
    async reports(session: ReporterSession): Promise<ReportRow[]> {
      return inPlatform((tx) => tx.selectFrom('disclosure_reports').selectAll().where('reporter_email', '=', session.email).where('status', '!=', 'unverified').orderBy('created_at', 'desc').limit(100).execute());
    },

    /** The conversation of one report, oldest first, decrypted. */
    async thread(speaker: Speaker, reportId: string): Promise<MessageView[]> {
      const rows = await inPlatform(async (tx) => {
        await reportFor(tx, speaker, reportId);
        return tx.selectFrom('disclosure_messages').select(['id', 'author', 'body_sealed', 'created_at']).where('report_id', '=', reportId).orderBy('created_at', 'asc').orderBy('id', 'asc').limit(MAX_MESSAGES).execute();
      });
      return Promise.all(rows.map(async (m) => ({ id: m.id, author: m.author, body: await fields.decryptField(messageContext(m.id), m.body_sealed), created_at: m.created_at.toISOString() })));
    },

    /** Adds a message to a report's conversation; the body is encrypted before it reaches the database. */
    async post(speaker: Speaker, reportId: string, body: string, source: AuditSource): Promise<MessageView> {
      const id = uuidv7(clock, random);
      const sealed = await fields.encryptField(messageContext(id), body);
      const now = clock.now();
      await inPlatform(async (tx) => {
        await reportFor(tx, speaker, reportId, true);
        const counts = await tx
          .selectFrom('disclosure_messages')
          .select((eb) => [eb.fn.countAll<string | number | bigint>().as('total'), eb.fn.count<string | number | bigint>(eb.case().when(eb.and([eb('author', '=', speaker.side), eb('created_at', '>', new Date(now.getTime() - 3_600_000))])).then(1).end()).as('recent')])
          .where('report_id', '=', reportId)
          .executeTakeFirstOrThrow();
        if (Number(counts.total) >= MAX_MESSAGES) throw new AppError('disclosure_limit_reached', { detail: 'This conversation is full.' });
        if (Number(counts.recent) >= MESSAGES_PER_HOUR) throw new AppError('rate_limited', { detail: 'Too many messages to this report; try again in an hour.', headers: { 'retry-after': '3600' } });
        await tx.insertInto('disclosure_messages').values({ id, report_id: reportId, author: speaker.side, author_user_id: speaker.side === 'triager' ? speaker.actor.id : null, body_sealed: sealed, created_at: now }).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.message_posted', actor: actorOf(speaker), outcome: 'success', source, targets: [{ type: 'disclosure_report', id: reportId }], metadata: { author: speaker.side, message_id: id } });
      });
      return { id, author: speaker.side, body, created_at: now.toISOString() };
    },

    /**
     * Proposes a coordinated disclosure date, or agrees to the other side's proposal. A proposal
     * replaces any earlier one (agreed or not); agreeing takes the date the caller saw, so an
     * agreement never lands on a date the other side changed meanwhile.
     */
    async disclosureDate(speaker: Speaker, reportId: string, change: { action: 'propose' | 'agree'; date: string }, source: AuditSource): Promise<void> {
      if (!isCalendarDate(change.date)) throw new AppError('invalid_request', { detail: 'The date must be a calendar day, YYYY-MM-DD.' });
      await inPlatform(async (tx) => {
        const row = await reportFor(tx, speaker, reportId, true);
        const now = clock.now();
        if (change.action === 'propose') {
          if (change.date <= now.toISOString().slice(0, 10)) throw new AppError('invalid_request', { detail: 'The date must be in the future.' });
          await tx.updateTable('disclosure_reports').set({ disclosure_date: change.date, disclosure_date_proposed_by: speaker.side, disclosure_date_agreed_at: null, updated_at: now }).where('id', '=', reportId).execute();
        } else {
          // Only the other side agrees, and only to the date on the table.
          if (row.disclosure_date !== change.date || row.disclosure_date_proposed_by === null || row.disclosure_date_proposed_by === speaker.side || row.disclosure_date_agreed_at !== null) {
            throw new AppError('disclosure_date_conflict');
          }
          await tx.updateTable('disclosure_reports').set({ disclosure_date_agreed_at: now, updated_at: now }).where('id', '=', reportId).execute();
        }
        await audit.record(tx, PLATFORM_TENANT_ID, {
          action: change.action === 'propose' ? 'disclosure.date_proposed' : 'disclosure.date_agreed',
          actor: actorOf(speaker),
          outcome: 'success',
          source,
          targets: [{ type: 'disclosure_report', id: reportId }],
          metadata: { by: speaker.side, date: change.date },
        });
      });
    },

    /**
     * The reporter's choice of credit for one of their reports: by `name`, anonymously, or none.
     * Only the reporter decides (consent): triagers have no way to set or change it, and choosing
     * anything but `named` erases a name given before.
     */
    async setCredit(session: ReporterSession, reportId: string, credit: { consent: CreditConsent; name?: string | undefined }, source: AuditSource): Promise<void> {
      const name = credit.name?.trim();
      if (credit.consent === 'named' && (name === undefined || name.length === 0 || name.length > 100 || /[\p{Cc}]/u.test(name))) throw new AppError('invalid_request', { detail: 'Give the name to credit: 1 to 100 printable characters.' });
      if (credit.consent !== 'named' && credit.name !== undefined) throw new AppError('invalid_request', { detail: 'A name is only given with consent to be credited by name.' });
      await inPlatform(async (tx) => {
        await reportFor(tx, { side: 'reporter', session }, reportId, true);
        const now = clock.now();
        await tx.updateTable('disclosure_reports').set({ credit_consent: credit.consent, credit_name: credit.consent === 'named' ? (name ?? null) : null, credit_consented_at: now, updated_at: now }).where('id', '=', reportId).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.credit_changed', actor: ANONYMOUS, outcome: 'success', source, targets: [{ type: 'disclosure_report', id: reportId }], metadata: { consent: credit.consent } });
      });
    },
  };
}

/** `YYYY-MM-DD` naming a real day. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

export type PortalService = ReturnType<typeof createPortalService>;
