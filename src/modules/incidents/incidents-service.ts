import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import type { SecurityAlerts } from '../alerts/index.ts';
import { sql } from 'kysely';
import { mailDeliveryStatuses, type Mailer } from '../../platform/mail/index.ts';
import { DeliveryError, postWebhook, retryDelayMs, signWebhook, type AddressGuard } from '../audit-streaming/index.ts';
import { addDuration, type BusinessCalendar } from '../../platform/deadlines/index.ts';
import { BREACH_CLOCKS, CLOCK_SOURCES, dueAfter, POST_INCIDENT_REPORT, severityRules, stateOf, STATUS_PAGE_UPDATE_MS, warnAt } from './clock-rules.ts';
import { requireCommander, requireCommunications } from './incident-roles.ts';
import { loadNoticeTemplates } from './notice-template-store.ts';
import type { ClockName, ComponentStatus, EntryKind, EscalationKind, IncidentClocksTable, IncidentEntriesTable, IncidentEscalationsTable, IncidentNoticesTable, IncidentsTable, NoticeTemplate, Phase, Severity, StatusComponentsTable, StatusMaintenancesTable } from './incidents-tables.ts';
import { renderNotice } from './notice-templates.ts';
import type { BreachRegime, SeverityLevel } from './options.ts';
import { componentHistory, type DayStatus } from './status-history.ts';

export interface IncidentsDeps {
  readonly transactor: AppTransactor;
  readonly clock: Clock;
  readonly random: Random;
  readonly audit: Pick<AuditRecorder, 'record'>;
  readonly alerts: Pick<SecurityAlerts, 'raise'>;
  /** The organization whose administrators get an alert when a clock is overdue; unset: audited and logged only. */
  readonly alertOrganization: string | undefined;
  readonly logger: Logger;
  /** Publishes a status-page notice to subscribers in the same transaction (the subscriptions module). */
  readonly publish?: (tx: Tx, notice: StatusNotice, ctx: AuditContext) => Promise<unknown>;
  /** Severity levels, most severe first (PARAPET_INCIDENT_SEVERITIES); default: seed 000's. */
  readonly severities?: readonly SeverityLevel[];
  /** Breach regimes whose clocks start (PARAPET_INCIDENT_BREACH_REGIMES); default: all. */
  readonly regimes?: readonly BreachRegime[];
  /** Hours within which affected customers are told of a breach (24, 48, 72); default 72. */
  readonly customerBreachHours?: number;
  /** Where warnings and overdue clocks are escalated (mail, a signed webhook); both are recorded. */
  readonly escalation?: EscalationTargets;
  readonly mail?: Pick<Mailer, 'prepare' | 'send'>;
  /** The addresses of an organization's administrators (Tenant Admin over all of it): the members module. */
  readonly organizationAdmins?: (tenantId: string) => Promise<readonly string[]>;
  /** The policy clocks counted in working hours, and the calendar they count on; default: none. */
  readonly businessHours?: { readonly clocks: readonly ClockName[]; readonly calendar: BusinessCalendar } | undefined;
}

export interface EscalationTargets {
  readonly emails: readonly string[];
  readonly webhook?: { readonly url: string; readonly secret: string; readonly guard: AddressGuard; readonly caPem: string | null; readonly timeoutMs?: number } | undefined;
}

/** Attempts of one escalation before it is given up (the row keeps `failed_at` and the error code). */
export const ESCALATION_MAX_ATTEMPTS = 8;
const ESCALATION_RETRY = { baseMs: 30_000, maxMs: 30 * 60_000 };

export const DEFAULT_SEVERITY_LEVELS: readonly SeverityLevel[] = [
  { name: 'critical', notice: { firstNoticeMs: 3_600_000, updateEveryMs: 2 * 3_600_000 } },
  { name: 'high', notice: { firstNoticeMs: 4 * 3_600_000, updateEveryMs: 6 * 3_600_000 } },
  { name: 'medium', notice: { firstNoticeMs: 24 * 3_600_000, updateEveryMs: 24 * 3_600_000 } },
  { name: 'low', notice: undefined },
];

/** What the status page's subscribers are told: a new incident, a public update, a resolution. */
export interface StatusNotice {
  readonly event: 'incident.opened' | 'incident.updated' | 'incident.resolved' | 'maintenance.scheduled' | 'maintenance.cancelled';
  readonly title: string;
  readonly body: string;
  readonly components: readonly string[];
  readonly sourceId: string;
}

export interface ClockView {
  readonly id: string;
  readonly clock: ClockName;
  readonly source: string;
  readonly started_at: string;
  readonly due_at: string;
  readonly state: 'pending' | 'warning' | 'overdue' | 'met';
  /** Seconds left (pending, warning), negative when overdue, null when met. */
  readonly seconds_left: number | null;
  readonly met_at: string | null;
  readonly met_by: string | null;
  readonly met_late: boolean | null;
}

