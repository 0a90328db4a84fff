import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { acceptFormBodies } from '../../platform/http/form-body.ts';
import { Email, errorResponses, Name, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { callerOf, type Principal } from '../access/index.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { SessionCookie } from '../identity/index.ts';
import type { ConnectionsService, ConnectionView, DomainView } from './connections-service.ts';
import { endpointsFor, samlConnectionOf, type SetupTested, type SignedIn, type SignInService } from './sign-in-service.ts';
import { SETUP_PAGES } from './setup-links.ts';
import { samlSpMetadata } from './saml-sp.ts';
import { findConnection } from './sso-store.ts';
import type { SsoIntegrity } from './sso-integrity.ts';
import type { Enforcement } from './enforcement.ts';
import type { AppTransactor } from '../../database.ts';

/** The cookie that binds a started sign-in to the browser (RFC 9700 §4.7.1). */
export const SSO_STATE_COOKIE = 'parapet_sso_state';

const OrgParams = Strict({ orgId: Uuid });
const ConnectionParams = Strict({ orgId: Uuid, connectionId: Uuid });
const DomainParams = Strict({ orgId: Uuid, domainId: Uuid });
const Pem = Type.String({ minLength: 100, maxLength: 10_000 });
const RoleKey = Type.Union([Type.Literal('tenant_admin'), Type.Literal('security_admin'), Type.Literal('security_analyst'), Type.Literal('viewer'), Type.Literal('auditor')], { description: 'The built-in role a user provisioned just in time receives' });

const ConnectionBody = Strict({
  name: Name,
  protocol: Type.Union([Type.Literal('oidc'), Type.Literal('saml')]),
  default_role: RoleKey,
  enabled: Type.Optional(Type.Boolean()),
  oidc: Type.Optional(Strict({ issuer: Type.String({ maxLength: 500 }), client_id: Type.String({ minLength: 1, maxLength: 200 }), client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Write-only: stored encrypted, never returned' })), scopes: Type.Optional(Type.String({ maxLength: 200, pattern: '^openid( [A-Za-z0-9_:.-]+)*$' })) })),
  saml: Type.Optional(
    Strict({
      metadata_xml: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000, description: "The IdP's metadata; or metadata_url; or the three fields below" })),
      metadata_url: Type.Optional(Type.String({ minLength: 9, maxLength: 2000, description: "An https URL of the IdP's metadata, fetched now through the outbound address guard (and again on refresh)" })),
      idp_entity_id: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
      idp_sso_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
      idp_certs: Type.Optional(Type.Array(Pem, { minItems: 1, maxItems: 2, description: 'One signing certificate, or two during a rollover' })),
      allow_idp_initiated: Type.Optional(Type.Boolean({ description: 'Accept unsolicited (IdP-initiated) responses; off by default' })),
    }),
  ),
});
/** This SP's key pair for encrypted assertions: the IdP encrypts to the certificate (published in the SP metadata); null removes it. */
const SpDecryption = Strict({ private_key_pem: Type.String({ minLength: 100, maxLength: 10_000, description: 'Write-only: an RSA private key (PEM), stored encrypted, never returned' }), certificate_pem: Pem });
const ConnectionPatch = Strict({ enabled: Type.Optional(Type.Boolean()), default_role: Type.Optional(RoleKey), idp_certs: Type.Optional(Type.Array(Pem, { minItems: 1, maxItems: 2 })), allow_idp_initiated: Type.Optional(Type.Boolean()), sp_decryption: Type.Optional(Nullable(SpDecryption)), sign_requests: Type.Optional(Type.Boolean({ description: 'Sign AuthnRequests (RSA-SHA256) with the SP key pair; needs sp_decryption' })) });
const Connection = Strict({
  id: Uuid,
  name: Type.String(),
  protocol: Type.String(),
  enabled: Type.Boolean(),
  default_role: Type.String(),
  oidc: Nullable(Strict({ issuer: Type.String(), client_id: Type.String(), scopes: Type.String(), has_client_secret: Type.Boolean(), redirect_uri: Type.String() })),
  saml: Nullable(Strict({ idp_entity_id: Type.String(), idp_sso_url: Type.String(), idp_cert_fingerprints: Type.Array(Type.String()), allow_idp_initiated: Type.Boolean(), metadata_url: Nullable(Type.String()), sp_encryption_cert_fingerprint: Nullable(Type.String()), sign_requests: Type.Boolean(), sp_entity_id: Type.String(), acs_url: Type.String() })),
  created_at: Timestamp,
});
const Domain = Strict({
  id: Uuid,
  domain: Type.String(),
  connection_id: Nullable(Uuid),
  verified: Type.Boolean(),
  verified_at: Nullable(Timestamp),
  verified_by: Nullable(Type.String({ description: 'dns_txt or https_well_known' })),
  txt_record: Strict({ name: Type.String(), value: Type.String() }),
  well_known: Strict({ url: Type.String({ description: 'Or serve `body` at this URL (HTTPS)' }), body: Type.String() }),
});

export interface SsoRouteDeps {
  readonly connections: ConnectionsService;
  readonly signIn: SignInService;
  readonly enforcement: Enforcement;
  readonly transactor: AppTransactor;
  readonly publicUrl: string;
  readonly sessionCookie: SessionCookie;
  readonly actorOf: (principal: Principal) => AuditActor;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
  /** Issue 13: row MACs of connections (a connection without a valid one is absent). */
  readonly integrity: SsoIntegrity;
}

/** A same-origin path to return to after sign-in, or null (never another origin: no open redirect). */
function safeReturnTo(value: string | undefined): string | null {
  if (value === undefined || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.length > 500 || /[\u0000-\u001f]/.test(value)) return null;
  return value;
}

/** The SSO routes: connection and domain administration, the domain lookup, and the sign-in endpoints (issue 18). */
export async function registerSsoRoutes(server: FastifyInstance, deps: SsoRouteDeps): Promise<void> {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['sso'];
  const base = '/api/v1/organizations/:orgId/sso';
  const secure = new URL(deps.publicUrl).protocol === 'https:';

  function toConnection(view: ConnectionView, tenantId: string): Static<typeof Connection> {
    const endpoints = endpointsFor(deps.publicUrl, tenantId, view.id);
    return {
      id: view.id,
      name: view.name,
      protocol: view.protocol,
      enabled: view.enabled,
      default_role: view.defaultRole,
      oidc: view.oidc === null ? null : { issuer: view.oidc.issuer, client_id: view.oidc.clientId, scopes: view.oidc.scopes, has_client_secret: view.oidc.hasClientSecret, redirect_uri: endpoints.oidcRedirect },
      saml: view.saml === null ? null : { idp_entity_id: view.saml.idpEntityId, idp_sso_url: view.saml.idpSsoUrl, idp_cert_fingerprints: [...view.saml.idpCertFingerprints], allow_idp_initiated: view.saml.allowIdpInitiated, metadata_url: view.saml.metadataUrl, sp_encryption_cert_fingerprint: view.saml.spEncryptionCertFingerprint, sign_requests: view.saml.signRequests, sp_entity_id: endpoints.saml.entityId, acs_url: endpoints.saml.acsUrl },
      created_at: view.createdAt.toISOString(),
    };
  }
  const toDomain = (view: DomainView): Static<typeof Domain> => ({ id: view.id, domain: view.domain, connection_id: view.connectionId, verified: view.verified, verified_at: view.verifiedAt?.toISOString() ?? null, verified_by: view.verifiedBy, txt_record: { ...view.txtRecord }, well_known: { ...view.wellKnown } });
  const caller = (request: FastifyRequest) => callerOf(request, deps.actorOf, deps.sourceOf);

  app.get(`${base}/connections`, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'listSsoConnections', summary: "The organization's identity provider connections (never a client secret)", params: OrgParams, response: { 200: Strict({ items: Type.Array(Connection) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const tenantId = request.params.orgId.toLowerCase();
      return { items: (await deps.connections.list(tenantId)).map((v) => toConnection(v, tenantId)) };
    },
  });

  app.post(`${base}/connections`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'createSsoConnection', summary: 'Add an identity provider connection: OIDC (issuer, client) or SAML (IdP metadata uploaded or fetched from its URL, or entity id, SSO URL and one or two certificates)', params: OrgParams, body: ConnectionBody, response: { 201: Connection, ...errorResponses(400, 401, 403, 404, 422) } },
    handler: async (request, reply) => {
      const tenantId = request.params.orgId.toLowerCase();
      const b = request.body;
      const view = await deps.connections.create(caller(request), tenantId, {
        name: b.name,
        protocol: b.protocol,
        defaultRole: b.default_role,
        enabled: b.enabled,
        oidc: b.oidc === undefined ? undefined : { issuer: b.oidc.issuer, clientId: b.oidc.client_id, clientSecret: b.oidc.client_secret, scopes: b.oidc.scopes },
        saml: b.saml === undefined ? undefined : { metadataXml: b.saml.metadata_xml, metadataUrl: b.saml.metadata_url, idpEntityId: b.saml.idp_entity_id, idpSsoUrl: b.saml.idp_sso_url, idpCerts: b.saml.idp_certs, allowIdpInitiated: b.saml.allow_idp_initiated },
      });
      return reply.code(201).send(toConnection(view, tenantId));
    },
  });

  app.get(`${base}/connections/:connectionId`, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'getSsoConnection', summary: 'An identity provider connection', params: ConnectionParams, response: { 200: Connection, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const tenantId = request.params.orgId.toLowerCase();
      return toConnection(await deps.connections.get(tenantId, request.params.connectionId.toLowerCase()), tenantId);
    },
  });

  app.patch(`${base}/connections/:connectionId`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'updateSsoConnection', summary: 'Change a connection: SAML certificates (two during a rollover), IdP-initiated sign-in, default role, enabled', params: ConnectionParams, body: ConnectionPatch, response: { 200: Connection, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const tenantId = request.params.orgId.toLowerCase();
      const b = request.body;
      const view = await deps.connections.update(caller(request), tenantId, request.params.connectionId.toLowerCase(), { enabled: b.enabled, defaultRole: b.default_role, idpCerts: b.idp_certs, allowIdpInitiated: b.allow_idp_initiated, spDecryption: b.sp_decryption === undefined || b.sp_decryption === null ? b.sp_decryption : { privateKeyPem: b.sp_decryption.private_key_pem, certificatePem: b.sp_decryption.certificate_pem }, signRequests: b.sign_requests });
      return toConnection(view, tenantId);
    },
  });

  app.delete(`${base}/connections/:connectionId`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'deleteSsoConnection', summary: 'Delete a connection; sign-ins through it stop. Refused (409) while a claimed domain routes to it', params: ConnectionParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      await deps.connections.remove(caller(request), request.params.orgId.toLowerCase(), request.params.connectionId.toLowerCase());
      return reply.code(204).send();
    },
  });

  app.post(`${base}/connections/:connectionId/refresh-metadata`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'refreshSsoConnectionMetadata', summary: "Fetch a SAML connection's IdP metadata again from its metadata_url (entity id, SSO URL, signing certificates)", params: ConnectionParams, response: { 200: Connection, ...errorResponses(400, 401, 403, 404, 422) } },
    handler: async (request) => {
      const tenantId = request.params.orgId.toLowerCase();
      return toConnection(await deps.connections.refreshMetadata(caller(request), tenantId, request.params.connectionId.toLowerCase()), tenantId);
    },
  });

  app.get(`${base}/connections/:connectionId/saml-metadata`, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'getSsoSpMetadata', summary: "This Parapet's SAML SP metadata for a SAML connection, to import at the IdP", params: ConnectionParams, response: { 200: Strict({ entity_id: Type.String(), acs_url: Type.String(), metadata_xml: Type.String() }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const tenantId = request.params.orgId.toLowerCase();
      const connectionId = request.params.connectionId.toLowerCase();
      const row = await deps.transactor.withTenant(tenantId, (tx) => findConnection(tx, deps.integrity, tenantId, connectionId));
      if (row?.protocol !== 'saml') throw new AppError('not_found');
      const sp = endpointsFor(deps.publicUrl, tenantId, connectionId).saml;
      return { entity_id: sp.entityId, acs_url: sp.acsUrl, metadata_xml: samlSpMetadata({ ...samlConnectionOf(row), decryption: await deps.connections.spDecryption(row), signRequests: row.saml_sign_requests }, sp) };
    },
  });

  app.get(`${base}/domains`, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'listSsoDomains', summary: "The organization's claimed email domains and the TXT record that proves each", params: OrgParams, response: { 200: Strict({ items: Type.Array(Domain) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => ({ items: (await deps.connections.listDomains(request.params.orgId.toLowerCase())).map(toDomain) }),
  });

  app.post(`${base}/domains`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'claimSsoDomain', summary: 'Claim an email domain (routes nothing until verified by its DNS TXT record)', params: OrgParams, body: Strict({ domain: Type.String({ minLength: 3, maxLength: 253 }), connection_id: Type.Optional(Uuid) }), response: { 201: Domain, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      const view = await deps.connections.claimDomain(caller(request), request.params.orgId.toLowerCase(), { domain: request.body.domain, connectionId: request.body.connection_id?.toLowerCase() });
      return reply.code(201).send(toDomain(view));
    },
  });

  app.post(`${base}/domains/:domainId/verify`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'verifySsoDomain', summary: 'Look up the TXT record now and mark the domain verified if it holds the token', params: DomainParams, response: { 200: Domain, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => toDomain(await deps.connections.verifyDomain(caller(request), request.params.orgId.toLowerCase(), request.params.domainId.toLowerCase())),
  });

  app.delete(`${base}/domains/:domainId`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'removeSsoDomain', summary: 'Remove a claimed or verified domain', params: DomainParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await deps.connections.removeDomain(caller(request), request.params.orgId.toLowerCase(), request.params.domainId.toLowerCase());
      return reply.code(204).send();
    },
  });

  const Policy = Strict({ require_sso: Type.Boolean({ description: 'Refuse password and passkey sign-ins for addresses of the verified domains' }), break_glass_user_ids: Type.Array(Uuid, { maxItems: 10, description: 'Accounts that keep local sign-in (each use audited); at least one when require_sso' }) });
  app.get(`${base}/policy`, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'getSsoPolicy', summary: 'Whether the organization requires SSO, and its break-glass accounts', params: OrgParams, response: { 200: Policy, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const policy = await deps.enforcement.get(request.params.orgId.toLowerCase());
      return { require_sso: policy.requireSso, break_glass_user_ids: [...policy.breakGlassUserIds] };
    },
  });
  app.put(`${base}/policy`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'setSsoPolicy', summary: 'Require SSO for the verified domains (naming at least one break-glass account), or stop requiring it', params: OrgParams, body: Policy, response: { 200: Policy, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const policy = await deps.enforcement.set(caller(request), request.params.orgId.toLowerCase(), { requireSso: request.body.require_sso, breakGlassUserIds: request.body.break_glass_user_ids });
      return { require_sso: policy.requireSso, break_glass_user_ids: [...policy.breakGlassUserIds] };
    },
  });

  app.get('/api/v1/sso/lookup', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags,
      operationId: 'lookupSsoByEmail',
      summary: "Whether an email address's domain is verified by an organization with an SSO connection, and where to start (for sign-in pages)",
      description: 'Answers from the domain alone: it never says whether an account exists.',
      querystring: Strict({ email: Email }),
      response: { 200: Strict({ sso: Type.Boolean(), start_url: Type.Optional(Type.String()) }), ...errorResponses(400, 429) },
    },
    handler: async (request) => {
      const route = await deps.signIn.route(request.query.email);
      return route === undefined ? { sso: false } : { sso: true, start_url: `/sso/start?email=${encodeURIComponent(request.query.email)}` };
    },
  });

  const setState = (reply: FastifyReply, state: string) =>
    reply.setCookie(SSO_STATE_COOKIE, state, { path: '/sso/', httpOnly: true, secure, sameSite: secure ? 'none' : 'lax', maxAge: 600 });
  const signedIn = (reply: FastifyReply, result: SignedIn | SetupTested) => {
    reply.clearCookie(SSO_STATE_COOKIE, { path: '/sso/', httpOnly: true, secure, sameSite: secure ? 'none' : 'lax' });
    // The setup portal's test sign-in: back to the portal, which shows the outcome.
    if ('setupLinkId' in result) return reply.redirect(`${SETUP_PAGES}/${result.tenantId}/${result.setupLinkId}`, 303);
    reply.setCookie(deps.sessionCookie.name, result.token, { path: '/', httpOnly: true, secure: deps.sessionCookie.secure, sameSite: 'lax' });
    return reply.redirect(result.returnTo ?? '/console', 303);
  };

  app.get('/sso/start', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags,
      summary: "Start a single sign-on at an organization's connection, or at the connection an email address's verified domain routes to; redirects to the IdP",
      querystring: Strict({ org: Type.Optional(Uuid), connection: Type.Optional(Uuid), email: Type.Optional(Email), return_to: Type.Optional(Type.String({ maxLength: 500 })) }),
      response: { ...errorResponses(400, 404, 429, 503) },
    },
    handler: async (request, reply) => {
      const q = request.query;
      let target: { tenantId: string; connectionId: string } | undefined;
      if (q.org !== undefined && q.connection !== undefined) target = { tenantId: q.org.toLowerCase(), connectionId: q.connection.toLowerCase() };
      else if (q.email !== undefined) target = await deps.signIn.route(q.email);
      else throw new AppError('invalid_request', { detail: 'Give org and connection, or email.' });
      if (target === undefined) throw new AppError('not_found');
      const started = await deps.signIn.start(target.tenantId, target.connectionId, safeReturnTo(q.return_to));
      setState(reply, started.state);
      return reply.redirect(started.redirect, 302);
    },
  });

  app.get('/sso/oidc/:orgId/:connectionId/callback', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags, summary: 'The OIDC redirect URI: exchanges the code and opens a session', params: ConnectionParams, response: { ...errorResponses(400, 401, 404, 429) } },
    handler: async (request, reply) => {
      const result = await deps.signIn.finishOidc({
        tenantId: request.params.orgId.toLowerCase(),
        connectionId: request.params.connectionId.toLowerCase(),
        callbackUrl: new URL(request.url, deps.publicUrl),
        cookieState: request.cookies[SSO_STATE_COOKIE],
        source: deps.sourceOf(request),
      });
      return signedIn(reply, result);
    },
  });

  await app.register(async (scope) => {
    acceptFormBodies(scope, { bodyLimit: 512 * 1024 });
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/sso/saml/:orgId/:connectionId/acs', {
      // The IdP's page posts here from its own origin (SAML HTTP-POST binding); the response is
      // authenticated by its signature, InResponseTo and the state cookie, not by the origin.
      config: { permission: 'public', rateLimit: 'auth', crossSitePost: true },
      schema: {
        tags,
        summary: 'The SAML assertion consumer service (HTTP-POST binding): validates the response and opens a session',
        consumes: ['application/x-www-form-urlencoded'],
        params: ConnectionParams,
        body: Strict({ SAMLResponse: Type.String({ minLength: 1, maxLength: 400_000 }), RelayState: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { ...errorResponses(400, 401, 404, 415, 429) },
      },
      handler: async (request, reply) => {
        const result = await deps.signIn.finishSaml({
          tenantId: request.params.orgId.toLowerCase(),
          connectionId: request.params.connectionId.toLowerCase(),
          samlResponse: request.body.SAMLResponse,
          relayState: request.body.RelayState,
          cookieState: request.cookies[SSO_STATE_COOKIE],
          source: deps.sourceOf(request),
        });
        return signedIn(reply, result);
      },
    });
  });
}
