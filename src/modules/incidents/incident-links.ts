import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { decodeEvent, PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder, type AuditService } from '../audit/index.ts';
import type { SecurityAlerts } from '../alerts/index.ts';
import type { Incidents } from './incidents-service.ts';
import type { IncidentLinksTable } from './incidents-tables.ts';

export type LinkKind = IncidentLinksTable['kind'];

/**
 * Links between incidents and what the organizations' logs recorded (IR-1, IR-5): a security alert
 * or an audit event is looked up in the organization named with it, in that organization's own
 * context (row-level security), before the link is written — an id from another organization is
 * `404 not_found`, and nothing is stored. The timeline shows each link as a change entry with the
 * alert's kind and severity or the event's action (never the alert's text or the event's
 * metadata). Incidents are platform administrators' only, so organizations never see each other's.
 */
export function createIncidentLinks(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: Pick<AuditRecorder, 'record'>;
  incidents: Pick<Incidents, 'open' | 'severities'>;
  alerts: Pick<SecurityAlerts, 'get'>;
  events: Pick<AuditService, 'get'>;
}) {
  const { transactor, clock, random, audit } = deps;

  /** The item in `organizationId`'s own context, or `not_found` (also for an organization id that is not one). */
  async function find(kind: LinkKind, organizationId: string, refId: string): Promise<{ label: string; occurredAt: Date; severity?: string }> {
    if (kind === 'alert') {
      const alert = await deps.alerts.get(organizationId, refId).catch(() => undefined);
      if (alert === undefined) throw new AppError('not_found');
      return { label: `alert ${alert.kind} (${alert.severity})`, occurredAt: alert.created_at, severity: alert.severity };
    }
    const row = await deps.events.get(organizationId, refId).catch(() => undefined);
    if (row === undefined) throw new AppError('not_found');
    const event = decodeEvent(row);
    return { label: `audit event ${event.action} (${event.outcome})`, occurredAt: new Date(event.occurred_at) };
  }

  async function link(ctx: AuditContext, incidentId: string, kind: LinkKind, organizationId: string, refId: string) {
    const found = await find(kind, organizationId, refId);
    const now = clock.now();
    const row: IncidentLinksTable = { id: uuidv7(clock, random), incident_id: incidentId, kind, organization_id: organizationId, ref_id: refId, label: found.label, occurred_at: found.occurredAt, linked_by: ctx.userId === '' ? null : ctx.userId, linked_at: now };
    return transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
      const incident = await tx.selectFrom('incidents').select('id').where('id', '=', incidentId).forUpdate().executeTakeFirst();
      if (incident === undefined) throw new AppError('not_found');
      const inserted = await tx.insertInto('incident_links').values(row).onConflict((oc) => oc.columns(['incident_id', 'kind', 'organization_id', 'ref_id']).doNothing()).returningAll().executeTakeFirst();
      if (inserted === undefined) {
        return (await tx.selectFrom('incident_links').selectAll().where('incident_id', '=', incidentId).where('kind', '=', kind).where('organization_id', '=', organizationId).where('ref_id', '=', refId).executeTakeFirst()) ?? row;
      }
      await tx.insertInto('incident_entries').values({ id: uuidv7(clock, random), incident_id: incidentId, kind: 'change', body: `linked ${found.label} of organization ${organizationId}`, author_id: row.linked_by, created_at: now }).execute();
      await audit.record(tx, PLATFORM_TENANT_ID, { action: 'incident.linked', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'incident', id: incidentId }, { type: kind === 'alert' ? 'security_alert' : 'audit_event', id: refId }, { type: 'organization', id: organizationId }], metadata: { kind } });
      return inserted;
    });
  }

  return {
    link,
    /** Opens an incident from an alert (IR-5): the alert's organization is affected, the alert linked. */
    openFromAlert: async (ctx: AuditContext, input: { organizationId: string; alertId: string; title?: string | undefined; severity?: string | undefined }) => {
      const found = await find('alert', input.organizationId, input.alertId);
      const configured = deps.incidents.severities.map((l) => l.name);
      // The alert's severity when it is a configured incident level; otherwise the body must name one.
      const severity = input.severity ?? (found.severity !== undefined && configured.includes(found.severity) ? found.severity : undefined);
      if (severity === undefined) throw new AppError('unknown_severity', { detail: "The alert's severity is not a configured incident level: give one." });
      const incident = await deps.incidents.open(ctx, { title: input.title ?? `Security alert: ${found.label}`, severity, organizations: [input.organizationId] });
      await link(ctx, incident.id, 'alert', input.organizationId, input.alertId);
      return incident;
    },
    list: (incidentId: string) => transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
      const incident = await tx.selectFrom('incidents').select('id').where('id', '=', incidentId).executeTakeFirst();
      if (incident === undefined) throw new AppError('not_found');
      return tx.selectFrom('incident_links').selectAll().where('incident_id', '=', incidentId).orderBy('linked_at').orderBy('id').limit(1000).execute();
    }),
  };
}

export type IncidentLinks = ReturnType<typeof createIncidentLinks>;
