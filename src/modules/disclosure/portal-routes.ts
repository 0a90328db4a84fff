import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requestSource, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, type AttachmentsService } from './attachments-service.ts';
import { ReportView, ReportWithText, requirePlatformAdmin, view, withText } from './disclosure-routes.ts';
import type { DisclosureService } from './disclosure-service.ts';
import { PORTAL_SESSION_TTL_MS, type PortalService, type ReporterSession, type Speaker } from './portal-service.ts';

/** The portal API's prefix; the API's session cookie is scoped to it. */
export const PORTAL_API = '/api/v1/disclosure/portal';

/** The portal session cookie: path-scoped (so never `__Host-`), `__Secure-` over https. */
export interface PortalCookie {
  readonly name: string;
  readonly secure: boolean;
}
export function portalCookieFor(publicUrl: string): PortalCookie {
  const secure = publicUrl.startsWith('https:');
  return { name: secure ? '__Secure-parapet_vdp_portal' : 'parapet_vdp_portal', secure };
}

/**
 * Sets the session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page
 * sends it), scoped to `path` so no other route of the deployment receives it, and as short-lived
 * as the session (OWASP Session Management Cheat Sheet).
 */
export function setPortalCookie(reply: FastifyReply, cookie: PortalCookie, path: string, token: string): void {
  reply.setCookie(cookie.name, token, { path, httpOnly: true, secure: cookie.secure, sameSite: 'strict', maxAge: PORTAL_SESSION_TTL_MS / 1000 });
}
export function clearPortalCookie(reply: FastifyReply, cookie: PortalCookie, path: string): void {
  reply.clearCookie(cookie.name, { path, httpOnly: true, secure: cookie.secure, sameSite: 'strict' });
}

/** The reporter's live session, or `disclosure_session_required`. */
export async function requireReporter(request: FastifyRequest, portal: Pick<PortalService, 'session'>, cookie: PortalCookie): Promise<ReporterSession> {
  const session = await portal.session(request.cookies[cookie.name]);
  if (session === undefined) throw new AppError('disclosure_session_required');
  return session;
}

/**
 * Sends a stored attachment as a download only: `attachment` disposition with the name encoded per
 * RFC 6266/8187 (never a raw header value), `nosniff` so the browser keeps the declared type, and a
 * sandboxing CSP in case anything opens it in place anyway.
 */
export function sendAttachment(reply: FastifyReply, file: { filename: string; contentType: string; bytes: Buffer }): FastifyReply {
  return reply
    .header('content-disposition', contentDisposition(file.filename, { type: 'attachment' }))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'no-store')
    .type(file.contentType)
    .send(file.bytes);
}