export function clockView(row: IncidentClocksTable, now: Date): ClockView {
  const s = stateOf(row, now);
  return {
    id: row.id,
    clock: row.clock,
    source: CLOCK_SOURCES[row.clock],
    started_at: row.started_at.toISOString(),
    due_at: row.due_at.toISOString(),
    state: s.state,
    seconds_left: s.state === 'met' ? null : s.state === 'overdue' ? -Math.ceil(s.msOverdue / 1000) : Math.floor(s.msLeft / 1000),
    met_at: s.state === 'met' ? s.metAt.toISOString() : null,
    met_by: s.state === 'met' ? s.metBy : null,
    met_late: s.state === 'met' ? s.late : null,
  };
}


/** An escalation as the API shows it: what was sent where, and whether it arrived. */
export interface EscalationView {
  readonly id: string;
  readonly clock_id: string;
  readonly clock: string;
  readonly kind: EscalationKind;
  readonly channel: 'mail' | 'webhook';
  readonly target: string;
  readonly created_at: string;
  readonly attempts: number;
  readonly delivered_at: string | null;
  readonly failed_at: string | null;
  readonly last_error: string | null;
  /** Mail only: the mailer's delivery record (`queued`, `sending`, `sent`, `failed`). */
  readonly mail_status: string | null;
}

const SYSTEM: AuditContext = { userId: '', actor: { type: 'system', id: null, display_name: 'incident clocks' }, source: { ip: null, user_agent: null, request_id: null } };

/** A clock's legal or policy source by its stored name. */
const sourceOf = (clock: string): string => (Object.hasOwn(CLOCK_SOURCES, clock) ? CLOCK_SOURCES[clock as ClockName] : clock);

/** The Standard Webhooks body of an escalation. */
export function escalationPayload(e: Pick<IncidentEscalationsTable, 'kind' | 'clock' | 'clock_id' | 'incident_id' | 'created_at'>, incident: { title: string }, dueAt: Date): string {
  return JSON.stringify({
    type: e.kind === 'overdue' ? 'incident.clock_overdue' : 'incident.clock_warning',
    timestamp: e.created_at.toISOString(),
    data: { incident_id: e.incident_id, incident_title: incident.title, clock: e.clock, clock_id: e.clock_id, source: sourceOf(e.clock), due_at: dueAt.toISOString(), state: e.kind },
  });
}

/**
 * Incidents (IR-1) and their clocks (IR-2, IR-3). Platform-level: every statement runs in the
 * platform context and is audited in the platform log in the same transaction. Notices to affected
 * organizations are written in each organization's own context (a tenant table).
 */
