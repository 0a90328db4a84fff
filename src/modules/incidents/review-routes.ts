import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { IncidentReviews } from './incident-reviews.ts';
import { ACTION_STATUSES, NOTICE_TEMPLATES, type IncidentReviewActionsTable } from './incidents-tables.ts';
import { PLACEHOLDERS } from './notice-templates.ts';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Long = Type.String({ maxLength: 20_000 });
const Day = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'YYYY-MM-DD' });
const ActionView = Strict({ id: Uuid, title: Type.String(), owner_id: Nullable(Uuid), due_on: Nullable(Type.String()), status: Type.String({ description: ACTION_STATUSES.join(', ') }), created_at: Timestamp, updated_at: Timestamp });
const ReviewView = Strict({ summary: Type.String(), root_cause: Type.String(), went_well: Type.String(), went_badly: Type.String(), updated_at: Timestamp, published_at: Nullable(Timestamp), published_by: Nullable(Uuid) });
const TemplateKind = Strict({ template: literals(NOTICE_TEMPLATES) });
const TemplateText = Strict({ subject: Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' }), body: Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S' }) });
const Rendered = Strict({ subject: Type.String(), paragraphs: Type.Array(Type.String()) });

const toAction = (a: IncidentReviewActionsTable) => ({ id: a.id, title: a.title, owner_id: a.owner_id, due_on: a.due_on, status: a.status, created_at: a.created_at.toISOString(), updated_at: a.updated_at.toISOString() });

function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** A real calendar day: the pattern lets 2026-02-31 through. */
function checkDay(day: string | null | undefined): void {
  if (typeof day === 'string' && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) throw new AppError('invalid_request', { detail: 'due_on must be a calendar day, YYYY-MM-DD.' });
}

/** The post-incident review with its actions (IR-1) and the editable notice templates (IR-3); platform administrators only. */
export function registerReviewRoutes(server: FastifyInstance, deps: { reviews: IncidentReviews; clock: Clock }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { reviews } = deps;
  const tags = ['incidents'];
  const admin = { permission: 'self' } as const;
  const params = Strict({ incidentId: Uuid });

  app.get('/api/v1/platform/incidents/:incidentId/review', {
    config: admin,
    schema: { tags, summary: 'The post-incident review (empty until saved) and its actions', params, response: { 200: Strict({ review: ReviewView, actions: Type.Array(ActionView) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const { review: r, actions } = await reviews.get(request.params.incidentId.toLowerCase());
      return { review: { summary: r.summary, root_cause: r.root_cause, went_well: r.went_well, went_badly: r.went_badly, updated_at: r.updated_at.toISOString(), published_at: r.published_at?.toISOString() ?? null, published_by: r.published_by }, actions: actions.map(toAction) };
    },
  });

  app.put('/api/v1/platform/incidents/:incidentId/review', {
    config: admin,
    schema: { tags, summary: 'Save the post-incident review\u2019s text (the commander, once set); refused once published', params, body: Strict({ summary: Long, root_cause: Long, went_well: Long, went_badly: Long }), response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await reviews.save(auditContext(request), request.params.incidentId.toLowerCase(), request.body);
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/platform/incidents/:incidentId/review/publish', {
    config: admin,
    schema: { tags, summary: 'Publish the review of a resolved incident: meets the 14-day post_incident_report clock', params, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await reviews.publish(auditContext(request), request.params.incidentId.toLowerCase());
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/platform/incidents/:incidentId/review/actions', {
    config: admin,
    schema: { tags, summary: 'Add a follow-up action with an owner and a due date', params, body: Strict({ title: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }), owner_id: Type.Optional(Nullable(Uuid)), due_on: Type.Optional(Nullable(Day)) }), response: { 201: ActionView, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      checkDay(request.body.due_on);
      const row = await reviews.addAction(auditContext(request), request.params.incidentId.toLowerCase(), { title: request.body.title, ownerId: request.body.owner_id?.toLowerCase() ?? null, dueOn: request.body.due_on ?? null });
      return reply.status(201).send(toAction(row));
    },
  });

  app.patch('/api/v1/platform/incidents/:incidentId/review/actions/:actionId', {
    config: admin,
    schema: {
      tags, summary: 'Change an action (the commander), or its status (also its owner)', params: Strict({ incidentId: Uuid, actionId: Uuid }),
      body: Strict({ title: Type.Optional(Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' })), owner_id: Type.Optional(Nullable(Uuid)), due_on: Type.Optional(Nullable(Day)), status: Type.Optional(literals(ACTION_STATUSES)) }),
      response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      checkDay(b.due_on);
      await reviews.changeAction(auditContext(request), request.params.incidentId.toLowerCase(), request.params.actionId.toLowerCase(), { title: b.title, ownerId: b.owner_id === undefined ? undefined : (b.owner_id?.toLowerCase() ?? null), dueOn: b.due_on, status: b.status });
      return reply.status(204).send();
    },
  });

  app.get('/api/v1/platform/incidents/notice-templates', {
    config: admin,
    schema: {
      tags, summary: `Notice templates by kind: the edited text, or the built-in one (custom: false). Placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      response: { 200: Strict({ placeholders: Type.Array(Type.String()), items: Type.Array(Strict({ template: Type.String(), custom: Type.Boolean(), subject: Type.String(), body: Type.String(), updated_at: Nullable(Timestamp) })) }), ...errorResponses(401, 403) },
    },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { placeholders: [...PLACEHOLDERS], items: (await reviews.templates()).map((t) => ({ ...t, updated_at: t.updated_at?.toISOString() ?? null })) };
    },
  });

  app.put('/api/v1/platform/incidents/notice-templates/:template', {
    config: admin,
    schema: { tags, summary: 'Edit a notice template (plain text; placeholders are filled once, as text)', params: TemplateKind, body: TemplateText, response: { 204: NoContent, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await reviews.putTemplate(auditContext(request), request.params.template, request.body);
      return reply.status(204).send();
    },
  });

  app.delete('/api/v1/platform/incidents/notice-templates/:template', {
    config: admin,
    schema: { tags, summary: 'Reset a notice template to the built-in text', params: TemplateKind, response: { 204: NoContent, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await reviews.resetTemplate(auditContext(request), request.params.template);
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/platform/incidents/notice-templates/:template/preview', {
    config: admin,
    schema: { tags, summary: 'What a notice renders to for sample fields: the stored template, or the text given (before saving it)', params: TemplateKind, body: Strict({ subject: Type.Optional(TemplateText.properties.subject), body: Type.Optional(TemplateText.properties.body) }), response: { 200: Rendered, ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const now = deps.clock.now();
      const b = request.body;
      const text = b.subject !== undefined && b.body !== undefined ? { subject: b.subject, body: b.body } : undefined;
      return reviews.preview(request.params.template, { organizationId: '00000000-0000-0000-0000-000000000000', title: 'Example incident', severity: 'high', detectedAt: now, awareAt: now, resolvedAt: now, message: 'An example message.' }, text);
    },
  });
}
