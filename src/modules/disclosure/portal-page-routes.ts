import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { requestSource } from '../../platform/http/request-context.ts';
import { formField, formFields } from '../../platform/http/form-body.ts';
import type { AttachmentsService } from './attachments-service.ts';
import { withText } from './disclosure-routes.ts';
import type { DisclosureService } from './disclosure-service.ts';
import { PORTAL_PAGES, renderPortalList, renderPortalReport } from './portal-pages.ts';
import { clearPortalCookie, requireReporter, sendAttachment, setPortalCookie, type PortalCookie } from './portal-routes.ts';
import type { PortalService, ReporterSession, Speaker } from './portal-service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The portal as HTML pages without script, in a scope that parses form posts. The code from the
 * mail opens a session (cookie scoped to these pages); every page after that reads it.
 */
export function registerPortalPages(scope: FastifyInstance, deps: { service: DisclosureService; portal: PortalService; attachments: AttachmentsService; cookie: PortalCookie; now: () => Date; page: (reply: FastifyReply, body: string, status?: number) => FastifyReply }): void {
  const { portal, attachments, cookie, page } = deps;
  const config = { auth: 'public' as const, rateLimit: 'auth' as const };
  const form = formFields;
  const field = (value: string | undefined, max: number) => formField(value, max, { nonEmpty: true });
  const reportId = (request: FastifyRequest) => {
    const id = (request.params as Record<string, string | undefined>)['reportId'] ?? '';
    if (!UUID.test(id)) throw new AppError('not_found');
    return id.toLowerCase();
  };
  /** The session, or back to the code form (a page, not an error: this is a browser). */
  const withSession = async (request: FastifyRequest, reply: FastifyReply, then: (session: ReporterSession) => Promise<FastifyReply>) => {
    const session = await portal.session(request.cookies[cookie.name]);
    return session === undefined ? reply.redirect(PORTAL_PAGES, 303) : then(session);
  };
  const speaker = (session: ReporterSession): Speaker => ({ side: 'reporter', session });

  scope.post(PORTAL_PAGES, { config, schema: { hide: true } }, async (request, reply) => {
    const opened = await portal.openSession(field(form(request)['token'], 100), requestSource(request));
    setPortalCookie(reply, cookie, PORTAL_PAGES, opened.token);
    return reply.redirect(`${PORTAL_PAGES}/reports`, 303);
  });

  scope.get(`${PORTAL_PAGES}/reports`, { config, schema: { hide: true } }, async (request, reply) =>
    withSession(request, reply, async (session) => {
      const now = deps.now();
      const reports = await deps.service.withContent(await portal.reports(session));
      return page(reply, renderPortalList(reports.map((r) => withText(r, now))));
    }),
  );

  scope.get(`${PORTAL_PAGES}/reports/:reportId`, { config, schema: { hide: true } }, async (request, reply) =>
    withSession(request, reply, async (session) => {
      const id = reportId(request);
      const row = (await portal.reports(session)).find((r) => r.id === id);
      if (row === undefined) throw new AppError('not_found');
      const [report] = await deps.service.withContent([row]);
      if (report === undefined) throw new AppError('not_found');
      return page(reply, renderPortalReport(withText(report, deps.now()), await portal.thread(speaker(session), id), await attachments.list(speaker(session), id)));
    }),
  );

  scope.post(`${PORTAL_PAGES}/reports/:reportId/messages`, { config, schema: { hide: true } }, async (request, reply) =>
    withSession(request, reply, async (session) => {
      const id = reportId(request);
      await portal.post(speaker(session), id, field(form(request)['body'], 10_000), requestSource(request));
      return reply.redirect(`${PORTAL_PAGES}/reports/${id}`, 303);
    }),
  );

  scope.post(`${PORTAL_PAGES}/reports/:reportId/disclosure-date`, { config, schema: { hide: true } }, async (request, reply) =>
    withSession(request, reply, async (session) => {
      const id = reportId(request);
      const action = form(request)['action'];
      if (action !== 'propose' && action !== 'agree') throw new AppError('invalid_request', { detail: 'Propose or agree.' });
      await portal.disclosureDate(speaker(session), id, { action, date: field(form(request)['date'], 10) }, requestSource(request));
      return reply.redirect(`${PORTAL_PAGES}/reports/${id}`, 303);
    }),
  );

  scope.post(`${PORTAL_PAGES}/reports/:reportId/credit`, { config, schema: { hide: true } }, async (request, reply) =>
    withSession(request, reply, async (session) => {
      const id = reportId(request);
      const f = form(request);
      const consent = f['consent'];
      if (consent !== 'named' && consent !== 'anonymous' && consent !== 'none') throw new AppError('invalid_request', { detail: 'Choose how to be credited.' });
      await portal.setCredit(session, id, { consent, name: consent === 'named' ? field(f['name'], 100) : undefined }, requestSource(request));
      return reply.redirect(`${PORTAL_PAGES}/reports/${id}`, 303);
    }),
  );

  scope.get(`${PORTAL_PAGES}/reports/:reportId/attachments/:attachmentId`, { config, schema: { hide: true } }, async (request, reply) => {
    const session = await requireReporter(request, portal, cookie);
    const attachmentId = (request.params as Record<string, string | undefined>)['attachmentId'] ?? '';
    if (!UUID.test(attachmentId)) throw new AppError('not_found');
    return sendAttachment(reply, await attachments.download(speaker(session), reportId(request), attachmentId.toLowerCase(), requestSource(request)));
  });

  scope.post(`${PORTAL_PAGES}/logout`, { config, schema: { hide: true } }, async (request, reply) => {
    const session = await portal.session(request.cookies[cookie.name]);
    if (session !== undefined) await portal.closeSession(session);
    clearPortalCookie(reply, cookie, PORTAL_PAGES);
    return reply.redirect('/security/disclosure', 303);
  });
}
