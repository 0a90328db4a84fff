import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { IncidentLinks } from './incident-links.ts';
import type { IncidentLinksTable } from './incidents-tables.ts';

const LinkKind = Type.Union([Type.Literal('alert'), Type.Literal('audit_event')]);
const LinkView = Strict({
  id: Uuid, kind: Type.String({ description: 'alert or audit_event' }), organization_id: Uuid, ref_id: Uuid, label: Type.String({ description: "The alert's kind and severity, or the event's action and outcome" }),
  occurred_at: Timestamp, linked_by: Nullable(Uuid), linked_at: Timestamp,
});
const toLink = (l: IncidentLinksTable) => ({ id: l.id, kind: l.kind, organization_id: l.organization_id, ref_id: l.ref_id, label: l.label, occurred_at: l.occurred_at.toISOString(), linked_by: l.linked_by, linked_at: l.linked_at.toISOString() });

function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** Opening an incident from a security alert, and linking alerts and audit events to incidents (IR-1, IR-5; platform administrators). */
export function registerIncidentLinkRoutes(server: FastifyInstance, deps: { links: IncidentLinks }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['incidents'];
  const admin = { permission: 'self' } as const;

  app.post('/api/v1/platform/incidents/from-alert', {
    config: admin,
    schema: {
      tags, summary: "Open an incident from an organization's security alert: the organization is affected and the alert linked (platform administrators)",
      body: Strict({ organization_id: Uuid, alert_id: Uuid, title: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })), severity: Type.Optional(Type.String({ minLength: 1, maxLength: 30, pattern: '^[a-z][a-z0-9_]*$' })) }),
      response: { 201: Strict({ id: Uuid }), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const incident = await deps.links.openFromAlert(auditContext(request), { organizationId: b.organization_id.toLowerCase(), alertId: b.alert_id.toLowerCase(), title: b.title, severity: b.severity });
      return reply.code(201).send({ id: incident.id });
    },
  });

  app.post('/api/v1/platform/incidents/:incidentId/links', {
    config: admin,
    schema: {
      tags, summary: "Link an organization's security alert or audit event to an incident; shown on its timeline (platform administrators)",
      params: Strict({ incidentId: Uuid }),
      body: Strict({ kind: LinkKind, organization_id: Uuid, id: Uuid }),
      response: { 201: LinkView, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const link = await deps.links.link(auditContext(request), request.params.incidentId.toLowerCase(), b.kind, b.organization_id.toLowerCase(), b.id.toLowerCase());
      return reply.code(201).send(toLink(link));
    },
  });

  app.get('/api/v1/platform/incidents/:incidentId/links', {
    config: admin,
    schema: { tags, summary: 'The alerts and audit events linked to an incident (platform administrators)', params: Strict({ incidentId: Uuid }), response: { 200: Strict({ items: Type.Array(LinkView) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await deps.links.list(request.params.incidentId.toLowerCase())).map(toLink) };
    },
  });
}
