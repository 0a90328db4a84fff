import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { Incidents } from './incidents-service.ts';
import { COMPONENT_STATUSES, NOTICE_TEMPLATES, PHASES, type IncidentEntriesTable, type IncidentsTable, type StatusMaintenancesTable } from './incidents-tables.ts';
import type { SafeHtml } from '../../platform/http/html.ts';
import { renderStatusPage, type StatusView } from './status-page.ts';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Severity = Type.String({ minLength: 1, maxLength: 30, pattern: '^[a-z][a-z0-9_]*$', description: 'One of the configured levels (PARAPET_INCIDENT_SEVERITIES; GET /api/v1/platform/incidents/severities)' });
const Phase = literals(PHASES);
const ComponentStatus = literals(COMPONENT_STATUSES);
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const IdParams = Strict({ incidentId: Uuid });

const IncidentView = Strict({
  id: Uuid, title: Type.String(), severity: Type.String(), phase: Type.String(), detected_at: Timestamp, personal_data_breach: Type.Boolean(), aware_at: Nullable(Timestamp), resolved_at: Nullable(Timestamp),
  affected_components: Type.Array(Uuid), affected_organizations: Type.Array(Uuid), commander_id: Nullable(Uuid), communications_id: Nullable(Uuid), created_at: Timestamp, updated_at: Timestamp,
});
const EscalationView = Strict({
  id: Uuid, clock_id: Uuid, clock: Type.String(), kind: Type.String({ description: 'warning or overdue' }), channel: Type.String({ description: 'mail or webhook' }), target: Type.String(), created_at: Timestamp, attempts: Type.Integer(),
  delivered_at: Nullable(Timestamp), failed_at: Nullable(Timestamp), last_error: Nullable(Type.String()), mail_status: Nullable(Type.String({ description: 'mail only: queued, sending, sent or failed (the mailer\'s record)' })),
});
const NoticeView = Strict({ id: Uuid, incident_id: Uuid, template: Type.String(), subject: Type.String(), body: Type.String(), sent_at: Timestamp, deliveries: Type.Array(Type.String({ description: 'per administrator: queued, sending, sent or failed' })) });
const MaintenanceView = Strict({ id: Uuid, title: Type.String(), body: Type.String(), components: Type.Array(Uuid), starts_at: Timestamp, ends_at: Timestamp, cancelled_at: Nullable(Timestamp), created_at: Timestamp });
const EntryView = Strict({ id: Uuid, kind: Type.String({ description: 'note (internal), public_update (shown on /status) or change' }), body: Type.String(), author_id: Nullable(Uuid), created_at: Timestamp });
const ClockView = Strict({
  id: Uuid, clock: Type.String(), source: Type.String(), started_at: Timestamp, due_at: Timestamp, state: Type.String({ description: 'pending, warning, overdue or met' }),
  seconds_left: Nullable(Type.Integer({ description: 'Negative when overdue; null when met' })), met_at: Nullable(Timestamp), met_by: Nullable(Type.String()), met_late: Nullable(Type.Boolean()),
});
const ComponentView = Strict({ id: Uuid, name: Type.String(), description: Type.String(), status: Type.String(), position: Type.Integer(), group: Type.String() });
const ComponentBody = Strict({ name: Text(100), description: Type.Optional(Type.String({ maxLength: 500 })), status: ComponentStatus, position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })), group: Type.Optional(Type.String({ maxLength: 100, description: 'The group it is shown in on /status (empty: none)' })) });

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const toIncident = (i: IncidentsTable) => ({
  id: i.id, title: i.title, severity: i.severity, phase: i.phase, detected_at: i.detected_at.toISOString(), personal_data_breach: i.personal_data_breach, aware_at: iso(i.aware_at), resolved_at: iso(i.resolved_at),
  affected_components: i.affected_components, affected_organizations: i.affected_organizations, commander_id: i.commander_id, communications_id: i.communications_id, created_at: i.created_at.toISOString(), updated_at: i.updated_at.toISOString(),
});
const toMaintenance = (m: StatusMaintenancesTable) => ({ id: m.id, title: m.title, body: m.body, components: m.components, starts_at: m.starts_at.toISOString(), ends_at: m.ends_at.toISOString(), cancelled_at: iso(m.cancelled_at), created_at: m.created_at.toISOString() });
const toEntry = (e: IncidentEntriesTable) => ({ id: e.id, kind: e.kind, body: e.body, author_id: e.author_id, created_at: e.created_at.toISOString() });

