import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import type { SecurityAlerts } from '../alerts/index.ts';
import { BREACH_CLOCKS, CLOCK_SOURCES, dueAfter, NOTICE_RULES, POST_INCIDENT_REPORT, stateOf } from './clock-rules.ts';
import type { ClockName, ComponentStatus, EntryKind, IncidentClocksTable, IncidentEntriesTable, IncidentsTable, Phase, Severity, StatusComponentsTable } from './incidents-tables.ts';

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
}

/** What the status page's subscribers are told: a new incident, a public update, a resolution. */
export interface StatusNotice {
  readonly event: 'incident.opened' | 'incident.updated' | 'incident.resolved';
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

/**
 * Incidents (IR-1) and their clocks (IR-2, IR-3). Platform-level: every statement runs in the
 * platform context and is audited in the platform log in the same transaction.
 */
export function createIncidents(deps: IncidentsDeps) {
  const { transactor, clock, random, audit, logger } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const record = (tx: Tx, ctx: AuditContext, action: Parameters<AuditRecorder['record']>[2]['action'], id: string, metadata: Readonly<Record<string, string | number | boolean | null>>) =>
    audit.record(tx, PLATFORM_TENANT_ID, { action, actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'incident', id }], metadata });

  const startClock = async (tx: Tx, incidentId: string, name: ClockName, start: Date, due: Date) => {
    const row: IncidentClocksTable = { id: uuidv7(clock, random), incident_id: incidentId, clock: name, started_at: start, due_at: due, met_at: null, met_by: null, overdue_alerted_at: null };
    await tx.insertInto('incident_clocks').values(row).execute();
    return row;
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

  return {
    open: async (ctx: AuditContext, input: { title: string; severity: Severity; detectedAt?: Date | undefined; components?: readonly string[] | undefined; organizations?: readonly string[] | undefined }) => {
      const now = clock.now();
      const detectedAt = input.detectedAt !== undefined && input.detectedAt < now ? input.detectedAt : now;
      const incident: IncidentsTable = {
        id: uuidv7(clock, random), title: input.title, severity: input.severity, phase: 'detect', detected_at: detectedAt, personal_data_breach: false, aware_at: null, resolved_at: null,
        affected_components: [...new Set(input.components ?? [])], affected_organizations: [...new Set(input.organizations ?? [])], created_by: userOf(ctx), created_at: now, updated_at: now,
      };
      await inPlatform(async (tx) => {
        await checkComponents(tx, incident.affected_components);
        await tx.insertInto('incidents').values(incident).execute();
        const rule = NOTICE_RULES[input.severity];
        // IR-2: the first customer notice is due a fixed time after detection.
        if (rule !== undefined) await startClock(tx, incident.id, 'first_notice', detectedAt, dueAfter(detectedAt, { hours: rule.firstNoticeHours }));
        await record(tx, ctx, 'incident.opened', incident.id, { severity: input.severity });
        await deps.publish?.(tx, { event: 'incident.opened', title: incident.title, body: `New incident, severity ${incident.severity}. We are investigating.`, components: incident.affected_components, sourceId: incident.id }, ctx);
      });
      return incident;
    },

    change: async (ctx: AuditContext, id: string, input: { title?: string | undefined; severity?: Severity | undefined; phase?: Phase | undefined; resolved?: boolean | undefined; components?: readonly string[] | undefined }) => {
      await inPlatform(async (tx) => {
        const before = await lockIncident(tx, id);
        if (before.resolved_at !== null) throw new AppError('incident_resolved');
        const now = clock.now();
        const changes: string[] = [];
        const set: Partial<IncidentsTable> = { updated_at: now };
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
          await meetOpen(tx, id, ['first_notice', 'update'], 'resolved', now);
          await startClock(tx, id, 'post_incident_report', now, dueAfter(now, POST_INCIDENT_REPORT));
        }
        await record(tx, ctx, 'incident.changed', id, { changes: changes.join('; ') });
        if (set.resolved_at !== undefined) await deps.publish?.(tx, { event: 'incident.resolved', title: `Resolved: ${set.title ?? before.title}`, body: 'This incident is resolved.', components: set.affected_components ?? before.affected_components, sourceId: id }, ctx);
      });
    },

    addEntry: async (ctx: AuditContext, id: string, input: { kind: 'note' | 'public_update'; body: string }) => {
      const entry = await inPlatform(async (tx) => {
        const incident = await lockIncident(tx, id);
        if (incident.resolved_at !== null && input.kind === 'public_update') throw new AppError('incident_resolved');
        const entry = await addEntry(tx, id, input.kind, input.body, userOf(ctx));
        if (input.kind === 'public_update' && incident.resolved_at === null) {
          // IR-2: a public update meets the open notice clock and starts the next one.
          await meetOpen(tx, id, ['first_notice', 'update'], `update:${entry.id}`, entry.created_at);
          const rule = NOTICE_RULES[incident.severity];
          if (rule !== undefined) await startClock(tx, id, 'update', entry.created_at, dueAfter(entry.created_at, { hours: rule.updateEveryHours }));
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
        const now = clock.now();
        // IR-3: regulatory clocks run from awareness, which cannot be in the future.
        const aware = awareAt !== undefined && awareAt < now ? awareAt : now;
        await tx.updateTable('incidents').set({ personal_data_breach: true, aware_at: aware, updated_at: now }).where('id', '=', id).execute();
        for (const rule of BREACH_CLOCKS) await startClock(tx, id, rule.clock, aware, dueAfter(aware, rule.duration));
        await addEntry(tx, id, 'change', `marked a personal-data breach (aware at ${aware.toISOString()})`, userOf(ctx));
        await record(tx, ctx, 'incident.breach_marked', id, { awareAt: aware.toISOString() });
      });
    },

    meetClock: async (ctx: AuditContext, id: string, clockId: string, by: string) => {
      await inPlatform(async (tx) => {
        await lockIncident(tx, id);
        const row = await tx.selectFrom('incident_clocks').selectAll().where('incident_id', '=', id).where('id', '=', clockId).forUpdate().executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        if (row.met_at !== null) throw new AppError('clock_already_met');
        await tx.updateTable('incident_clocks').set({ met_at: clock.now(), met_by: by }).where('id', '=', clockId).execute();
        await record(tx, ctx, 'incident.clock_met', id, { clock: row.clock, clockId });
      });
    },

    list: (filter: { open?: boolean | undefined }) =>
      inPlatform((tx) => {
        let q = tx.selectFrom('incidents').selectAll().orderBy('detected_at', 'desc').orderBy('id', 'desc').limit(200);
        if (filter.open === true) q = q.where('resolved_at', 'is', null);
        return q.execute();
      }),

    get: (id: string) =>
      inPlatform(async (tx) => {
        const incident = await tx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
        if (incident === undefined) throw new AppError('not_found');
        const entries = await tx.selectFrom('incident_entries').selectAll().where('incident_id', '=', id).orderBy('created_at').orderBy('id').execute();
        const clocks = await tx.selectFrom('incident_clocks').selectAll().where('incident_id', '=', id).orderBy('started_at').orderBy('id').execute();
        return { incident, entries, clocks: clocks.map((c) => clockView(c, clock.now())) };
      }),

    /**
     * Escalates every clock that is past due and unmet, once each (IR-2, IR-3): claims the row with
     * `overdue_alerted_at`, audits, and raises a security alert for the configured organization.
     * Safe to run on several nodes: the conditional update lets exactly one claim each clock.
     */
    escalateOverdue: async (): Promise<number> => {
      const now = clock.now();
      const claimed = await inPlatform((tx) =>
        tx.updateTable('incident_clocks').set({ overdue_alerted_at: now }).where('met_at', 'is', null).where('overdue_alerted_at', 'is', null).where('due_at', '<', now).returning(['id', 'incident_id', 'clock', 'due_at']).execute(),
      );
      for (const c of claimed) {
        const system: AuditContext = { userId: '', actor: { type: 'system', id: null, display_name: 'incident clocks' }, source: { ip: null, user_agent: null, request_id: null } };
        await inPlatform((tx) => record(tx, system, 'incident.clock_overdue', c.incident_id, { clock: c.clock, clockId: c.id, dueAt: c.due_at.toISOString() }));
        logger.warn({ incidentId: c.incident_id, clock: c.clock, clockId: c.id }, 'incident clock overdue');
        if (deps.alertOrganization !== undefined) {
          const org = deps.alertOrganization;
          await transactor.withTenant(org, (tx) =>
            deps.alerts.raise(tx, org, system, { kind: 'incident_clock_overdue', severity: c.clock === 'update' || c.clock === 'first_notice' ? 'high' : 'critical', summary: `Incident clock ${c.clock} is overdue.`, actorId: null, subject: { type: 'incident', id: c.incident_id } }),
          );
        }
      }
      return claimed.length;
    },

    components: () => inPlatform((tx) => tx.selectFrom('status_components').selectAll().orderBy('position').orderBy('name').execute()),

    putComponent: async (ctx: AuditContext, input: { id?: string | undefined; name: string; description: string; status: ComponentStatus; position: number }) => {
      const now = clock.now();
      const id = await inPlatform(async (tx) => {
        let row: StatusComponentsTable | undefined;
        if (input.id === undefined) {
          row = { id: uuidv7(clock, random), name: input.name, description: input.description, status: input.status, position: input.position, created_at: now, updated_at: now };
          const inserted = await tx.insertInto('status_components').values(row).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
          if (inserted === undefined) throw new AppError('conflict', { detail: 'A component with this name exists.' });
        } else {
          const updated = await tx.updateTable('status_components').set({ name: input.name, description: input.description, status: input.status, position: input.position, updated_at: now }).where('id', '=', input.id).returning('id').executeTakeFirst();
          if (updated === undefined) throw new AppError('not_found');
        }
        const componentId = row?.id ?? input.id ?? '';
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'status.component_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'status_component', id: componentId }], metadata: { status: input.status, change: input.id === undefined ? 'created' : 'updated' } });
        return componentId;
      });
      return id;
    },

    /** What the public status page shows: components, and open incidents with their public updates only. */
    publicView: () =>
      inPlatform(async (tx) => {
        const components = await tx.selectFrom('status_components').select(['id', 'name', 'description', 'status']).orderBy('position').orderBy('name').execute();
        const open = await tx.selectFrom('incidents').select(['id', 'title', 'severity', 'phase', 'detected_at', 'affected_components']).where('resolved_at', 'is', null).orderBy('detected_at', 'desc').limit(50).execute();
        const updates = open.length === 0 ? [] : await tx.selectFrom('incident_entries').select(['incident_id', 'body', 'created_at']).where('kind', '=', 'public_update').where('incident_id', 'in', open.map((i) => i.id)).orderBy('created_at', 'desc').execute();
        return { components, incidents: open.map((i) => ({ ...i, updates: updates.filter((u) => u.incident_id === i.id) })) };
      }),
  };
}

export type Incidents = ReturnType<typeof createIncidents>;
