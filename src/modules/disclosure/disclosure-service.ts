import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditActor, AuditSource } from '../../platform/http/principal.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import type { FieldContext, FieldEncryption } from '../keys/index.ts';
import { clockChanges, clockHistory, recordClockEvent, type ClockHistoryEntry } from './clock-history.ts';
import { scoreCvss } from './cvss.ts';
import { fixBy, receivedClocks } from './deadlines.ts';
import { spendDisclosureToken } from './disclosure-tokens.ts';
import type { DisclosureReportsTable, ReportStatus, Severity } from './disclosure-tables.ts';
import { DEFAULT_POLICY, type Policy } from './policy.ts';
import { checkSettings, DEFAULT_SETTINGS, type Settings } from './settings.ts';
import type { AuditContext } from '../audit/index.ts';

/** How long a verification link works; an unverified report is never accepted after it. */
export const VERIFY_TTL_MS = 24 * 3_600_000;
/** How long a portal link works. */
export const PORTAL_TTL_MS = 3_600_000;
/** Reports (verified or not) and portal links one address may ask for in an hour. */
export const PER_EMAIL_PER_HOUR = 5;

const ANONYMOUS: AuditActor = { type: 'anonymous', id: null, display_name: null };

export type ReportRow = Omit<DisclosureReportsTable, 'tenant_id' | 'cvss_score'> & { cvss_score: string | null };

/** What the disclosure module needs from the incidents module (through its API, never its tables). */
export interface IncidentLinks {
  /** Whether an incident with this id exists. */
  exists(id: string): Promise<boolean>;
  /** Opens an incident; its id. */
  open(ctx: AuditContext, input: { title: string; severity: Exclude<Severity, 'none'> }): Promise<string>;
}

/** One credited researcher on the acknowledgments page: a name, or null for an anonymous one. */
export interface Acknowledgment {
  readonly name: string | null;
  /** The month the report was fixed, `YYYY-MM`. */
  readonly month: string;
}
export interface ReportContent {
  readonly title: string;
  readonly body: string;
}

export const contentContext = (reportId: string): FieldContext => ({ tenantId: PLATFORM_TENANT_ID, table: 'disclosure_reports', column: 'content_sealed', rowId: reportId });