export function createIncidents(deps: IncidentsDeps) {
  const { transactor, clock, random, audit, logger } = deps;
  const levels = deps.severities ?? DEFAULT_SEVERITY_LEVELS;
  const rules = severityRules(levels);
  const regimes = deps.regimes ?? ['gdpr', 'nis2', 'dpdp', 'cert_in'];
  const customerBreachHours = deps.customerBreachHours ?? 72;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const record = (tx: Tx, ctx: AuditContext, action: Parameters<AuditRecorder['record']>[2]['action'], id: string, metadata: Readonly<Record<string, string | number | boolean | null>>) =>
    audit.record(tx, PLATFORM_TENANT_ID, { action, actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'incident', id }], metadata });

  const checkSeverity = (severity: string) => {
    if (!rules.has(severity)) throw new AppError('unknown_severity', { detail: `Severity levels: ${levels.map((l) => l.name).join(', ')}.` });
  };
  /** How severe a level is: 0 for the first (most severe) level. */
  const rankOf = (severity: string) => Math.max(0, levels.findIndex((l) => l.name === severity));

  const startClock = async (tx: Tx, incidentId: string, name: ClockName, start: Date, due: Date) => {
    const row: IncidentClocksTable = { id: uuidv7(clock, random), incident_id: incidentId, clock: name, started_at: start, due_at: due, met_at: null, met_by: null, overdue_alerted_at: null, warn_at: warnAt(start, due), warned_at: null };
    await tx.insertInto('incident_clocks').values(row).execute();
    return row;
  };
  /** A policy clock's deadline: elapsed time, or working hours when configured for that clock. */
  const dueFor = (name: ClockName, start: Date, ms: number): Date => {
    const bh = deps.businessHours;
    return bh !== undefined && bh.clocks.includes(name) ? addDuration(start, { businessHours: ms / 3_600_000 }, bh.calendar) : new Date(start.getTime() + ms);
  };
  const meetOpen = (tx: Tx, incidentId: string, names: readonly ClockName[], by: string, at: Date) =>
    tx.updateTable('incident_clocks').set({ met_at: at, met_by: by }).where('incident_id', '=', incidentId).where('clock', 'in', [...names]).where('met_at', 'is', null).execute();
  const addEntry = async (tx: Tx, incidentId: string, kind: EntryKind, body: string, authorId: string | null) => {
    const entry: IncidentEntriesTable = { id: uuidv7(clock, random), incident_id: incidentId, kind, body, author_id: authorId, created_at: clock.now() };
    await tx.insertInto('incident_entries').values(entry).execute();
    return entry;
  };
  const lockIncident = async (tx: Tx, id: string) => {
    const row = await tx.selectFrom('incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (row === undefined) throw new AppError('not_found');
    return row;
  };
  const checkComponents = async (tx: Tx, ids: readonly string[]) => {
    if (ids.length === 0) return;
    const found = await tx.selectFrom('status_components').select('id').where('id', 'in', [...ids]).execute();
    if (found.length !== new Set(ids).size) throw new AppError('unknown_component');
  };
  const userOf = (ctx: AuditContext) => (ctx.userId === '' ? null : ctx.userId);

  /** Claims escalations for `claimed` clocks in the claim's transaction: one outbox row per channel and target. */
  const queueEscalations = async (tx: Tx, kind: EscalationKind, claimed: readonly { id: string; incident_id: string; clock: string }[], now: Date) => {
    const targets: { channel: 'mail' | 'webhook'; target: string }[] = [
      ...(deps.escalation?.emails ?? []).map((target) => ({ channel: 'mail' as const, target })),
      ...(deps.escalation?.webhook === undefined ? [] : [{ channel: 'webhook' as const, target: deps.escalation.webhook.url }]),
    ];
    for (const c of claimed) {
      for (const t of targets) {
        const row: IncidentEscalationsTable = { id: uuidv7(clock, random), incident_id: c.incident_id, clock_id: c.id, clock: c.clock, kind, channel: t.channel, target: t.target, created_at: now, next_attempt_at: now, attempts: 0, mail_id: null, delivered_at: null, failed_at: null, last_error: null };
        await tx.insertInto('incident_escalations').values(row).onConflict((oc) => oc.doNothing()).execute();
      }
      await record(tx, SYSTEM, kind === 'overdue' ? 'incident.clock_overdue' : 'incident.clock_warning', c.incident_id, { clock: c.clock, clockId: c.id, channels: targets.length });
    }
  };

  const escalationViews = async (rows: readonly IncidentEscalationsTable[]): Promise<EscalationView[]> => {
    const mailIds = rows.map((r) => r.mail_id).filter((x): x is string => x !== null);
    const statuses = new Map((mailIds.length === 0 ? [] : await transactor.withPlatform((tx) => mailDeliveryStatuses(tx, mailIds))).map((s) => [s.id, s.status]));
    return rows.map((r) => ({
      id: r.id, clock_id: r.clock_id, clock: r.clock, kind: r.kind, channel: r.channel, target: r.target, created_at: r.created_at.toISOString(), attempts: r.attempts,
      delivered_at: r.delivered_at?.toISOString() ?? null, failed_at: r.failed_at?.toISOString() ?? null, last_error: r.last_error, mail_status: r.mail_id === null ? null : (statuses.get(r.mail_id) ?? 'queued'),
    }));
  };

  const service = {
    severities: levels,

    open: async (ctx: AuditContext, input: { title: string; severity: Severity; detectedAt?: Date | undefined; components?: readonly string[] | undefined; organizations?: readonly string[] | undefined; commanderId?: string | undefined; communicationsId?: string | undefined }) => {
      checkSeverity(input.severity);
      const now = clock.now();
      const detectedAt = input.detectedAt !== undefined && input.detectedAt < now ? input.detectedAt : now;
      const incident: IncidentsTable = {
        id: uuidv7(clock, random), title: input.title, severity: input.severity, phase: 'detect', detected_at: detectedAt, personal_data_breach: false, aware_at: null, resolved_at: null,
        affected_components: [...new Set(input.components ?? [])], affected_organizations: [...new Set(input.organizations ?? [])], created_by: userOf(ctx),
        commander_id: input.commanderId ?? null, communications_id: input.communicationsId ?? null, created_at: now, updated_at: now,
      };
      await inPlatform(async (tx) => {
        await checkComponents(tx, incident.affected_components);
        await tx.insertInto('incidents').values(incident).execute();
        const rule = rules.get(input.severity);
        // IR-2: the first customer notice is due a fixed time after detection.
        if (rule !== undefined) await startClock(tx, incident.id, 'first_notice', detectedAt, dueFor('first_notice', detectedAt, rule.firstNoticeMs));
        await record(tx, ctx, 'incident.opened', incident.id, { severity: input.severity, commander: incident.commander_id, communications: incident.communications_id });
        await deps.publish?.(tx, { event: 'incident.opened', title: incident.title, body: `New incident, severity ${incident.severity}. We are investigating.`, components: incident.affected_components, sourceId: incident.id }, ctx);
      });
      return incident;
    },

    change: async (ctx: AuditContext, id: string, input: { title?: string | undefined; severity?: Severity | undefined; phase?: Phase | undefined; resolved?: boolean | undefined; components?: readonly string[] | undefined; commanderId?: string | null | undefined; communicationsId?: string | null | undefined }) => {
      if (input.severity !== undefined) checkSeverity(input.severity);
      await inPlatform(async (tx) => {
        const before = await lockIncident(tx, id);
        if (before.resolved_at !== null) throw new AppError('incident_resolved');
        const now = clock.now();
        const changes: string[] = [];
        const set: Partial<IncidentsTable> = { updated_at: now };
        // Taking or handing over a role is open to every responder, and recorded.
        if (input.commanderId !== undefined && input.commanderId !== before.commander_id) { set.commander_id = input.commanderId; changes.push(`commander ${before.commander_id ?? 'none'} → ${input.commanderId ?? 'none'}`); }
        if (input.communicationsId !== undefined && input.communicationsId !== before.communications_id) { set.communications_id = input.communicationsId; changes.push(`communications ${before.communications_id ?? 'none'} → ${input.communicationsId ?? 'none'}`); }
        const decisions = (input.title !== undefined && input.title !== before.title) || (input.severity !== undefined && input.severity !== before.severity) || (input.phase !== undefined && input.phase !== before.phase) || input.components !== undefined || input.resolved === true;
        if (decisions) requireCommander({ ...before, commander_id: set.commander_id !== undefined ? set.commander_id : before.commander_id }, ctx);
        if (input.title !== undefined && input.title !== before.title) { set.title = input.title; changes.push('title'); }
        if (input.severity !== undefined && input.severity !== before.severity) { set.severity = input.severity; changes.push(`severity ${before.severity} → ${input.severity}`); }
        if (input.phase !== undefined && input.phase !== before.phase) { set.phase = input.phase; changes.push(`phase ${before.phase} → ${input.phase}`); }
        if (input.components !== undefined) {
          const components = [...new Set(input.components)];
          await checkComponents(tx, components);
          set.affected_components = components;
          changes.push('affected components');
        }
        if (input.resolved === true) { set.resolved_at = now; changes.push('resolved'); }
        if (changes.length === 0) return;
        await tx.updateTable('incidents').set(set).where('id', '=', id).execute();
        await addEntry(tx, id, 'change', changes.join('; '), userOf(ctx));
        if (set.resolved_at !== undefined) {
          // Nothing more is owed to customers once resolved; the post-incident report is now due.
          await meetOpen(tx, id, ['first_notice', 'update', 'status_page_update'], 'resolved', now);
          await startClock(tx, id, 'post_incident_report', now, dueAfter(now, POST_INCIDENT_REPORT));
        }
        const visible = set.title !== undefined || set.severity !== undefined || set.phase !== undefined || set.affected_components !== undefined;
        if (visible && set.resolved_at === undefined) {
          // IR-4: a customer-visible change is explained on the status page within 15 minutes; one clock at a time.
          const running = await tx.selectFrom('incident_clocks').select('id').where('incident_id', '=', id).where('clock', '=', 'status_page_update').where('met_at', 'is', null).executeTakeFirst();
          if (running === undefined) await startClock(tx, id, 'status_page_update', now, dueFor('status_page_update', now, STATUS_PAGE_UPDATE_MS));
        }
        await record(tx, ctx, 'incident.changed', id, { changes: changes.join('; ') });
        if (set.resolved_at !== undefined) await deps.publish?.(tx, { event: 'incident.resolved', title: `Resolved: ${set.title ?? before.title}`, body: 'This incident is resolved.', components: set.affected_components ?? before.affected_components, sourceId: id }, ctx);
      });
    },

    addEntry: async (ctx: AuditContext, id: string, input: { kind: 'note' | 'public_update'; body: string }) => {
      const entry = await inPlatform(async (tx) => {
        const incident = await lockIncident(tx, id);
        if (incident.resolved_at !== null && input.kind === 'public_update') throw new AppError('incident_resolved');
        if (input.kind === 'public_update') requireCommunications(incident, ctx);
        const entry = await addEntry(tx, id, input.kind, input.body, userOf(ctx));
        if (input.kind === 'public_update' && incident.resolved_at === null) {
          // IR-2: a public update meets the open notice clock and starts the next one.
          await meetOpen(tx, id, ['first_notice', 'update', 'status_page_update'], `update:${entry.id}`, entry.created_at);
          const rule = rules.get(incident.severity);
          if (rule !== undefined) await startClock(tx, id, 'update', entry.created_at, dueFor('update', entry.created_at, rule.updateEveryMs));
        }
        await record(tx, ctx, 'incident.entry_added', id, { kind: input.kind, entryId: entry.id });
        if (input.kind === 'public_update') await deps.publish?.(tx, { event: 'incident.updated', title: `Update: ${incident.title}`, body: input.body, components: incident.affected_components, sourceId: id }, ctx);
        return entry;
      });
      return entry;
    },

    markBreach: async (ctx: AuditContext, id: string, awareAt: Date | undefined) => {
      await inPlatform(async (tx) => {
        const incident = await lockIncident(tx, id);
        if (incident.personal_data_breach) return;
        requireCommander(incident, ctx);
        const now = clock.now();
        // IR-3: regulatory clocks run from awareness, which cannot be in the future.
        const aware = awareAt !== undefined && awareAt < now ? awareAt : now;
        await tx.updateTable('incidents').set({ personal_data_breach: true, aware_at: aware, updated_at: now }).where('id', '=', id).execute();
        for (const regime of regimes) for (const rule of BREACH_CLOCKS[regime]) await startClock(tx, id, rule.clock, aware, dueAfter(aware, rule.duration));
        // IR-3: the affected customers are owed a notice within the configured window.
        await startClock(tx, id, 'customer_breach_notice', aware, dueAfter(aware, { hours: customerBreachHours }));
        await addEntry(tx, id, 'change', `marked a personal-data breach (aware at ${aware.toISOString()})`, userOf(ctx));
        await record(tx, ctx, 'incident.breach_marked', id, { awareAt: aware.toISOString(), regimes: regimes.join(',') });
      });
    },

    meetClock: async (ctx: AuditContext, id: string, clockId: string, by: string) => {
      await inPlatform(async (tx) => {
        const incident = await lockIncident(tx, id);
        requireCommander(incident, ctx);
        const row = await tx.selectFrom('incident_clocks').selectAll().where('incident_id', '=', id).where('id', '=', clockId).forUpdate().executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        if (row.met_at !== null) throw new AppError('clock_already_met');
        await tx.updateTable('incident_clocks').set({ met_at: clock.now(), met_by: by }).where('id', '=', clockId).execute();
        await record(tx, ctx, 'incident.clock_met', id, { clock: row.clock, clockId });
      });
    },

    /**
     * Sends a notice from a template to the administrators (Tenant Admin over the whole
     * organization) of every affected organization (IR-3). Each organization's notice is a row in
     * its own tenant (what it was told, with the mail ids whose delivery the mailer records); the
     * `breach` template meets the customer_breach_notice clock. Only the communications lead or the
     * commander, once either is set.
     */
    notify: async (ctx: AuditContext, id: string, input: { template: NoticeTemplate; message?: string | undefined }) => {
      const mail = deps.mail;
      const admins = deps.organizationAdmins;
      if (mail === undefined || admins === undefined) throw new Error('notices need the mailer and the members module');
      const incident = await inPlatform(async (tx) => {
        const row = await lockIncident(tx, id);
        requireCommunications(row, ctx);
        return row;
      });
      if (incident.affected_organizations.length === 0) throw new AppError('no_affected_organizations');
      if (input.template === 'breach' && !incident.personal_data_breach) throw new AppError('not_a_breach');
      const now = clock.now();
      const sent: { organization: string; notice: string; recipients: number }[] = [];
      const custom = await inPlatform((tx) => loadNoticeTemplates(tx));
      for (const org of incident.affected_organizations) {
        const rendered = renderNotice(input.template, { organizationId: org, title: incident.title, severity: incident.severity, detectedAt: incident.detected_at, awareAt: incident.aware_at, resolvedAt: incident.resolved_at, message: input.message }, custom.get(input.template));
        const prepared = (await admins(org)).map((to) => mail.prepare(to, { kind: 'incident_notice', organization: org, subject: rendered.subject, paragraphs: rendered.paragraphs }));
        const notice: IncidentNoticesTable = { tenant_id: org, id: uuidv7(clock, random), incident_id: id, template: input.template, subject: rendered.subject, body: rendered.paragraphs.join('\n\n'), mail_ids: prepared.map((p) => p.id), sent_at: now };
        try {
          await transactor.withTenant(org, (tx) => tx.insertInto('incident_notices').values(notice).execute());
        } catch (error) {
          // An organization deleted since it was listed: nobody is left to tell.
          logger.warn({ incidentId: id, organization: org, err: error }, 'could not record an incident notice');
          continue;
        }
        for (const p of prepared) mail.send(p);
        sent.push({ organization: org, notice: notice.id, recipients: prepared.length });
      }
      await inPlatform(async (tx) => {
        await lockIncident(tx, id);
        const recipients = sent.reduce((n, s) => n + s.recipients, 0);
        await addEntry(tx, id, 'change', `notice "${input.template}" sent to ${sent.length} organization(s), ${recipients} administrator(s)`, userOf(ctx));
        if (input.template === 'breach' && sent.length > 0) await meetOpen(tx, id, ['customer_breach_notice'], `notice:${sent.map((s) => s.notice).join(',')}`.slice(0, 200), now);
        await record(tx, ctx, 'incident.notice_sent', id, { template: input.template, organizations: sent.length, recipients });
      });
      return sent;
    },

    /** The notices an organization was sent, newest first, with each message's delivery (its administrators' view). */
    noticesFor: async (tenantId: string) => {
      const rows = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('incident_notices').selectAll().where('tenant_id', '=', tenantId).orderBy('sent_at', 'desc').orderBy('id', 'desc').limit(200).execute());
      const ids = rows.flatMap((r) => r.mail_ids);
      const statuses = new Map((ids.length === 0 ? [] : await transactor.withPlatform((tx) => mailDeliveryStatuses(tx, ids))).map((s) => [s.id, s.status]));
      return rows.map((r) => ({ ...r, deliveries: r.mail_ids.map((m) => statuses.get(m) ?? 'queued') }));
    },

    list: (filter: { open?: boolean | undefined }) =>
      inPlatform((tx) => {
        let q = tx.selectFrom('incidents').selectAll().orderBy('detected_at', 'desc').orderBy('id', 'desc').limit(200);
        if (filter.open === true) q = q.where('resolved_at', 'is', null);
        return q.execute();
      }),

    get: async (id: string) => {
      const found = await inPlatform(async (tx) => {
        const incident = await tx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
        if (incident === undefined) throw new AppError('not_found');
        const entries = await tx.selectFrom('incident_entries').selectAll().where('incident_id', '=', id).orderBy('created_at').orderBy('id').execute();
        const clocks = await tx.selectFrom('incident_clocks').selectAll().where('incident_id', '=', id).orderBy('started_at').orderBy('id').execute();
        const escalations = await tx.selectFrom('incident_escalations').selectAll().where('incident_id', '=', id).orderBy('created_at').orderBy('id').execute();
        return { incident, entries, clocks: clocks.map((c) => clockView(c, clock.now())), escalations };
      });
      return { ...found, escalations: await escalationViews(found.escalations) };
    },

    /** Every unmet clock with its state now (for `/metrics`). */
    openClocks: () =>
      inPlatform(async (tx) => {
        const rows = await tx.selectFrom('incident_clocks').selectAll().where('met_at', 'is', null).orderBy('due_at').limit(1000).execute();
        return rows.map((c) => ({ incident_id: c.incident_id, ...clockView(c, clock.now()) }));
      }),

    /**
     * Claims every clock that started to warn and every clock past due, once each (IR-2, IR-3): a
     * conditional update lets exactly one node claim each, and in the same transaction queues one
     * escalation per configured mail address and webhook and audits it. An overdue clock also
     * raises a security alert for the configured organization. Returns how many clocks it claimed.
     */
    escalateOverdue: async (): Promise<number> => {
      const now = clock.now();
      const cols = ['id', 'incident_id', 'clock', 'due_at'] as const;
      const { warned, overdue } = await inPlatform(async (tx) => {
        const overdue = await tx.updateTable('incident_clocks').set({ overdue_alerted_at: now, warned_at: sql<Date>`coalesce(warned_at, ${now})` }).where('met_at', 'is', null).where('overdue_alerted_at', 'is', null).where('due_at', '<', now).returning([...cols]).execute();
        const warned = await tx.updateTable('incident_clocks').set({ warned_at: now }).where('met_at', 'is', null).where('warned_at', 'is', null).where('warn_at', '<=', now).where('due_at', '>=', now).returning([...cols]).execute();
        await queueEscalations(tx, 'warning', warned, now);
        await queueEscalations(tx, 'overdue', overdue, now);
        return { warned, overdue };
      });
      for (const c of warned) logger.warn({ incidentId: c.incident_id, clock: c.clock, clockId: c.id, dueAt: c.due_at.toISOString() }, 'incident clock due soon');
      for (const c of overdue) {
        logger.warn({ incidentId: c.incident_id, clock: c.clock, clockId: c.id }, 'incident clock overdue');
        if (deps.alertOrganization !== undefined) {
          const org = deps.alertOrganization;
          await transactor.withTenant(org, (tx) =>
            deps.alerts.raise(tx, org, SYSTEM, { kind: 'incident_clock_overdue', severity: c.clock === 'update' || c.clock === 'first_notice' ? 'high' : 'critical', summary: `Incident clock ${c.clock} is overdue.`, actorId: null, subject: { type: 'incident', id: c.incident_id } }),
          );
        }
      }
      return warned.length + overdue.length;
    },

    /**
     * Sends the queued escalations: mail through the mailer (its delivery is the mailer's record,
     * linked by `mail_id`), the webhook signed per Standard Webhooks (`webhook-id` is the row's id
     * on every retry) through the address guard, retried with capped backoff. Returns how many it tried.
     */
    deliverEscalations: async (): Promise<number> => {
      const now = clock.now();
      const due = await inPlatform((tx) =>
        tx.selectFrom('incident_escalations').innerJoin('incidents', 'incidents.id', 'incident_escalations.incident_id').innerJoin('incident_clocks', 'incident_clocks.id', 'incident_escalations.clock_id')
          .selectAll('incident_escalations').select(['incidents.title', 'incident_clocks.due_at'])
          .where('incident_escalations.delivered_at', 'is', null).where('incident_escalations.failed_at', 'is', null).where('incident_escalations.next_attempt_at', '<=', now)
          .orderBy('incident_escalations.next_attempt_at').limit(50).execute(),
      );
      for (const e of due) {
        // Claimed per row with a conditional update on `attempts`, so two nodes never send one twice.
        const claimed = await inPlatform((tx) => tx.updateTable('incident_escalations').set({ attempts: e.attempts + 1, next_attempt_at: new Date(now.getTime() + retryDelayMs(e.attempts + 1, random, ESCALATION_RETRY)) }).where('id', '=', e.id).where('attempts', '=', e.attempts).where('delivered_at', 'is', null).returning('id').executeTakeFirst());
        if (claimed === undefined) continue;
        try {
          if (e.channel === 'mail') {
            if (deps.mail === undefined) throw new DeliveryError('invalid_destination', 'no mailer');
            const prepared = deps.mail.prepare(e.target, { kind: 'incident_escalation', incident: e.title, incidentId: e.incident_id, clock: e.clock, source: sourceOf(e.clock), state: e.kind, dueAt: e.due_at });
            deps.mail.send(prepared);
            await inPlatform((tx) => tx.updateTable('incident_escalations').set({ delivered_at: clock.now(), mail_id: prepared.id, last_error: null }).where('id', '=', e.id).execute());
          } else {
            const hook = deps.escalation?.webhook;
            if (hook === undefined || hook.url !== e.target) throw new DeliveryError('invalid_destination', 'the webhook is no longer configured');
            const body = escalationPayload(e, { title: e.title }, e.due_at);
            await postWebhook({ url: hook.url, caPem: hook.caPem }, body, signWebhook(hook.secret, e.id, clock.now(), body), { guard: hook.guard, timeoutMs: hook.timeoutMs ?? 10_000 });
            await inPlatform((tx) => tx.updateTable('incident_escalations').set({ delivered_at: clock.now(), last_error: null }).where('id', '=', e.id).execute());
          }
        } catch (error) {
          const code = error instanceof DeliveryError ? error.code : 'unreachable';
          logger.warn({ escalation: e.id, code, attempts: e.attempts + 1 }, 'incident escalation failed');
          await inPlatform((tx) => tx.updateTable('incident_escalations').set({ last_error: code, ...(e.attempts + 1 >= ESCALATION_MAX_ATTEMPTS ? { failed_at: clock.now() } : {}) }).where('id', '=', e.id).execute());
        }
      }
      return due.length;
    },

    components: () => inPlatform((tx) => tx.selectFrom('status_components').selectAll().orderBy('group_name').orderBy('position').orderBy('name').execute()),

    putComponent: async (ctx: AuditContext, input: { id?: string | undefined; name: string; description: string; status: ComponentStatus; position: number; group?: string | undefined }) => {
      const now = clock.now();
      const id = await inPlatform(async (tx) => {
        let row: StatusComponentsTable | undefined;
        let changed = true;
        if (input.id === undefined) {
          row = { id: uuidv7(clock, random), name: input.name, description: input.description, status: input.status, position: input.position, group_name: input.group ?? '', set_by: 'operator', created_at: now, updated_at: now };
          const inserted = await tx.insertInto('status_components').values(row).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
          if (inserted === undefined) throw new AppError('conflict', { detail: 'A component with this name exists.' });
        } else {
          const before = await tx.selectFrom('status_components').select('status').where('id', '=', input.id).forUpdate().executeTakeFirst();
          if (before === undefined) throw new AppError('not_found');
          changed = before.status !== input.status;
          const updated = await tx.updateTable('status_components').set({ name: input.name, description: input.description, status: input.status, position: input.position, group_name: input.group ?? '', set_by: 'operator', updated_at: now }).where('id', '=', input.id).returning('id').executeTakeFirst();
          if (updated === undefined) throw new AppError('not_found');
        }
        const componentId = row?.id ?? input.id ?? '';
        // IR-4: every status a component takes is kept for its 90-day history.
        if (changed) await tx.insertInto('status_component_changes').values({ id: uuidv7(clock, random), component_id: componentId, status: input.status, changed_at: now }).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'status.component_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'status_component', id: componentId }], metadata: { status: input.status, change: input.id === undefined ? 'created' : 'updated' } });
        return componentId;
      });
      return id;
    },

    /** Schedules a maintenance window (IR-4): shown on /status ahead and while it runs, announced to subscribers. */
    scheduleMaintenance: async (ctx: AuditContext, input: { title: string; body: string; components: readonly string[]; startsAt: Date; endsAt: Date }) => {
      if (input.endsAt <= input.startsAt) throw new AppError('invalid_maintenance_window', { detail: 'The window must end after it starts.' });
      if (input.endsAt <= clock.now()) throw new AppError('invalid_maintenance_window', { detail: 'The window must end in the future.' });
      const row: StatusMaintenancesTable = { id: uuidv7(clock, random), title: input.title, body: input.body, components: [...new Set(input.components)], starts_at: input.startsAt, ends_at: input.endsAt, cancelled_at: null, created_at: clock.now() };
      await inPlatform(async (tx) => {
        await checkComponents(tx, row.components);
        await tx.insertInto('status_maintenances').values(row).execute();
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'status.maintenance_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'status_maintenance', id: row.id }], metadata: { change: 'scheduled', startsAt: row.starts_at.toISOString(), endsAt: row.ends_at.toISOString() } });
        await deps.publish?.(tx, { event: 'maintenance.scheduled', title: `Scheduled maintenance: ${row.title}`, body: `${row.starts_at.toISOString()} to ${row.ends_at.toISOString()}.${row.body === '' ? '' : ` ${row.body}`}`, components: row.components, sourceId: row.id }, ctx);
      });
      return row;
    },

    cancelMaintenance: async (ctx: AuditContext, id: string) => {
      await inPlatform(async (tx) => {
        const row = await tx.updateTable('status_maintenances').set({ cancelled_at: clock.now() }).where('id', '=', id).where('cancelled_at', 'is', null).returningAll().executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'status.maintenance_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'status_maintenance', id }], metadata: { change: 'cancelled' } });
        await deps.publish?.(tx, { event: 'maintenance.cancelled', title: `Maintenance cancelled: ${row.title}`, body: 'This maintenance will not take place.', components: row.components, sourceId: id }, ctx);
      });
    },

    maintenances: () => inPlatform((tx) => tx.selectFrom('status_maintenances').selectAll().orderBy('starts_at', 'desc').limit(200).execute()),

    /**
     * What the public status page shows: components (in groups, with their 90-day history),
     * maintenance that is scheduled or running, and open incidents with their public updates only.
     */
    publicView: () =>
      inPlatform(async (tx) => {
        const now = clock.now();
        const since = new Date(now.getTime() - 90 * 86_400_000);
        const rows = await tx.selectFrom('status_components').select(['id', 'name', 'description', 'status', 'group_name', 'created_at']).orderBy('group_name').orderBy('position').orderBy('name').execute();
        const maintenance = await tx.selectFrom('status_maintenances').select(['id', 'title', 'body', 'components', 'starts_at', 'ends_at']).where('cancelled_at', 'is', null).where('ends_at', '>', now).orderBy('starts_at').limit(50).execute();
        const ids = rows.map((c) => c.id);
        // Each component's changes in the window, and the one before it (the status the window opened with).
        const recent = ids.length === 0 ? [] : await tx.selectFrom('status_component_changes').select(['component_id', 'status', 'changed_at']).where('component_id', 'in', ids).where('changed_at', '>=', since).orderBy('changed_at').execute();
        const earlier = ids.length === 0 ? [] : await tx.selectFrom('status_component_changes').select(['component_id', 'status', 'changed_at']).distinctOn('component_id').where('component_id', 'in', ids).where('changed_at', '<', since).orderBy('component_id').orderBy('changed_at', 'desc').execute();
        const changes = [...earlier, ...recent];
        const running = maintenance.filter((m) => m.starts_at <= now);
        const components = rows.map((c) => {
          const underMaintenance = c.status === 'operational' && running.some((m) => m.components.length === 0 || m.components.includes(c.id));
          const history: DayStatus[] = componentHistory(changes.filter((x) => x.component_id === c.id), c.created_at, now, 90);
          return { id: c.id, name: c.name, description: c.description, group: c.group_name, status: underMaintenance ? ('maintenance' as const) : c.status, history };
        });
        const open = await tx.selectFrom('incidents').select(['id', 'title', 'severity', 'phase', 'detected_at', 'affected_components']).where('resolved_at', 'is', null).orderBy('detected_at', 'desc').limit(50).execute();
        const updates = open.length === 0 ? [] : await tx.selectFrom('incident_entries').select(['incident_id', 'body', 'created_at']).where('kind', '=', 'public_update').where('incident_id', 'in', open.map((i) => i.id)).orderBy('created_at', 'desc').execute();
        return { components, maintenance, incidents: open.map((i) => ({ ...i, updates: updates.filter((u) => u.incident_id === i.id) })) };
      }),

    rankOf,
  };
  return service;
}

export type Incidents = ReturnType<typeof createIncidents>;
