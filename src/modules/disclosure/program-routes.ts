import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requestSource } from '../../platform/http/request-context.ts';
import { errorResponses, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { ADVISORIES_PAGE, CSAF_DIRECTORY, CSAF_ROOT, csafPath, type Advisories } from './advisories.ts';
import { ReportView, requirePlatformAdmin, view } from './disclosure-routes.ts';
import type { DisclosureService } from './disclosure-service.ts';
import { ACKNOWLEDGMENTS_PAGE, renderAcknowledgments, renderAdvisory, renderAdvisoryList } from './program-pages.ts';
import { requireReporter, PORTAL_API, type PortalCookie } from './portal-routes.ts';
import type { PortalService } from './portal-service.ts';
import { SettingsSchema } from './settings.ts';

const Params = Strict({ reportId: Uuid });
const SeverityTier = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);
const ClockEntry = Strict({ clock: Type.String({ description: 'acknowledge, assess or fix' }), event: Type.String({ description: 'started, moved, met, reminded, overdue or stopped' }), due_at: Nullable(Timestamp), at: Timestamp });
const AdvisoryBody = Strict({
  tracking_id: Type.Optional(Type.String({ pattern: '^[A-Z0-9-]{3,40}$' })),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  summary: Type.String({ minLength: 1, maxLength: 10_000 }),
  product_name: Type.String({ minLength: 1, maxLength: 100 }),
  affected_versions: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. <2.4.1 or vers:semver/<2.4.1' }),
  // One version, not a range (CSAF 2.0 mandatory test 6.1.31).
  fixed_version: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9.+_-]{0,99}$' }),
  cve: Type.Optional(Type.String({ pattern: '^CVE-[0-9]{4}-[0-9]{4,}$', maxLength: 30 })),
});
const AdvisoryView = Strict({ id: Uuid, report_id: Uuid, tracking_id: Type.String(), page_url: Type.String(), csaf_url: Type.String(), published_at: Timestamp });
const CreditBody = Strict({ consent: Type.Union([Type.Literal('named'), Type.Literal('anonymous'), Type.Literal('none')]), name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) });

/**
 * The program's routes beyond intake and the portal: settings, assignee-independent triage extras
 * (clock history, incident links, advisories), the reporter's credit choice, and the public
 * acknowledgments, advisories and CSAF pages (no script; CSAF as JSON).
 */
