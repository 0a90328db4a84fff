import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { acceptFormBodies, formField, formFields } from '../../platform/http/form-body.ts';
import { auditContext, requestSource, requireUser } from '../../platform/http/request-context.ts';
import { Email, errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { clockView } from './deadlines.ts';
import type { DisclosureService, ReportContent, ReportRow } from './disclosure-service.ts';
import type { AttachmentsService } from './attachments-service.ts';
import { PolicySchema, renderNotice, renderPolicyPage } from './policy.ts';
import { registerPortalPages } from './portal-page-routes.ts';
import type { PortalCookie } from './portal-routes.ts';
import type { PortalService } from './portal-service.ts';

/** Limits on what a reporter sends (VDP-2): the body is bounded before it is parsed. */
const Title = Type.String({ minLength: 1, maxLength: 200 });
const Body = Type.String({ minLength: 1, maxLength: 20_000 });
const BODY_LIMIT = 64 * 1024;
const Token = Type.String({ minLength: 1, maxLength: 100 });
const ClockView = Nullable(Strict({ due_at: Timestamp, state: Type.String(), late: Type.Boolean() }));
export const ReportView = Strict({
  id: Uuid,
  status: Type.String(),
  severity: Nullable(Type.String()),
  cvss_vector: Nullable(Type.String()),
  cvss_score: Nullable(Type.Number()),
  created_at: Timestamp,
  received_at: Nullable(Timestamp),
  clocks: Strict({ acknowledge: ClockView, assess: ClockView, fix: ClockView }),
  duplicate_of: Nullable(Uuid),
  coordinated_disclosure: Strict({ date: Nullable(Type.String({ description: 'YYYY-MM-DD' })), proposed_by: Nullable(Type.String({ description: 'reporter or triager' })), agreed_at: Nullable(Timestamp) }),
  assignee_user_id: Nullable(Uuid),
  incident_id: Nullable(Uuid),
  credit: Strict({ consent: Nullable(Type.String({ description: 'named, anonymous or none; null until the reporter chooses' })), name: Nullable(Type.String()) }),
  bounty: Nullable(Strict({ tier: Type.String(), amount: Type.String() })),
});
export const ReportWithText = Strict({ ...ReportView.properties, title: Type.String(), body: Type.String() });
const AdminReport = Strict({ ...ReportWithText.properties, reporter_email: Type.String() });

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Reporter text is only ever returned as JSON strings: never rendered (VDP-2). */
export function view(report: ReportRow, now: Date) {
  return {
    id: report.id,
    status: report.status,
    severity: report.severity,
    cvss_vector: report.cvss_vector,
    cvss_score: report.cvss_score === null ? null : Number(report.cvss_score),
    created_at: report.created_at.toISOString(),
    received_at: iso(report.received_at),
    clocks: { acknowledge: clockView(report.acknowledge_by, report.acknowledged_at, now), assess: clockView(report.assess_by, report.assessed_at, now), fix: clockView(report.fix_by, report.fixed_at, now) },
    duplicate_of: report.duplicate_of,
    coordinated_disclosure: { date: report.disclosure_date, proposed_by: report.disclosure_date_proposed_by, agreed_at: iso(report.disclosure_date_agreed_at) },
    assignee_user_id: report.assignee_user_id,
    incident_id: report.incident_id,
    credit: { consent: report.credit_consent, name: report.credit_name },
    bounty: report.bounty_tier === null || report.bounty_amount === null ? null : { tier: report.bounty_tier, amount: report.bounty_amount },
  };
}
export const withText = (r: { report: ReportRow; content: ReportContent }, now: Date) => ({ ...view(r.report, now), title: r.content.title, body: r.content.body });

export function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** The public policy page and form, the intake and portal API, and the triage API (platform administrators). */
export function registerDisclosureRoutes(server: FastifyInstance, deps: { service: DisclosureService; portal: PortalService; attachments: AttachmentsService; cookie: PortalCookie; now: () => Date }): void {
  const { service } = deps;
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['disclosure'];
  const publicConfig = { permission: 'public' as const, rateLimit: 'auth' as const };

  // These pages post forms to their own origin. Under the default `no-referrer` a browser sends
  // `Origin: null` with such a post (Fetch, "serializing a request origin"), which the origin check
  // refuses; `same-origin` sends the real origin to us and still no referrer to anyone else.
  const page = (reply: FastifyReply, body: string, status = 200) =>
    reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);

  app.get('/security/disclosure', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => page(reply, renderPolicyPage(await service.policy(), await service.settings())));

  app.post('/api/v1/disclosure/reports', {
    config: publicConfig,
    bodyLimit: BODY_LIMIT,
    schema: { tags, summary: 'Submit a vulnerability report; it is accepted once the reporter uses the link mailed to them', body: Strict({ email: Email, title: Title, body: Body }), response: { 202: Strict({ status: Type.Literal('verification_sent') }), ...errorResponses(400, 413, 429) } },
    handler: async (request, reply) => {
      await service.submit({ ...request.body, source: requestSource(request) });
      return reply.status(202).send({ status: 'verification_sent' as const });
    },
  });

  app.post('/api/v1/disclosure/verify', {
    config: publicConfig,
    schema: { tags, summary: 'Use a verification link: the report is received and its clocks start', body: Strict({ token: Token }), response: { 200: Strict({ report_id: Uuid, status: Type.Literal('received') }), ...errorResponses(400, 429) } },
    handler: async (request) => ({ report_id: (await service.verify(request.body.token, requestSource(request))).reportId, status: 'received' as const }),
  });

  app.post('/api/v1/disclosure/portal/link', {
    config: publicConfig,
    schema: { tags, summary: 'Ask for a researcher portal link; mailed only if the address has reports (the answer is the same)', body: Strict({ email: Email }), response: { 202: NoContent, ...errorResponses(400, 429) } },
    handler: async (request, reply) => {
      await service.requestPortalLink({ email: request.body.email, source: requestSource(request) });
      return reply.status(202).send();
    },
  });

  app.post('/api/v1/disclosure/portal/reports', {
    config: publicConfig,
    schema: { tags, summary: 'Use a portal link (single use): the reports submitted from the address it was mailed to', body: Strict({ token: Token }), response: { 200: Strict({ items: Type.Array(ReportWithText) }), ...errorResponses(400, 429) } },
    handler: async (request) => {
      const now = deps.now();
      return { items: (await service.portal(request.body.token, requestSource(request))).map((r) => withText(r, now)) };
    },
  });

  // The same intake as plain HTML forms (no script): answers are our own text, never the reporter's.
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    acceptFormBodies(scope, { bodyLimit: BODY_LIMIT });
    const form = formFields;
    const config = { auth: 'public' as const, rateLimit: 'auth' as const };
    const field = (value: string | undefined, max: number, pattern?: RegExp) => formField(value, max, pattern === undefined ? {} : { pattern });
    const emailShape = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

    scope.post('/security/disclosure/reports', { config, schema: { hide: true } }, async (request, reply) => {
      const f = form(request);
      await service.submit({ email: field(f['email'], 254, emailShape), title: field(f['title'], 200), body: field(f['body'], 20_000), source: requestSource(request) });
      return page(reply, renderNotice('Check your mail', ['We sent a link to the address you gave. Your report is accepted once you use it, within 24 hours.']), 202);
    });
    scope.get('/security/disclosure/verify', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      page(reply, renderNotice('Confirm your report', ['Paste the code from the mail below.']).replace('</main>', '<form method="post" action="/security/disclosure/verify"><p><label>Code <input type="text" name="token" required maxlength="100" autocomplete="off"></label> <button type="submit">Confirm</button></p></form></main>')),
    );
    scope.post('/security/disclosure/verify', { config, schema: { hide: true } }, async (request, reply) => {
      await service.verify(field(form(request)['token'], 100), requestSource(request));
      return page(reply, renderNotice('Report received', ['Thank you. We acknowledge it within 24 hours and assess it within 5 business days.']));
    });
    scope.get('/security/disclosure/portal', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      page(reply, renderNotice('Your reports', ['Paste the code from the mail below. Each code works once and opens the portal for 30 minutes.']).replace('</main>', '<form method="post" action="/security/disclosure/portal"><p><label>Code <input type="text" name="token" required maxlength="100" autocomplete="off"></label> <button type="submit">Show my reports</button></p></form></main>')),
    );
    registerPortalPages(scope, { ...deps, page });
    scope.post('/security/disclosure/portal-link', { config, schema: { hide: true } }, async (request, reply) => {
      await service.requestPortalLink({ email: field(form(request)['email'], 254, emailShape), source: requestSource(request) });
      return page(reply, renderNotice('Check your mail', ['If this address submitted reports, we sent it a link to see them.']), 202);
    });
  });

  app.get('/api/v1/platform/disclosure/reports', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Received vulnerability reports with their clocks (platform administrators)', response: { 200: Strict({ items: Type.Array(ReportView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const now = deps.now();
      return { items: (await service.list()).map((r) => view(r, now)) };
    },
  });

  const Params = Strict({ reportId: Uuid });
  app.get('/api/v1/platform/disclosure/reports/:reportId', {
    config: { permission: 'self' },
    schema: { tags, summary: 'One report with its decrypted text, as JSON only (platform administrators; audited)', params: Params, response: { 200: AdminReport, ...errorResponses(401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      const read = await service.read(request.params.reportId.toLowerCase(), ctx.actor, ctx.source);
      return { ...withText(read, deps.now()), reporter_email: read.report.reporter_email };
    },
  });

  app.post('/api/v1/platform/disclosure/reports/:reportId/triage', {
    config: { permission: 'self' },
    schema: {
      tags,
      summary: 'Set severity from a CVSS 3.1 or 4.0 vector, move the status, link the report to the original it duplicates, assign it to a platform operator, and/or set its bounty (platform administrators)',
      params: Params,
      body: Strict({
        cvss_vector: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        status: Type.Optional(Type.Union([Type.Literal('acknowledged'), Type.Literal('assessed'), Type.Literal('fixed'), Type.Literal('rejected')])),
        duplicate_of: Type.Optional(Nullable(Uuid)),
        assignee_user_id: Type.Optional(Nullable(Uuid)),
        bounty: Type.Optional(Nullable(Strict({ tier: Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]), amount: Type.String({ minLength: 1, maxLength: 100 }) }))),
      }),
      response: { 200: ReportView, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      const id = request.params.reportId.toLowerCase();
      const b = request.body;
      await service.triage(
        id,
        {
          ...(b.cvss_vector === undefined ? {} : { cvssVector: b.cvss_vector }),
          ...(b.status === undefined ? {} : { status: b.status }),
          ...(b.duplicate_of === undefined ? {} : { duplicateOf: b.duplicate_of?.toLowerCase() ?? null }),
          ...(b.assignee_user_id === undefined ? {} : { assigneeUserId: b.assignee_user_id?.toLowerCase() ?? null }),
          ...(b.bounty === undefined ? {} : { bounty: b.bounty }),
        },
        ctx.actor,
        ctx.source,
      );
      return view((await service.read(id, ctx.actor, ctx.source)).report, deps.now());
    },
  });

  app.get('/api/v1/platform/disclosure/policy', {
    config: { permission: 'self' },
    schema: { tags, summary: 'The published disclosure policy (platform administrators)', response: { 200: PolicySchema, ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return service.policy();
    },
  });

  app.put('/api/v1/platform/disclosure/policy', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Replace the published disclosure policy (platform administrators)', body: PolicySchema, response: { 200: PolicySchema, ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      await service.setPolicy(request.body, ctx.actor, ctx.source);
      return service.policy();
    },
  });
}