/** Incidents are the deployment's: only platform administrators; organization roles grant nothing here. */
function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** The incident API for platform administrators (IR-1…IR-3) and the public status page (IR-4). */
export function registerIncidentRoutes(server: FastifyInstance, deps: { incidents: Incidents; clock: Clock; subscribeForm?: (components: StatusView['components']) => SafeHtml }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { incidents, clock } = deps;
  const tags = ['incidents'];
  const admin = { permission: 'self' } as const;

  app.get('/status', { config: { auth: 'public' } }, async (_request, reply) => {
    const view = await incidents.publicView();
    return reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=30').send(renderStatusPage(view, clock.now(), deps.subscribeForm?.(view.components)));
  });

  app.get('/api/v1/platform/incidents', {
    config: admin,
    schema: { tags, summary: 'List incidents, newest first (platform administrators)', querystring: Strict({ open: Type.Optional(Type.Boolean()) }), response: { 200: Strict({ items: Type.Array(IncidentView) }), ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await incidents.list({ open: request.query.open })).map(toIncident) };
    },
  });

  app.post('/api/v1/platform/incidents', {
    config: admin,
    schema: {
      tags, summary: 'Open an incident; starts the first-notice clock for its severity (platform administrators)',
      body: Strict({ title: Text(200), severity: Severity, detected_at: Type.Optional(Timestamp), affected_components: Type.Optional(Type.Array(Uuid, { maxItems: 50 })), affected_organizations: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })), commander_id: Type.Optional(Uuid), communications_id: Type.Optional(Uuid) }),
      response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const incident = await incidents.open(auditContext(request), { title: b.title, severity: b.severity, detectedAt: b.detected_at === undefined ? undefined : new Date(b.detected_at), components: b.affected_components, organizations: b.affected_organizations, commanderId: b.commander_id?.toLowerCase(), communicationsId: b.communications_id?.toLowerCase() });
      return reply.status(201).send({ id: incident.id });
    },
  });

  app.get('/api/v1/platform/incidents/:incidentId', {
    config: admin,
    schema: { tags, summary: 'An incident with its timeline and clocks (time left, warning, overdue, met)', params: IdParams, response: { 200: Strict({ incident: IncidentView, timeline: Type.Array(EntryView), clocks: Type.Array(ClockView), escalations: Type.Array(EscalationView) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const { incident, entries, clocks, escalations } = await incidents.get(request.params.incidentId);
      return { incident: toIncident(incident), timeline: entries.map(toEntry), clocks, escalations };
    },
  });

  app.patch('/api/v1/platform/incidents/:incidentId', {
    config: admin,
    schema: {
      tags, summary: 'Change phase, severity, title or affected components, or resolve (starts the post-incident report clock)', params: IdParams,
      body: Strict({
        title: Type.Optional(Text(200)), severity: Type.Optional(Severity), phase: Type.Optional(Phase), resolved: Type.Optional(Type.Literal(true)), affected_components: Type.Optional(Type.Array(Uuid, { maxItems: 50 })),
        commander_id: Type.Optional(Nullable(Uuid)), communications_id: Type.Optional(Nullable(Uuid)),
      }),
      response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      await incidents.change(auditContext(request), request.params.incidentId, { title: b.title, severity: b.severity, phase: b.phase, resolved: b.resolved, components: b.affected_components, commanderId: b.commander_id?.toLowerCase() ?? b.commander_id, communicationsId: b.communications_id?.toLowerCase() ?? b.communications_id });
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/platform/incidents/:incidentId/entries', {
    config: admin,
    schema: {
      tags, summary: 'Add an internal note or a public update (public updates appear on /status and meet the notice clock)', params: IdParams,
      body: Strict({ kind: Type.Union([Type.Literal('note'), Type.Literal('public_update')]), body: Text(5000) }),
      response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const entry = await incidents.addEntry(auditContext(request), request.params.incidentId, request.body);
      return reply.status(201).send({ id: entry.id });
    },
  });

  app.post('/api/v1/platform/incidents/:incidentId/breach', {
    config: admin,
    schema: {
      tags, summary: 'Mark a personal-data breach: starts GDPR Art. 33 and NIS2 clocks from the time of awareness (idempotent)', params: IdParams,
      body: Strict({ aware_at: Type.Optional(Timestamp) }),
      response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await incidents.markBreach(auditContext(request), request.params.incidentId, request.body.aware_at === undefined ? undefined : new Date(request.body.aware_at));
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/platform/incidents/:incidentId/clocks/:clockId/met', {
    config: admin,
    schema: {
      tags, summary: 'Record that a clock was met, and by what (a notification reference, a report)', params: Strict({ incidentId: Uuid, clockId: Uuid }),
      body: Strict({ by: Text(200) }),
      response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await incidents.meetClock(auditContext(request), request.params.incidentId, request.params.clockId, request.body.by);
      return reply.status(204).send();
    },
  });

  app.get('/api/v1/platform/status/components', {
    config: admin,
    schema: { tags, summary: 'List status page components (platform administrators)', response: { 200: Strict({ items: Type.Array(ComponentView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await incidents.components()).map((c) => ({ id: c.id, name: c.name, description: c.description, status: c.status, position: c.position, group: c.group_name })) };
    },
  });

  app.post('/api/v1/platform/status/components', {
    config: admin,
    schema: { tags, summary: 'Add a status page component (platform administrators)', body: ComponentBody, response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 409) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const id = await incidents.putComponent(auditContext(request), { name: b.name, description: b.description ?? '', status: b.status, position: b.position ?? 0, group: b.group });
      return reply.status(201).send({ id });
    },
  });

  app.put('/api/v1/platform/status/components/:componentId', {
    config: admin,
    schema: { tags, summary: 'Replace a status page component, including its current status (platform administrators)', params: Strict({ componentId: Uuid }), body: ComponentBody, response: { 200: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const b = request.body;
      return { id: await incidents.putComponent(auditContext(request), { id: request.params.componentId, name: b.name, description: b.description ?? '', status: b.status, position: b.position ?? 0, group: b.group }) };
    },
  });

  app.get('/api/v1/platform/incidents/severities', {
    config: admin,
    schema: { tags, summary: 'The configured severity levels, most severe first, with their notice clocks (platform administrators)', response: { 200: Strict({ items: Type.Array(Strict({ name: Type.String(), first_notice_seconds: Nullable(Type.Integer()), update_every_seconds: Nullable(Type.Integer()) })) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: incidents.severities.map((l) => ({ name: l.name, first_notice_seconds: l.notice === undefined ? null : l.notice.firstNoticeMs / 1000, update_every_seconds: l.notice === undefined ? null : l.notice.updateEveryMs / 1000 })) };
    },
  });

  app.post('/api/v1/platform/incidents/:incidentId/notices', {
    config: admin,
    schema: {
      tags, summary: 'Send a notice from a template to the administrators of every affected organization; `breach` meets the customer_breach_notice clock', params: IdParams,
      body: Strict({ template: literals(NOTICE_TEMPLATES), message: Type.Optional(Text(5000)) }),
      response: { 201: Strict({ items: Type.Array(Strict({ organization_id: Uuid, notice_id: Uuid, recipients: Type.Integer() })) }), ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const sent = await incidents.notify(auditContext(request), request.params.incidentId, { template: request.body.template, message: request.body.message });
      return reply.status(201).send({ items: sent.map((s) => ({ organization_id: s.organization, notice_id: s.notice, recipients: s.recipients })) });
    },
  });

  app.get('/api/v1/organizations/:orgId/incident-notices', {
    config: { permission: 'alerts.read' },
    schema: { tags, summary: 'Incident notices this organization was sent, newest first, with each message\'s delivery', params: Strict({ orgId: Uuid }), response: { 200: Strict({ items: Type.Array(NoticeView) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const rows = await incidents.noticesFor(request.params.orgId.toLowerCase());
      return { items: rows.map((n) => ({ id: n.id, incident_id: n.incident_id, template: n.template, subject: n.subject, body: n.body, sent_at: n.sent_at.toISOString(), deliveries: n.deliveries })) };
    },
  });

  app.get('/api/v1/platform/status/maintenance', {
    config: admin,
    schema: { tags, summary: 'Scheduled maintenance windows, newest first (platform administrators)', response: { 200: Strict({ items: Type.Array(MaintenanceView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await incidents.maintenances()).map(toMaintenance) };
    },
  });

  app.post('/api/v1/platform/status/maintenance', {
    config: admin,
    schema: {
      tags, summary: 'Schedule a maintenance window: shown on /status ahead and while it runs, announced to subscribers (platform administrators)',
      body: Strict({ title: Text(200), body: Type.Optional(Type.String({ maxLength: 5000 })), components: Type.Optional(Type.Array(Uuid, { maxItems: 50 })), starts_at: Timestamp, ends_at: Timestamp }),
      response: { 201: MaintenanceView, ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const row = await incidents.scheduleMaintenance(auditContext(request), { title: b.title, body: b.body ?? '', components: b.components ?? [], startsAt: new Date(b.starts_at), endsAt: new Date(b.ends_at) });
      return reply.status(201).send(toMaintenance(row));
    },
  });

  app.post('/api/v1/platform/status/maintenance/:maintenanceId/cancel', {
    config: admin,
    schema: { tags, summary: 'Cancel a maintenance window (platform administrators)', params: Strict({ maintenanceId: Uuid }), response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await incidents.cancelMaintenance(auditContext(request), request.params.maintenanceId);
      return reply.status(204).send();
    },
  });
}