/** Intake, verification, the researcher portal and triage (VDP-2, VDP-3). */
export function createDisclosureService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; fields: FieldEncryption; mail: Pick<Mailer, 'prepare' | 'send'>; isOperator: (userId: string) => Promise<boolean>; incidents: IncidentLinks }) {
  const { transactor, clock, random, audit, fields, mail } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const hourAgo = () => new Date(clock.now().getTime() - 3_600_000);

  async function issueToken(tx: Tx, purpose: 'verify' | 'portal', email: string, reportId: string | null, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
    const token = newSecretToken(random);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    await tx.insertInto('disclosure_tokens').values({ id: uuidv7(clock, random), purpose, token_hash: digestToken(token), report_id: reportId, email, created_at: now, expires_at: expiresAt, used_at: null }).execute();
    return { token, expiresAt };
  }

  const spendToken = (tx: Tx, purpose: 'verify' | 'portal', token: string) => spendDisclosureToken(tx, clock.now(), purpose, token);

  /**
   * A duplicate links to an original: another received report that is no duplicate itself, and
   * this report must be no one's original (so links never chain or loop).
   */
  async function checkDuplicateLink(tx: Tx, id: string, originalId: string): Promise<void> {
    if (originalId === id) throw new AppError('invalid_duplicate_link', { detail: 'A report does not duplicate itself.' });
    const original = await tx.selectFrom('disclosure_reports').select(['duplicate_of']).where('id', '=', originalId).where('status', '!=', 'unverified').executeTakeFirst();
    if (original === undefined) throw new AppError('invalid_duplicate_link', { detail: 'The original is not a received report.' });
    if (original.duplicate_of !== null) throw new AppError('invalid_duplicate_link', { detail: 'Link to the original report, not to another duplicate.' });
    const copies = await tx.selectFrom('disclosure_reports').select('id').where('duplicate_of', '=', id).limit(1).executeTakeFirst();
    if (copies !== undefined) throw new AppError('invalid_duplicate_link', { detail: 'Other reports duplicate this one: it is an original.' });
  }

  async function settingsIn(tx: Tx): Promise<Settings> {
    const row = await tx.selectFrom('disclosure_settings').select('data').executeTakeFirst();
    return row === undefined ? DEFAULT_SETTINGS : (row.data as unknown as Settings);
  }

  async function policyIn(tx: Tx): Promise<Policy> {
    const row = await tx.selectFrom('disclosure_policy').select('data').executeTakeFirst();
    return row === undefined ? DEFAULT_POLICY : (row.data as unknown as Policy);
  }

  async function decrypt(row: { id: string; content_sealed: string }): Promise<ReportContent> {
    return JSON.parse(await fields.decryptField(contentContext(row.id), row.content_sealed)) as ReportContent;
  }

  return {
    /**
     * Stores a report as unverified and mails its reporter a verification link. The report is
     * encrypted before it reaches the database; it counts as received only once the link is used.
     */
    async submit(input: { email: string; title: string; body: string; source: AuditSource }): Promise<void> {
      const email = input.email.toLowerCase();
      const id = uuidv7(clock, random);
      const sealed = await fields.encryptField(contentContext(id), JSON.stringify({ title: input.title, body: input.body }));
      const link = await inPlatform(async (tx) => {
        const recent = await tx.selectFrom('disclosure_reports').select((eb) => eb.fn.countAll<string | number | bigint>().as('n')).where('reporter_email', '=', email).where('created_at', '>', hourAgo()).executeTakeFirstOrThrow();
        if (Number(recent.n) >= PER_EMAIL_PER_HOUR) throw new AppError('rate_limited', { detail: 'Too many reports from this address; try again in an hour.', headers: { 'retry-after': '3600' } });
        const now = clock.now();
        await tx.insertInto('disclosure_reports').values({ id, reporter_email: email, content_sealed: sealed, status: 'unverified', cvss_vector: null, cvss_score: null, severity: null, created_at: now, received_at: null, acknowledge_by: null, acknowledged_at: null, assess_by: null, assessed_at: null, fix_by: null, fixed_at: null, updated_at: now, disclosure_date: null, disclosure_date_proposed_by: null, disclosure_date_agreed_at: null, duplicate_of: null, assignee_user_id: null, incident_id: null, credit_consent: null, credit_name: null, credit_consented_at: null, bounty_amount: null, bounty_tier: null }).execute();
        const issued = await issueToken(tx, 'verify', email, id, VERIFY_TTL_MS);
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.report_submitted', actor: ANONYMOUS, outcome: 'success', source: input.source, targets: [{ type: 'disclosure_report', id }] });
        return issued;
      });
      // After commit: the request never waits for the network.
      mail.send(mail.prepare(email, { kind: 'disclosure_verify', ...link }));
    },

    /** Uses a verification link: the report is received and its clocks start. */
    async verify(token: string, source: AuditSource): Promise<{ reportId: string }> {
      return inPlatform(async (tx) => {
        const spent = await spendToken(tx, 'verify', token);
        if (spent?.report_id == null) throw new AppError('disclosure_link_invalid');
        const now = clock.now();
        const clocks = receivedClocks(now, await settingsIn(tx));
        const moved = await tx.updateTable('disclosure_reports').set({ status: 'received', received_at: now, acknowledge_by: clocks.acknowledgeBy, assess_by: clocks.assessBy, updated_at: now }).where('id', '=', spent.report_id).where('status', '=', 'unverified').executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 1) {
          await recordClockEvent(tx, deps, spent.report_id, 'acknowledge', 'started', clocks.acknowledgeBy, now);
          await recordClockEvent(tx, deps, spent.report_id, 'assess', 'started', clocks.assessBy, now);
        }
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.report_verified', actor: ANONYMOUS, outcome: 'success', source, targets: [{ type: 'disclosure_report', id: spent.report_id }] });
        return { reportId: spent.report_id };
      });
    },

    /**
     * Mails a portal link when `email` has received reports. The answer is the same either way,
     * so it does not tell whether an address reported anything.
     */
    async requestPortalLink(input: { email: string; source: AuditSource }): Promise<void> {
      const email = input.email.toLowerCase();
      const link = await inPlatform(async (tx) => {
        const recent = await tx.selectFrom('disclosure_tokens').select((eb) => eb.fn.countAll<string | number | bigint>().as('n')).where('email', '=', email).where('purpose', '=', 'portal').where('created_at', '>', hourAgo()).executeTakeFirstOrThrow();
        const has = await tx.selectFrom('disclosure_reports').select('id').where('reporter_email', '=', email).where('status', '!=', 'unverified').limit(1).executeTakeFirst();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.portal_link_requested', actor: ANONYMOUS, outcome: 'success', source: input.source });
        if (has === undefined || Number(recent.n) >= PER_EMAIL_PER_HOUR) return undefined;
        return issueToken(tx, 'portal', email, null, PORTAL_TTL_MS);
      });
      if (link !== undefined) mail.send(mail.prepare(email, { kind: 'disclosure_portal', ...link }));
    },

    /** Uses a portal link: the reports of the address it was sent to, and no one else's. */
    async portal(token: string, source: AuditSource): Promise<{ report: ReportRow; content: ReportContent }[]> {
      const rows = await inPlatform(async (tx) => {
        const spent = await spendToken(tx, 'portal', token);
        if (spent === undefined) throw new AppError('disclosure_link_invalid');
        const found = await tx.selectFrom('disclosure_reports').selectAll().where('reporter_email', '=', spent.email).where('status', '!=', 'unverified').orderBy('created_at', 'desc').limit(100).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.portal_viewed', actor: ANONYMOUS, outcome: 'success', source, metadata: { reports: found.length } });
        return found;
      });
      return Promise.all(rows.map(async (report) => ({ report, content: await decrypt(report) })));
    },

    /** The given reports with their decrypted text. */
    async withContent(rows: readonly ReportRow[]): Promise<{ report: ReportRow; content: ReportContent }[]> {
      return Promise.all(rows.map(async (report) => ({ report, content: await decrypt(report) })));
    },

    /** Received reports, newest first (platform administrators); without their text. */
    async list(): Promise<ReportRow[]> {
      return inPlatform((tx) => tx.selectFrom('disclosure_reports').selectAll().where('status', '!=', 'unverified').orderBy('created_at', 'desc').limit(500).execute());
    },

    /** One received report with its decrypted text; the read is audited. */
    async read(id: string, actor: AuditActor, source: AuditSource): Promise<{ report: ReportRow; content: ReportContent }> {
      const report = await inPlatform(async (tx) => {
        const row = await tx.selectFrom('disclosure_reports').selectAll().where('id', '=', id).where('status', '!=', 'unverified').executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.report_read', actor, outcome: 'success', source, targets: [{ type: 'disclosure_report', id }] });
        return row;
      });
      return { report, content: await decrypt(report) };
    },

    /**
     * Sets a report's severity (from a CVSS 3.1 or 4.0 vector), moves its status, links it to the
     * original it duplicates, assigns it to a platform operator, and/or sets its bounty (an amount
     * and the policy tier it came from). Assessing needs a severity and starts the fix clock; a
     * later change of severity moves the fix deadline. Every clock change goes to its history.
     */
    async triage(id: string, change: TriageChange, actor: AuditActor, source: AuditSource): Promise<void> {
      const scored = change.cvssVector === undefined ? undefined : scoreCvss(change.cvssVector);
      if (change.assigneeUserId != null && !(await deps.isOperator(change.assigneeUserId))) throw new AppError('invalid_assignee');
      await inPlatform(async (tx) => {
        const row = await tx.selectFrom('disclosure_reports').selectAll().where('id', '=', id).where('status', '!=', 'unverified').forUpdate().executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        const now = clock.now();
        const settings = await settingsIn(tx);
        const severity = scored?.severity ?? row.severity;
        const patch: Partial<Pick<ReportRow, 'status' | 'cvss_vector' | 'severity' | 'acknowledged_at' | 'assessed_at' | 'fix_by' | 'fixed_at' | 'duplicate_of' | 'assignee_user_id' | 'bounty_amount' | 'bounty_tier'>> & { cvss_score?: number } = {};
        if (scored !== undefined) Object.assign(patch, { cvss_vector: scored.vector, cvss_score: scored.baseScore, severity: scored.severity });
        const final = row.status === 'fixed' || row.status === 'rejected';
        if (change.status !== undefined && change.status !== row.status) {
          if (final) throw new AppError('invalid_status_change', { detail: 'A fixed or rejected report is closed.' });
          const order: readonly ReportStatus[] = ['received', 'acknowledged', 'assessed', 'fixed'];
          if (change.status !== 'rejected' && order.indexOf(change.status) < order.indexOf(row.status)) throw new AppError('invalid_status_change', { detail: 'A report does not move back.' });
          if ((change.status === 'assessed' || change.status === 'fixed') && severity === null) throw new AppError('invalid_status_change', { detail: 'Set a CVSS vector before assessing.' });
          patch.status = change.status;
          // Reaching a later step meets the earlier clocks too.
          if (row.acknowledged_at === null) patch.acknowledged_at = now;
          if (change.status !== 'acknowledged' && change.status !== 'rejected' && row.assessed_at === null) patch.assessed_at = now;
          if (change.status === 'fixed') patch.fixed_at = now;
        }
        if (change.duplicateOf !== undefined && change.duplicateOf !== row.duplicate_of) {
          if (change.duplicateOf !== null) await checkDuplicateLink(tx, id, change.duplicateOf);
          patch.duplicate_of = change.duplicateOf;
        }
        if (change.assigneeUserId !== undefined) patch.assignee_user_id = change.assigneeUserId;
        if (change.bounty !== undefined) {
          if (change.bounty !== null && !(await policyIn(tx)).bounty_tiers.some((t) => t.severity === change.bounty?.tier)) {
            throw new AppError('invalid_bounty_tier');
          }
          patch.bounty_tier = change.bounty?.tier ?? null;
          patch.bounty_amount = change.bounty?.amount ?? null;
        }
        const assessedAt = patch.assessed_at ?? row.assessed_at;
        // A closed report's fix deadline stays as it was.
        if (assessedAt !== null && severity !== null && (scored !== undefined || patch.assessed_at !== undefined) && !final && (patch.status ?? row.status) !== 'rejected') patch.fix_by = fixBy(assessedAt, severity, settings);
        await tx.updateTable('disclosure_reports').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
        for (const c of clockChanges(row, { ...row, ...patch })) await recordClockEvent(tx, deps, id, c.clock, c.event, c.dueAt, now);
        await audit.record(tx, PLATFORM_TENANT_ID, {
          action: 'disclosure.report_triaged',
          actor,
          outcome: 'success',
          source,
          targets: [{ type: 'disclosure_report', id }],
          metadata: {
            status: patch.status ?? row.status,
            severity: severity ?? null,
            cvss_vector: scored?.vector ?? null,
            duplicate_of: change.duplicateOf === undefined ? row.duplicate_of : change.duplicateOf,
            ...(change.assigneeUserId === undefined ? {} : { assignee_user_id: change.assigneeUserId }),
            ...(change.bounty === undefined ? {} : { bounty_tier: change.bounty?.tier ?? null, bounty_amount: change.bounty?.amount ?? null }),
          },
        });
      });
    },

    /**
     * Links a report to an existing incident, or opens one for it (titled by the security team,
     * never by the reporter's text); `null` unlinks. Audited as `disclosure.incident_linked`.
     */
    async linkIncident(id: string, link: { incidentId: string } | { open: { title: string; severity: Exclude<Severity, 'none'> } } | null, ctx: AuditContext): Promise<string | null> {
      const existing = await inPlatform((tx) => tx.selectFrom('disclosure_reports').select(['id', 'incident_id']).where('id', '=', id).where('status', '!=', 'unverified').executeTakeFirst());
      if (existing === undefined) throw new AppError('not_found');
      let incidentId: string | null = null;
      if (link !== null && 'incidentId' in link) {
        if (!(await deps.incidents.exists(link.incidentId))) throw new AppError('invalid_incident_link');
        incidentId = link.incidentId;
      } else if (link !== null) {
        incidentId = await deps.incidents.open(ctx, link.open);
      }
      await inPlatform(async (tx) => {
        await tx.updateTable('disclosure_reports').set({ incident_id: incidentId, updated_at: clock.now() }).where('id', '=', id).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.incident_linked', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'disclosure_report', id }, ...(incidentId === null ? [] : [{ type: 'incident', id: incidentId }])], metadata: { opened: link !== null && 'open' in link } });
      });
      return incidentId;
    },

    /** A received report's clock history, oldest first. */
    async clockHistory(id: string): Promise<ClockHistoryEntry[]> {
      return inPlatform(async (tx) => {
        const row = await tx.selectFrom('disclosure_reports').select('id').where('id', '=', id).where('status', '!=', 'unverified').executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        return clockHistory(tx, id);
      });
    },

    /**
     * The acknowledgments page: reporters of fixed reports who consented to credit, by name or
     * anonymously, newest first. Without consent a report is not listed at all.
     */
    async acknowledgments(): Promise<Acknowledgment[]> {
      const rows = await inPlatform((tx) =>
        tx.selectFrom('disclosure_reports').select(['credit_consent', 'credit_name', 'fixed_at']).where('status', '=', 'fixed').where('credit_consent', 'in', ['named', 'anonymous']).orderBy('fixed_at', 'desc').orderBy('id', 'desc').limit(500).execute(),
      );
      return rows.map((r) => ({ name: r.credit_consent === 'named' ? r.credit_name : null, month: (r.fixed_at ?? new Date(0)).toISOString().slice(0, 7) }));
    },

    async settings(): Promise<Settings> {
      return inPlatform(settingsIn);
    },

    /** Replaces the program's settings; deadlines computed from then on follow them (existing ones stay). */
    async setSettings(settings: Settings, actor: AuditActor, source: AuditSource): Promise<void> {
      checkSettings(settings);
      await inPlatform(async (tx) => {
        const now = clock.now();
        await tx.insertInto('disclosure_settings').values({ data: JSON.stringify(settings), updated_at: now }).onConflict((oc) => oc.column('tenant_id').doUpdateSet({ data: JSON.stringify(settings), updated_at: now })).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.settings_changed', actor, outcome: 'success', source });
      });
    },

    async policy(): Promise<Policy> {
      return inPlatform(policyIn);
    },

    async setPolicy(policy: Policy, actor: AuditActor, source: AuditSource): Promise<void> {
      await inPlatform(async (tx) => {
        const now = clock.now();
        await tx.insertInto('disclosure_policy').values({ data: JSON.stringify(policy), updated_at: now }).onConflict((oc) => oc.column('tenant_id').doUpdateSet({ data: JSON.stringify(policy), updated_at: now })).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'disclosure.policy_changed', actor, outcome: 'success', source });
      });
    },
  };
}

export type DisclosureService = ReturnType<typeof createDisclosureService>;

/** A triage change; absent fields stay as they are. */
export interface TriageChange {
  readonly cvssVector?: string;
  readonly status?: Exclude<ReportStatus, 'unverified' | 'received'>;
  readonly duplicateOf?: string | null;
  readonly assigneeUserId?: string | null;
  readonly bounty?: { readonly tier: Exclude<Severity, 'none'>; readonly amount: string } | null;
}