const MessageBody = Type.String({ minLength: 1, maxLength: 10_000 });
const MessageView = Strict({ id: Uuid, author: Type.String({ description: 'reporter or triager' }), body: Type.String(), created_at: Timestamp });
const AttachmentView = Strict({ id: Uuid, filename: Type.String(), content_type: Type.String(), size_bytes: Type.Integer(), created_at: Timestamp });
const DateChange = Strict({ action: Type.Union([Type.Literal('propose'), Type.Literal('agree')]), date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', maxLength: 10 }) });
const Params = Strict({ reportId: Uuid });
const FileParams = Strict({ reportId: Uuid, attachmentId: Uuid });
const Conversation = Strict({ messages: Type.Array(MessageView), attachments: Type.Array(AttachmentView) });

/** The portal's JSON API (reporter, session cookie) and the triagers' side of each conversation. */
export function registerPortalRoutes(server: FastifyInstance, deps: { service: DisclosureService; portal: PortalService; attachments: AttachmentsService; cookie: PortalCookie; now: () => Date }): void {
  const { portal, attachments, cookie } = deps;
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['disclosure'];
  const config = { permission: 'public' as const, rateLimit: 'auth' as const };
  const reporter = async (request: FastifyRequest): Promise<Speaker> => ({ side: 'reporter', session: await requireReporter(request, portal, cookie) });
  const triager = (request: FastifyRequest): Speaker => {
    requirePlatformAdmin(request);
    return { side: 'triager', actor: { ...auditContext(request).actor, id: requireUser(request).userId } };
  };
  const reportView = async (speaker: Speaker, id: string) => {
    const reports = speaker.side === 'reporter' ? await portal.reports(speaker.session) : [];
    const found = reports.find((r) => r.id === id);
    if (found === undefined) throw new AppError('not_found');
    return found;
  };

  app.post(`${PORTAL_API}/session`, {
    config,
    schema: { tags, summary: 'Use a portal link (single use) to open a short portal session; sets an HttpOnly, SameSite=Strict cookie scoped to the portal API', body: Strict({ token: Type.String({ minLength: 1, maxLength: 100 }) }), response: { 204: NoContent, ...errorResponses(400, 429) } },
    handler: async (request, reply) => {
      const opened = await portal.openSession(request.body.token, requestSource(request));
      setPortalCookie(reply, cookie, PORTAL_API, opened.token);
      return reply.status(204).send();
    },
  });

  app.delete(`${PORTAL_API}/session`, {
    config,
    schema: { tags, summary: 'Close the portal session', response: { 204: NoContent, ...errorResponses(401, 429) } },
    handler: async (request, reply) => {
      await portal.closeSession(await requireReporter(request, portal, cookie));
      clearPortalCookie(reply, cookie, PORTAL_API);
      return reply.status(204).send();
    },
  });

  app.get(`${PORTAL_API}/reports`, {
    config,
    schema: { tags, summary: 'The portal session\u2019s reports: text, status, clocks, disclosure date', response: { 200: Strict({ items: Type.Array(ReportWithText) }), ...errorResponses(401, 429) } },
    handler: async (request) => {
      const session = await requireReporter(request, portal, cookie);
      const rows = await deps.service.withContent(await portal.reports(session));
      const now = deps.now();
      return { items: rows.map((r) => withText(r, now)) };
    },
  });

  app.get(`${PORTAL_API}/reports/:reportId/conversation`, {
    config,
    schema: { tags, summary: 'A report\u2019s messages and attachments (the session\u2019s own reports only)', params: Params, response: { 200: Conversation, ...errorResponses(400, 401, 404, 429) } },
    handler: async (request) => {
      const speaker = await reporter(request);
      const id = request.params.reportId.toLowerCase();
      return { messages: await portal.thread(speaker, id), attachments: await attachments.list(speaker, id) };
    },
  });

  app.post(`${PORTAL_API}/reports/:reportId/messages`, {
    config,
    schema: { tags, summary: 'Post a message to the security team about one of the session\u2019s reports', params: Params, body: Strict({ body: MessageBody }), response: { 201: MessageView, ...errorResponses(400, 401, 404, 409, 429) } },
    handler: async (request, reply) => reply.status(201).send(await portal.post(await reporter(request), request.params.reportId.toLowerCase(), request.body.body, requestSource(request))),
  });

  app.post(`${PORTAL_API}/reports/:reportId/disclosure-date`, {
    config,
    schema: { tags, summary: 'Propose a coordinated disclosure date, or agree to the security team\u2019s proposal', params: Params, body: DateChange, response: { 200: ReportView, ...errorResponses(400, 401, 404, 409, 429) } },
    handler: async (request) => {
      const speaker = await reporter(request);
      const id = request.params.reportId.toLowerCase();
      await portal.disclosureDate(speaker, id, request.body, requestSource(request));
      return view(await reportView(speaker, id), deps.now());
    },
  });

  // Uploads are the raw file as the request body, its type the request's Content-Type: only the
  // allowlisted types are read at all, each bounded before it is buffered (413), anything else 415.
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(Object.keys(ATTACHMENT_TYPES), { parseAs: 'buffer', bodyLimit: MAX_ATTACHMENT_BYTES }, (_request, body, done) => {
      done(null, body);
    });
    scope.addContentTypeParser('*', (_request, _payload, done) => {
      done(new AppError('attachment_type_not_allowed'), undefined);
    });
    scope.withTypeProvider<TypeBoxTypeProvider>().post(`${PORTAL_API}/reports/:reportId/attachments`, {
      config,
      bodyLimit: MAX_ATTACHMENT_BYTES,
      schema: {
        tags,
        summary: 'Attach a file (the request body; plain text, PDF, PNG, JPEG, GIF or ZIP; at most 2 MiB, 10 a report); stored encrypted',
        params: Params,
        querystring: Strict({ filename: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 201: AttachmentView, ...errorResponses(400, 401, 404, 413, 415, 429) },
      },
      handler: async (request, reply) => {
        const speaker = await reporter(request);
        if (!Buffer.isBuffer(request.body)) throw new AppError('invalid_request', { detail: 'Send the file as the request body.' });
        const added = await attachments.add(speaker, request.params.reportId.toLowerCase(), { filename: request.query.filename, contentType: request.headers['content-type'] ?? '', bytes: request.body }, requestSource(request));
        return reply.status(201).send(added);
      },
    });
  });

  app.get(`${PORTAL_API}/reports/:reportId/attachments/:attachmentId`, {
    config,
    schema: { tags, summary: 'Download an attachment of one of the session\u2019s reports (always as a download)', params: FileParams, response: { ...errorResponses(400, 401, 404, 429) } },
    handler: async (request, reply) => sendAttachment(reply, await attachments.download(await reporter(request), request.params.reportId.toLowerCase(), request.params.attachmentId.toLowerCase(), requestSource(request))),
  });

  // The triagers' side (platform administrators).
  const admin = '/api/v1/platform/disclosure/reports/:reportId';
  app.get(`${admin}/conversation`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'A report\u2019s messages and attachments (platform administrators)', params: Params, response: { 200: Conversation, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const speaker = triager(request);
      const id = request.params.reportId.toLowerCase();
      return { messages: await portal.thread(speaker, id), attachments: await attachments.list(speaker, id) };
    },
  });

  app.post(`${admin}/messages`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'Answer the reporter in the report\u2019s conversation (platform administrators)', params: Params, body: Strict({ body: MessageBody }), response: { 201: MessageView, ...errorResponses(400, 401, 403, 404, 409, 429) } },
    handler: async (request, reply) => reply.status(201).send(await portal.post(triager(request), request.params.reportId.toLowerCase(), request.body.body, requestSource(request))),
  });

  app.post(`${admin}/disclosure-date`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'Propose a coordinated disclosure date, or agree to the reporter\u2019s (platform administrators)', params: Params, body: DateChange, response: { 200: Strict({ status: Type.Literal('ok') }), ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => {
      await portal.disclosureDate(triager(request), request.params.reportId.toLowerCase(), request.body, requestSource(request));
      return { status: 'ok' as const };
    },
  });

  app.get(`${admin}/attachments/:attachmentId`, {
    config: { permission: 'self' },
    schema: { tags, summary: 'Download a report\u2019s attachment (platform administrators; always as a download; audited)', params: FileParams, response: { ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => sendAttachment(reply, await attachments.download(triager(request), request.params.reportId.toLowerCase(), request.params.attachmentId.toLowerCase(), requestSource(request))),
  });
}