export function registerProgramRoutes(server: FastifyInstance, deps: { service: DisclosureService; portal: PortalService; advisories: Advisories; cookie: PortalCookie; now: () => Date; page: (reply: FastifyReply, body: string, status?: number) => FastifyReply }): void {
  const { service, advisories, page } = deps;
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['disclosure'];
  const admin = '/api/v1/platform/disclosure';
  const pub = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get(`${admin}/settings`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'The program settings: working days, holidays, fix days by severity, reminder lead, advisory publisher (platform administrators)', response: { 200: SettingsSchema, ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return service.settings();
    },
  });

  app.put(`${admin}/settings`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'Replace the program settings; deadlines computed from then on follow them (platform administrators)', body: SettingsSchema, response: { 200: SettingsSchema, ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      await service.setSettings(request.body, ctx.actor, ctx.source);
      return service.settings();
    },
  });

  app.get(`${admin}/reports/:reportId/clocks`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'A report\u2019s clock history: started, moved, met, reminded, overdue, stopped (platform administrators)', params: Params, response: { 200: Strict({ items: Type.Array(ClockEntry) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: await service.clockHistory(request.params.reportId.toLowerCase()) };
    },
  });

  app.put(`${admin}/reports/:reportId/incident`, {
    config: { permission: 'self' },
    schema: {
      tags,
      summary: 'Link the report to an incident (`incident_id`), open one for it (`open`), or unlink (`incident_id: null`) (platform administrators)',
      params: Params,
      body: Type.Union([Strict({ incident_id: Nullable(Uuid) }), Strict({ open: Strict({ title: Type.String({ minLength: 1, maxLength: 200 }), severity: SeverityTier }) })]),
      response: { 200: Strict({ incident_id: Nullable(Uuid) }), ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const link = 'open' in b ? { open: b.open } : b.incident_id === null ? null : { incidentId: b.incident_id.toLowerCase() };
      return { incident_id: await service.linkIncident(request.params.reportId.toLowerCase(), link, auditContext(request)) };
    },
  });

  app.post(`${admin}/reports/:reportId/advisory`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'Publish the advisory and CSAF 2.0 document of a fixed report (platform administrators)', params: Params, body: AdvisoryBody, response: { 201: AdvisoryView, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const row = await advisories.publish(request.params.reportId.toLowerCase(), { trackingId: b.tracking_id, title: b.title, summary: b.summary, productName: b.product_name, affectedVersions: b.affected_versions, fixedVersion: b.fixed_version, cve: b.cve }, auditContext(request));
      return reply.status(201).send({ id: row.id, report_id: row.report_id, tracking_id: row.tracking_id, page_url: `${ADVISORIES_PAGE}/${encodeURIComponent(row.tracking_id)}`, csaf_url: `${CSAF_DIRECTORY}/${csafPath(row)}`, published_at: row.published_at.toISOString() });
    },
  });

  // The reporter's credit choice (portal session, own reports only).
  app.put(`${PORTAL_API}/reports/:reportId/credit`, {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags, summary: 'Choose how you are credited for a report once it is fixed: by name, anonymously, or not at all', params: Params, body: CreditBody, response: { 200: ReportView, ...errorResponses(400, 401, 404, 429) } },
    handler: async (request) => {
      const session = await requireReporter(request, deps.portal, deps.cookie);
      const id = request.params.reportId.toLowerCase();
      await deps.portal.setCredit(session, id, { consent: request.body.consent, name: request.body.name }, requestSource(request));
      const row = (await deps.portal.reports(session)).find((r) => r.id === id);
      if (row === undefined) throw new AppError('not_found');
      return view(row, deps.now());
    },
  });

  // Public pages: acknowledgments and advisories (HTML without script), CSAF (JSON).
  app.get(ACKNOWLEDGMENTS_PAGE, pub, async (_request, reply) => page(reply, renderAcknowledgments((await service.policy()).program_name, await service.acknowledgments())));
  app.get(ADVISORIES_PAGE, pub, async (_request, reply) => page(reply, renderAdvisoryList(await advisories.list())));
  app.get(`${ADVISORIES_PAGE}/:trackingId`, pub, async (request, reply) => {
    const key = (request.params as Record<string, string | undefined>)['trackingId'] ?? '';
    const found = key.length <= 40 ? await advisories.find(key) : undefined;
    if (found === undefined) throw new AppError('not_found');
    return page(reply, renderAdvisory(found));
  });

  const json = (reply: FastifyReply, body: unknown) => reply.header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').type('application/json; charset=utf-8').send(JSON.stringify(body));
  app.get(`${CSAF_ROOT}/provider-metadata.json`, pub, async (_request, reply) => {
    const list = await advisories.list();
    return json(reply, advisories.providerMetadata(await advisories.publisherName(), list[0]?.published_at ?? new Date(0)));
  });
  app.get(`${CSAF_DIRECTORY}/:year/:file`, pub, async (request, reply) => {
    const { year, file } = request.params as Record<string, string>;
    if (!/^\d{4}$/.test(year ?? '') || !/^[+\-a-z0-9_]{1,60}\.json$/.test(file ?? '')) throw new AppError('not_found');
    const found = await advisories.find(file ?? '');
    if (found === undefined || csafPath(found) !== `${year}/${file}`) throw new AppError('not_found');
    return json(reply, advisories.csaf(found, await advisories.publisherName()));
  });
  // The directory-based distribution's listings (CSAF 2.0 §7.1.13, §7.1.14).
  app.get(`${CSAF_DIRECTORY}/index.txt`, pub, async (_request, reply) => reply.header('cache-control', 'public, max-age=300').type('text/plain; charset=utf-8').send((await advisories.list()).map((a) => `${csafPath(a)}\n`).join('')));
  app.get(`${CSAF_DIRECTORY}/changes.csv`, pub, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('text/csv; charset=utf-8').send((await advisories.list()).map((a) => `"${csafPath(a)}","${a.published_at.toISOString().replace(/\.\d{3}Z$/, 'Z')}"\n`).join('')),
  );
}
