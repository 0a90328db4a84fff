import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { acceptFormBodies, formField, formFields } from '../../platform/http/form-body.ts';
import { auditContext, requestSource, requireUser } from '../../platform/http/request-context.ts';
import { Email, errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { renderCodePage, renderNoticePage, renderRequestPage } from './nda-pages.ts';
import type { NdaRequestRow, NdaService } from './nda-service.ts';
import { MAX_PDF_BYTES } from './nda-watermark.ts';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$' });
const Token = Type.String({ minLength: 1, maxLength: 100 });
const Domain = Type.String({ maxLength: 253, pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$' });
const NdaView = Strict({ version: Type.Integer(), sha256: Type.String(), body: Type.String() });
const RequestView = Strict({
  id: Uuid,
  document_id: Uuid,
  email: Type.String(),
  name: Type.String(),
  company: Type.String(),
  nda_version: Type.Integer(),
  nda_sha256: Type.String({ description: 'SHA-256 (hex) of the exact NDA text the requester accepted' }),
  accepted_at: Timestamp,
  accepted_ip: Nullable(Type.String()),
  status: Type.String(),
  approved_by: Nullable(Type.String()),
  verified_at: Nullable(Timestamp),
  approved_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
  created_at: Timestamp,
});
const RequestParams = Strict({ requestId: Uuid });
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const toRequest = (r: NdaRequestRow) => ({
  id: r.id,
  document_id: r.document_id,
  email: r.email,
  name: r.name,
  company: r.company,
  nda_version: r.nda_version,
  nda_sha256: r.nda_sha256,
  accepted_at: r.accepted_at.toISOString(),
  accepted_ip: r.accepted_ip,
  status: r.status,
  approved_by: r.approved_by,
  verified_at: iso(r.verified_at),
  approved_at: iso(r.approved_at),
  revoked_at: iso(r.revoked_at),
  created_at: r.created_at.toISOString(),
});

function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

const sendPdf = (reply: FastifyReply, file: { filename: string; pdf: Uint8Array }) =>
  reply.type('application/pdf').header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${file.filename}"`).send(Buffer.from(file.pdf));

/** Documents under NDA (TR-2): the public pages and API of the request flow, and the platform administrators' API. */
export async function registerNdaRoutes(server: FastifyInstance, deps: { service: NdaService; brand: string }): Promise<void> {
  const { service, brand } = deps;
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['trust'];
  const publicApi = { permission: 'public' as const, rateLimit: 'auth' as const };
  // `same-origin`, not the site's `no-referrer`: under `no-referrer` a browser sends `Origin: null`
  // with a form post (Fetch, "serializing a request origin"), which the CSRF origin check refuses.
  // Nothing secret is in these pages' URLs (codes travel in the fragment, never sent).
  const html = (reply: FastifyReply, body: string, status = 200) => reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);

  // Public pages, plain HTML forms without script. Answers are our own text, never the visitor's.
  app.get('/trust/documents/:entryId/request', { config: { auth: 'public' }, schema: { hide: true, params: Strict({ entryId: Uuid }) } }, async (request, reply) => {
    const found = await service.requestable(request.params.entryId.toLowerCase());
    if (found === undefined) throw new AppError('not_found');
    return html(reply, renderRequestPage(brand, found.document, found.nda));
  });
  app.get('/trust/documents/verify', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => html(reply, renderCodePage(brand, 'verify')));
  app.get('/trust/documents/download', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => html(reply, renderCodePage(brand, 'download')));

  await server.register(async (scope) => {
    acceptFormBodies(scope, { bodyLimit: 16 * 1024 });
    const form = formFields;
    const config = { auth: 'public' as const, rateLimit: 'auth' as const };
    const field = (value: string | undefined, max: number, pattern?: RegExp) => formField(value, max, { noControl: true, ...(pattern === undefined ? {} : { pattern }) });
    const emailShape = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,62}$/;

    scope.post('/trust/documents/:entryId/request', { config, schema: { hide: true, params: Strict({ entryId: Uuid }) } }, async (request, reply) => {
      const f = form(request);
      if (f['accept_nda'] !== 'yes') throw new AppError('invalid_request', { detail: 'Accept the NDA to request the document.' });
      const version = Number(field(f['nda_version'], 9, /^[1-9][0-9]{0,8}$/));
      await service.request({ entryId: (request.params as { entryId: string }).entryId.toLowerCase(), email: field(f['email'], 254, emailShape), name: field(f['name'], 200), company: field(f['company'], 200), ndaVersion: version, source: requestSource(request) });
      return html(reply, renderNoticePage(brand, 'Check your mail', ['We sent a link to the address you gave. Your request goes on once you use it, within 24 hours.']), 202);
    });
    scope.post('/trust/documents/verify', { config, schema: { hide: true } }, async (request, reply) => {
      await service.verify(field(form(request)['token'], 100), requestSource(request));
      return html(reply, renderNoticePage(brand, 'Address confirmed', ['Thank you. Once your request is approved, we mail you a link that downloads the document once.']));
    });
    scope.post('/trust/documents/download', { config, schema: { hide: true } }, async (request, reply) => {
      const f = form(request);
      return sendPdf(reply, await service.download({ email: field(f['email'], 254, emailShape), token: field(f['token'], 100), source: requestSource(request) }));
    });
  });

  // The same flow as JSON, for clients that are not browsers.
  app.get('/api/v1/trust/nda', {
    config: { permission: 'public' },
    schema: { tags, summary: 'The current click-through NDA: version, SHA-256 of the text, and the text', response: { 200: NdaView, ...errorResponses(404) } },
    handler: async () => {
      const nda = await service.currentNda();
      if (nda === undefined) throw new AppError('not_found');
      return nda;
    },
  });

  app.post('/api/v1/trust/nda-requests', {
    config: publicApi,
    schema: {
      tags,
      summary: 'Request a document under NDA, accepting the current NDA version; a verification link is mailed',
      body: Strict({ document_id: Uuid, email: Email, name: Text(200), company: Text(200), nda_version: Type.Integer({ minimum: 1, maximum: 999_999_999 }), accept_nda: Type.Literal(true) }),
      response: { 202: Strict({ status: Type.Literal('verification_sent') }), ...errorResponses(400, 404, 409, 429) },
    },
    handler: async (request, reply) => {
      const b = request.body;
      await service.request({ entryId: b.document_id.toLowerCase(), email: b.email, name: b.name, company: b.company, ndaVersion: b.nda_version, source: requestSource(request) });
      return reply.status(202).send({ status: 'verification_sent' as const });
    },
  });

  app.post('/api/v1/trust/nda-requests/verify', {
    config: publicApi,
    schema: { tags, summary: 'Use a verification link (single use); an approved request is mailed its download link', body: Strict({ token: Token }), response: { 200: Strict({ status: Type.Literal('verified') }), ...errorResponses(400, 429) } },
    handler: async (request) => {
      await service.verify(request.body.token, requestSource(request));
      return { status: 'verified' as const };
    },
  });

  app.post('/api/v1/trust/nda-downloads', {
    config: publicApi,
    schema: { tags, summary: 'Use a download link (single use, expiring, with the address it was mailed to): the watermarked PDF', body: Strict({ email: Email, token: Token }), response: { ...errorResponses(400, 429) } },
    handler: async (request, reply) => sendPdf(reply, await service.download({ email: request.body.email, token: request.body.token, source: requestSource(request) })),
  });

  // Platform administrators.
  app.get('/api/v1/platform/trust/nda', {
    config: { permission: 'self' },
    schema: { tags, summary: 'The current NDA version (platform administrators)', response: { 200: NdaView, ...errorResponses(401, 403, 404) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const nda = await service.currentNda();
      if (nda === undefined) throw new AppError('not_found');
      return nda;
    },
  });

  app.post('/api/v1/platform/trust/nda', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Publish a new NDA version; requests from then on accept it (platform administrators)', body: Strict({ body: Type.String({ minLength: 1, maxLength: 50_000 }) }), response: { 201: NdaView, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      return reply.status(201).send(await service.publishNda(request.body.body, ctx.actor, ctx.source));
    },
  });

  // The PDF itself is the body (Content-Type application/pdf), up to its own size limit.
  await server.register(async (scope) => {
    scope.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: MAX_PDF_BYTES }, (_request, body, done) => {
      done(null, body);
    });
    scope.withTypeProvider<TypeBoxTypeProvider>().put('/api/v1/platform/trust/entries/:entryId/file', {
      config: { permission: 'self' },
      schema: {
        tags,
        summary: 'Upload (or replace) the PDF of a document entry with access "nda" (body: the PDF, application/pdf, at most 10 MiB); stored encrypted (platform administrators)',
        consumes: ['application/pdf'],
        params: Strict({ entryId: Uuid }),
        response: { 200: Strict({ id: Uuid, sha256: Type.String() }), ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
      },
      handler: async (request) => {
        requirePlatformAdmin(request);
        if (!Buffer.isBuffer(request.body)) throw new AppError('unsupported_media_type', { detail: 'Send the PDF itself with Content-Type application/pdf.' });
        const ctx = auditContext(request);
        return service.upload(request.params.entryId.toLowerCase(), request.body, ctx.actor, ctx.source);
      },
    });
  });

  app.get('/api/v1/platform/trust/nda-requests', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Requests for documents under NDA, with the NDA version and hash each accepted (platform administrators)', response: { 200: Strict({ items: Type.Array(RequestView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await service.list()).map(toRequest) };
    },
  });

  // DATA-2 for requesters without an account: the address goes in the body, not the URL (kept out of access logs).
  const ExportedRequest = Strict({
    id: Uuid, document: Type.String(), email: Type.String(), name: Type.String(), company: Type.String(), nda_version: Type.Integer(), nda_sha256: Type.String(),
    accepted_at: Type.String(), accepted_ip: Nullable(Type.String()), status: Type.String(), verified_at: Nullable(Type.String()), approved_at: Nullable(Type.String()), revoked_at: Nullable(Type.String()),
    created_at: Type.String(), links_mailed: Type.Integer(), downloads: Type.Integer(),
  });
  app.post('/api/v1/platform/trust/nda-requests/personal-data', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Everything the trust center holds about one NDA requester\u2019s address, for a data-subject request (DATA-2; platform administrators; audited)', body: Strict({ email: Email }), response: { 200: Strict({ email: Type.String(), requests: Type.Array(ExportedRequest) }), ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      return { email: request.body.email.toLowerCase(), requests: await service.personalData(request.body.email, ctx.actor, ctx.source) };
    },
  });

  for (const action of ['approve', 'reject', 'revoke'] as const) {
    app.post(`/api/v1/platform/trust/nda-requests/:requestId/${action}`, {
      config: { permission: 'self' },
      schema: {
        tags,
        summary: { approve: 'Approve a verified request: a single-use download link is mailed', reject: 'Reject an undecided request', revoke: 'Revoke an approved request: its unused download links stop working' }[action] + ' (platform administrators)',
        params: RequestParams,
        response: { 204: NoContent, ...errorResponses(401, 403, 404, 409) },
      },
      handler: async (request, reply) => {
        requirePlatformAdmin(request);
        const ctx = auditContext(request);
        const id = request.params.requestId.toLowerCase();
        if (action === 'approve') await service.approve(id, ctx.actor, ctx.source);
        else await service.close(id, action, ctx.actor, ctx.source);
        return reply.status(204).send();
      },
    });
  }

  app.get('/api/v1/platform/trust/nda-allowed-domains', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Email domains whose verified requesters are approved by rule (platform administrators)', response: { 200: Strict({ domains: Type.Array(Type.String()) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { domains: await service.allowedDomains() };
    },
  });

  app.put('/api/v1/platform/trust/nda-allowed-domains', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Replace the allowed email domains (platform administrators)', body: Strict({ domains: Type.Array(Domain, { maxItems: 500, uniqueItems: true }) }), response: { 200: Strict({ domains: Type.Array(Type.String()) }), ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const ctx = auditContext(request);
      await service.setAllowedDomains(request.body.domains, ctx.actor, ctx.source);
      return { domains: await service.allowedDomains() };
    },
  });
}
