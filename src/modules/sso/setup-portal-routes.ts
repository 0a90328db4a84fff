import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import { AppError } from '../../platform/http/errors.ts';
import { acceptFormBodies, formField, formFields } from '../../platform/http/form-body.ts';
import { errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { callerOf, type Principal } from '../access/index.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { ConnectionsService } from './connections-service.ts';
import { linkActor, MAX_LINK_HOURS, SETUP_PAGES, type SetupLinks, type SetupLinkView } from './setup-links.ts';
import { renderOpenPage, renderPortalPage, type PortalConnection } from './setup-pages.ts';
import { endpointsFor, samlConnectionOf, type SignInService } from './sign-in-service.ts';
import { samlSpMetadata } from './saml-sp.ts';
import { findConnection } from './sso-store.ts';
import { SSO_STATE_COOKIE } from './sso-routes.ts';
import type { SsoIntegrity } from './sso-integrity.ts';

/** The portal's cookie: bound to one link (its path), opened in one browser. */
export const SETUP_COOKIE = 'parapet_sso_setup';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const Link = Strict({ id: Uuid, created_at: Timestamp, expires_at: Timestamp, revoked_at: Nullable(Timestamp), opened_at: Nullable(Timestamp), last_test_at: Nullable(Timestamp), last_test_outcome: Nullable(Type.String()) });
const toLink = (v: SetupLinkView): Static<typeof Link> => ({ id: v.id, created_at: v.createdAt.toISOString(), expires_at: v.expiresAt.toISOString(), revoked_at: v.revokedAt?.toISOString() ?? null, opened_at: v.openedAt?.toISOString() ?? null, last_test_at: v.lastTestAt?.toISOString() ?? null, last_test_outcome: v.lastTestOutcome });

export interface SetupPortalDeps {
  readonly links: SetupLinks;
  readonly connections: ConnectionsService;
  readonly signIn: SignInService;
  readonly transactor: AppTransactor;
  readonly integrity: SsoIntegrity;
  readonly publicUrl: string;
  readonly actorOf: (principal: Principal) => AuditActor;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
}

/**
 * The self-serve setup portal (issue 18 part 5): the administrators' API that makes, lists and
 * revokes links, and the portal's pages (HTML without script, strict CSP) where an IT
 * administrator without an account adds the organization's SAML or OIDC connection and tests it.
 */
export async function registerSetupPortalRoutes(server: FastifyInstance, deps: SetupPortalDeps): Promise<void> {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['sso'];
  const base = '/api/v1/organizations/:orgId/sso/setup-links';
  const secure = new URL(deps.publicUrl).protocol === 'https:';
  const caller = (request: FastifyRequest) => callerOf(request, deps.actorOf, deps.sourceOf);

  app.get(base, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'listSsoSetupLinks', summary: "The organization's setup links (never their secrets)", params: Strict({ orgId: Uuid }), response: { 200: Strict({ items: Type.Array(Link) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => ({ items: (await deps.links.list(request.params.orgId.toLowerCase())).map(toLink) }),
  });
  app.post(base, {
    config: { permission: 'settings.manage' },
    schema: {
      tags,
      operationId: 'createSsoSetupLink',
      summary: 'Make a setup link for the IT administrator: opens once, in one browser, until it expires; the URL (with its secret) is shown in this answer only',
      params: Strict({ orgId: Uuid }),
      body: Strict({ expires_in_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LINK_HOURS })) }),
      response: { 201: Strict({ link: Link, url: Type.String() }), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const made = await deps.links.create(caller(request), request.params.orgId.toLowerCase(), request.body.expires_in_hours);
      return reply.code(201).header('cache-control', 'no-store').send({ link: toLink(made.link), url: made.url });
    },
  });
  app.delete(`${base}/:linkId`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'revokeSsoSetupLink', summary: 'Revoke a setup link: it stops at once, also in the browser that opened it', params: Strict({ orgId: Uuid, linkId: Uuid }), response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await deps.links.revoke(caller(request), request.params.orgId.toLowerCase(), request.params.linkId.toLowerCase());
      return reply.code(204).send();
    },
  });

  // The pages. No session cookie acts here; the portal cookie and a form token bound to it do.
  await server.register(async (scope) => {
    acceptFormBodies(scope, { bodyLimit: 256 * 1024 });
    const config = { permission: 'public' as const, rateLimit: 'auth' as const };
    const page = (reply: FastifyReply, body: string, status = 200) => reply.status(status).header('cache-control', 'no-store').header('referrer-policy', 'same-origin').type('text/html; charset=utf-8').send(body);
    const ids = (request: FastifyRequest): { tenantId: string; linkId: string; path: string } => {
      const p = request.params as Record<string, string | undefined>;
      const tenantId = p['orgId'] ?? '';
      const linkId = p['linkId'] ?? '';
      if (!UUID.test(tenantId) || !UUID.test(linkId)) throw new AppError('not_found');
      return { tenantId: tenantId.toLowerCase(), linkId: linkId.toLowerCase(), path: `${SETUP_PAGES}/${tenantId.toLowerCase()}/${linkId.toLowerCase()}` };
    };
    /** The live link this browser opened; otherwise the one answer for every reason. */
    const opened = async (request: FastifyRequest) => {
      const where = ids(request);
      const token = request.cookies[SETUP_COOKIE];
      const link = await deps.links.session(where.tenantId, where.linkId, token);
      if (link === undefined || token === undefined) throw new AppError('sso_setup_link_invalid');
      return { ...where, link, token };
    };
    /** A form post: the link is open in this browser and the form carries its token (CSRF, OWASP synchronizer token). */
    const posted = async (request: FastifyRequest) => {
      const session = await opened(request);
      if (!deps.links.csrfValid(session.linkId, session.token, formFields(request)['csrf'])) throw new AppError('forbidden', { detail: 'The form is out of date; reload the page.' });
      return session;
    };
    const portalCaller = (request: FastifyRequest, linkId: string) => ({ userId: '', actor: linkActor(linkId), source: deps.sourceOf(request), principal: undefined });

    scope.get(`${SETUP_PAGES}/:orgId/:linkId/:secret`, { config, schema: { hide: true } }, async (request, reply) => {
      ids(request);
      return page(reply, renderOpenPage());
    });
    scope.post(`${SETUP_PAGES}/:orgId/:linkId/:secret`, { config, schema: { hide: true } }, async (request, reply) => {
      const where = ids(request);
      const secret = (request.params as Record<string, string | undefined>)['secret'] ?? '';
      const token = await deps.links.open(where.tenantId, where.linkId, secret.slice(0, 100), deps.sourceOf(request));
      reply.setCookie(SETUP_COOKIE, token, { path: where.path, httpOnly: true, secure, sameSite: 'lax' });
      // Away from the URL holding the secret (history, Referer).
      return reply.redirect(where.path, 303);
    });

    scope.get(`${SETUP_PAGES}/:orgId/:linkId`, { config, schema: { hide: true } }, async (request, reply) => {
      const session = await opened(request);
      const views = await deps.connections.list(session.tenantId);
      const connections: PortalConnection[] = views.map((view) => {
        const e = endpointsFor(deps.publicUrl, session.tenantId, view.id);
        return { view, oidcRedirect: e.oidcRedirect, spEntityId: e.saml.entityId, acsUrl: e.saml.acsUrl, metadataPath: `${session.path}/connections/${view.id}/saml-metadata` };
      });
      const notice = (request.query as Record<string, string | undefined>)['added'] === '1' ? 'The connection is added. Give the identity provider the values shown for it, then test it.' : undefined;
      return page(reply, renderPortalPage({ base: session.path, csrf: deps.links.csrfToken(session.linkId, session.token), link: session.link, connections, notice }));
    });

    scope.get(`${SETUP_PAGES}/:orgId/:linkId/connections/:connectionId/saml-metadata`, { config, schema: { hide: true } }, async (request, reply) => {
      const session = await opened(request);
      const connectionId = (request.params as Record<string, string | undefined>)['connectionId'] ?? '';
      if (!UUID.test(connectionId)) throw new AppError('not_found');
      // Read in the link's organization: another organization's connection is not found (RLS).
      const row = await deps.transactor.withTenant(session.tenantId, (tx) => findConnection(tx, deps.integrity, session.tenantId, connectionId.toLowerCase()));
      if (row?.protocol !== 'saml') throw new AppError('not_found');
      const sp = endpointsFor(deps.publicUrl, session.tenantId, row.id).saml;
      const xml = samlSpMetadata({ ...samlConnectionOf(row), decryption: await deps.connections.spDecryption(row), signRequests: row.saml_sign_requests }, sp);
      return reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="parapet-sp-metadata-${row.id}.xml"`).type('application/samlmetadata+xml').send(xml);
    });

    scope.post(`${SETUP_PAGES}/:orgId/:linkId/connections`, { config, schema: { hide: true } }, async (request, reply) => {
      const session = await posted(request);
      const f = formFields(request);
      const name = formField(f['name'], 100, { nonEmpty: true });
      const protocol = f['protocol'];
      // New users through a portal-made connection get the least role; the organization's administrators change it.
      const common = { name, defaultRole: 'viewer', enabled: true } as const;
      if (protocol === 'saml') {
        await deps.connections.create(portalCaller(request, session.linkId), session.tenantId, { ...common, protocol: 'saml', saml: { metadataXml: formField(f['metadata_xml'], 200_000, { nonEmpty: true }), metadataUrl: undefined, idpEntityId: undefined, idpSsoUrl: undefined, idpCerts: undefined, allowIdpInitiated: false } });
      } else if (protocol === 'oidc') {
        await deps.connections.create(portalCaller(request, session.linkId), session.tenantId, { ...common, protocol: 'oidc', oidc: { issuer: formField(f['issuer'], 500, { nonEmpty: true }), clientId: formField(f['client_id'], 200, { nonEmpty: true }), clientSecret: f['client_secret'] === undefined ? undefined : formField(f['client_secret'], 500, { nonEmpty: true }), scopes: undefined } });
      } else {
        throw new AppError('invalid_request', { detail: 'Choose SAML or OIDC.' });
      }
      return reply.redirect(`${session.path}?added=1`, 303);
    });

    scope.post(`${SETUP_PAGES}/:orgId/:linkId/test`, { config, schema: { hide: true } }, async (request, reply) => {
      const session = await posted(request);
      const connectionId = formFields(request)['connection_id'] ?? '';
      if (!UUID.test(connectionId)) throw new AppError('not_found');
      // Started in the link's organization: another organization's connection is not found there.
      const started = await deps.signIn.start(session.tenantId, connectionId.toLowerCase(), null, session.linkId);
      // The same state cookie as any sign-in (sso-routes.ts): the callback checks it.
      reply.setCookie(SSO_STATE_COOKIE, started.state, { path: '/sso/', httpOnly: true, secure, sameSite: secure ? 'none' : 'lax', maxAge: 600 });
      return reply.redirect(started.redirect, 303);
    });
  });
}
