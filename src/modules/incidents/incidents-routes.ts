import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { Incidents } from './incidents-service.ts';
import { COMPONENT_STATUSES, PHASES, SEVERITIES, type IncidentEntriesTable, type IncidentsTable } from './incidents-tables.ts';
import type { SafeHtml } from '../../platform/http/html.ts';
import { renderStatusPage, type StatusView } from './status-page.ts';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Severity = literals(SEVERITIES);
const Phase = literals(PHASES);
const ComponentStatus = literals(COMPONENT_STATUSES);
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const IdParams = Strict({ incidentId: Uuid });

const IncidentView = Strict({
  id: Uuid, title: Type.String(), severity: Type.String(), phase: Type.String(), detected_at: Timestamp, personal_data_breach: Type.Boolean(), aware_at: Nullable(Timestamp), resolved_at: Nullable(Timestamp),
  affected_components: Type.Array(Uuid), affected_organizations: Type.Array(Uuid), created_at: Timestamp, updated_at: Timestamp,
});
const EntryView = Strict({ id: Uuid, kind: Type.String({ description: 'note (internal), public_update (shown on /status) or change' }), body: Type.String(), author_id: Nullable(Uuid), created_at: Timestamp });
const ClockView = Strict({
  id: Uuid, clock: Type.String(), source: Type.String(), started_at: Timestamp, due_at: Timestamp, state: Type.String({ description: 'pending, warning, overdue or met' }),
  seconds_left: Nullable(Type.Integer({ description: 'Negative when overdue; null when met' })), met_at: Nullable(Timestamp), met_by: Nullable(Type.String()), met_late: Nullable(Type.Boolean()),
});
const ComponentView = Strict({ id: Uuid, name: Type.String(), description: Type.String(), status: Type.String(), position: Type.Integer() });
const ComponentBody = Strict({ name: Text(100), description: Type.Optional(Type.String({ maxLength: 500 })), status: ComponentStatus, position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })) });

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const toIncident = (i: IncidentsTable) => ({
  id: i.id, title: i.title, severity: i.severity, phase: i.phase, detected_at: i.detected_at.toISOString(), personal_data_breach: i.personal_data_breach, aware_at: iso(i.aware_at), resolved_at: iso(i.resolved_at),
  affected_components: i.affected_components, affected_organizations: i.affected_organizations, created_at: i.created_at.toISOString(), updated_at: i.updated_at.toISOString(),
});
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
      body: Strict({ title: Text(200), severity: Severity, detected_at: Type.Optional(Timestamp), affected_components: Type.Optional(Type.Array(Uuid, { maxItems: 50 })), affected_organizations: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })) }),
      response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const incident = await incidents.open(auditContext(request), { title: b.title, severity: b.severity, detectedAt: b.detected_at === undefined ? undefined : new Date(b.detected_at), components: b.affected_components, organizations: b.affected_organizations });
      return reply.status(201).send({ id: incident.id });
    },
  });

  app.get('/api/v1/platform/incidents/:incidentId', {
    config: admin,
    schema: { tags, summary: 'An incident with its timeline and clocks (time left, warning, overdue, met)', params: IdParams, response: { 200: Strict({ incident: IncidentView, timeline: Type.Array(EntryView), clocks: Type.Array(ClockView) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const { incident, entries, clocks } = await incidents.get(request.params.incidentId);
      return { incident: toIncident(incident), timeline: entries.map(toEntry), clocks };
    },
  });

  app.patch('/api/v1/platform/incidents/:incidentId', {
    config: admin,
    schema: {
      tags, summary: 'Change phase, severity, title or affected components, or resolve (starts the post-incident report clock)', params: IdParams,
      body: Strict({ title: Type.Optional(Text(200)), severity: Type.Optional(Severity), phase: Type.Optional(Phase), resolved: Type.Optional(Type.Literal(true)), affected_components: Type.Optional(Type.Array(Uuid, { maxItems: 50 })) }),
      response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      await incidents.change(auditContext(request), request.params.incidentId, { title: b.title, severity: b.severity, phase: b.phase, resolved: b.resolved, components: b.affected_components });
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
      return { items: (await incidents.components()).map((c) => ({ id: c.id, name: c.name, description: c.description, status: c.status, position: c.position })) };
    },
  });

  app.post('/api/v1/platform/status/components', {
    config: admin,
    schema: { tags, summary: 'Add a status page component (platform administrators)', body: ComponentBody, response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 409) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const id = await incidents.putComponent(auditContext(request), { name: b.name, description: b.description ?? '', status: b.status, position: b.position ?? 0 });
      return reply.status(201).send({ id });
    },
  });

  app.put('/api/v1/platform/status/components/:componentId', {
    config: admin,
    schema: { tags, summary: 'Replace a status page component, including its current status (platform administrators)', params: Strict({ componentId: Uuid }), body: ComponentBody, response: { 200: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const b = request.body;
      return { id: await incidents.putComponent(auditContext(request), { id: request.params.componentId, name: b.name, description: b.description ?? '', status: b.status, position: b.position ?? 0 }) };
    },
  });
}
