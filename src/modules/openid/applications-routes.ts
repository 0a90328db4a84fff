import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Name, NoContent, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { auditContext } from '../../platform/http/request-context.ts';
import { DEFAULT_SCOPES, SUPPORTED_SCOPES, TOKEN_LIFETIME_BOUNDS, type ApplicationRow, type ApplicationsService } from './applications-service.ts';

/** The JWS algorithms offered for ID tokens and JWT access tokens: EdDSA (default) or RS256; never symmetric, never `none`. */
export const SigningAlgSchema = Type.Union([Type.Literal('EdDSA'), Type.Literal('RS256')], { description: 'JWS algorithm: `EdDSA` (Ed25519, default) or `RS256` (RSA 3072).' });
const Uri = Type.String({ minLength: 1, maxLength: 2000 });
const Scope = Type.Union(SUPPORTED_SCOPES.map((scope) => Type.Literal(scope)));
const Application = Strict({
  client_id: Uuid,
  organization_id: Uuid,
  project_id: Uuid,
  environment_id: Uuid,
  name: Type.String(),
  client_type: Type.Union([Type.Literal('public'), Type.Literal('confidential')]),
  first_party: Type.Boolean(),
  redirect_uris: Type.Array(Type.String()),
  post_logout_redirect_uris: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  backchannel_logout_uri: Type.Union([Type.String(), Type.Null()]),
  require_pushed_authorization_requests: Type.Boolean(),
  id_token_signed_response_alg: SigningAlgSchema,
  token_endpoint_auth_method: Type.Union([Type.Literal('none'), Type.Literal('client_secret_basic'), Type.Literal('private_key_jwt')]),
  jwks_uri: Type.Union([Type.String(), Type.Null()]),
  has_jwks: Type.Boolean({ description: 'private_key_jwt with a registered JWK Set.' }),
  access_token_ttl_seconds: Type.Integer(),
  id_token_ttl_seconds: Type.Integer(),
  refresh_token_ttl_seconds: Type.Integer(),
  created_at: Timestamp,
});
const CreatedApplication = Strict({ ...Application.properties, client_secret: Type.Optional(Type.String({ description: 'Shown once; only its hash is stored.' })) });
const EnvParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid });
const AppParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid, applicationId: Uuid });
const CreateBody = Strict({
  name: Name,
  client_type: Type.Union([Type.Literal('public'), Type.Literal('confidential')], { description: '`public` (a browser or native app: PKCE, no secret) or `confidential` (a server: a secret, and PKCE too).' }),
  first_party: Type.Optional(Type.Boolean({ description: 'First-party applications skip the consent page (default false).' })),
  redirect_uris: Type.Array(Uri, { minItems: 1, maxItems: 20, description: 'Matched exactly, character for character.' }),
  post_logout_redirect_uris: Type.Optional(Type.Array(Uri, { maxItems: 20 })),
  scopes: Type.Optional(Type.Array(Scope, { maxItems: 10, description: 'Scopes the application may request; `openid` is required (default openid, email, profile, offline_access); `organization` adds the user membership and roles in this organization (`org_id`, `org_roles`) and refuses users who are not members.' })),
  backchannel_logout_uri: Type.Optional(Uri),
  require_pushed_authorization_requests: Type.Optional(Type.Boolean({ description: 'RFC 9126: authorization requests only through the pushed authorization request endpoint (default false).' })),
  id_token_signed_response_alg: Type.Optional(SigningAlgSchema),
  token_endpoint_auth_method: Type.Optional(Type.Union([Type.Literal('client_secret_basic'), Type.Literal('private_key_jwt')], { description: 'Confidential applications: `client_secret_basic` (default; a secret shown once) or `private_key_jwt` (assertions signed with a key of `jwks` or `jwks_uri`).' })),
  jwks: Type.Optional(Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: 10 }) }, { description: 'private_key_jwt: the public signing keys (RSA ≥ 2048 bits, EC, OKP); private or symmetric keys are refused.' })),
  jwks_uri: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'private_key_jwt: where Parapet fetches the public keys (https; through the outbound address guard).' })),
  access_token_ttl_seconds: Type.Optional(Type.Integer({ minimum: TOKEN_LIFETIME_BOUNDS.accessToken.min, maximum: TOKEN_LIFETIME_BOUNDS.accessToken.max, description: 'Default 900.' })),
  id_token_ttl_seconds: Type.Optional(Type.Integer({ minimum: TOKEN_LIFETIME_BOUNDS.idToken.min, maximum: TOKEN_LIFETIME_BOUNDS.idToken.max, description: 'Default 900.' })),
  refresh_token_ttl_seconds: Type.Optional(Type.Integer({ minimum: TOKEN_LIFETIME_BOUNDS.refreshToken.min, maximum: TOKEN_LIFETIME_BOUNDS.refreshToken.max, description: 'Default 604800 (7 days), the platform maximum.' })),
});

const toApplication = (row: ApplicationRow) => ({
  client_id: row.id,
  organization_id: row.tenant_id,
  project_id: row.project_id,
  environment_id: row.environment_id,
  name: row.name,
  client_type: row.client_type,
  first_party: row.first_party,
  redirect_uris: row.redirect_uris,
  post_logout_redirect_uris: row.post_logout_redirect_uris,
  scopes: row.scopes,
  backchannel_logout_uri: row.backchannel_logout_uri,
  require_pushed_authorization_requests: row.require_par,
  id_token_signed_response_alg: row.id_token_signed_response_alg,
  token_endpoint_auth_method: row.token_endpoint_auth_method,
  jwks_uri: row.jwks_uri,
  has_jwks: row.jwks !== null,
  access_token_ttl_seconds: row.access_token_ttl_seconds,
  id_token_ttl_seconds: row.id_token_ttl_seconds,
  refresh_token_ttl_seconds: row.refresh_token_ttl_seconds,
  created_at: row.created_at.toISOString(),
});

/** REST routes for an environment's OpenID applications (issue 17). */
export function registerApplicationsRoutes(server: FastifyInstance, service: ApplicationsService): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['openid'];
  const base = '/api/v1/organizations/:orgId/projects/:projectId/environments/:environmentId/applications';
  const where = (params: { orgId: string; projectId: string; environmentId: string }) => ({ tenantId: params.orgId.toLowerCase(), projectId: params.projectId.toLowerCase(), environmentId: params.environmentId.toLowerCase() });

  app.post(base, {
    config: { permission: 'applications.manage' },
    schema: {
      tags,
      operationId: 'createApplication',
      summary: 'Register an application that signs its users in with Parapet (OpenID Connect)',
      description: 'A confidential application gets a 256-bit `client_secret`, shown in this response only. Every application uses the authorization code flow with PKCE (S256).',
      params: EnvParams,
      body: CreateBody,
      response: { 201: CreatedApplication, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const { application, secret } = await service.create(auditContext(request), where(request.params), {
        name: body.name,
        clientType: body.client_type,
        firstParty: body.first_party ?? false,
        redirectUris: body.redirect_uris,
        postLogoutRedirectUris: body.post_logout_redirect_uris ?? [],
        scopes: body.scopes ?? [...DEFAULT_SCOPES],
        backchannelLogoutUri: body.backchannel_logout_uri,
        requirePar: body.require_pushed_authorization_requests ?? false,
        idTokenSigningAlg: body.id_token_signed_response_alg ?? 'EdDSA',
        ...(body.token_endpoint_auth_method === undefined ? {} : { tokenEndpointAuthMethod: body.token_endpoint_auth_method }),
        ...(body.jwks === undefined ? {} : { jwks: body.jwks }),
        ...(body.jwks_uri === undefined ? {} : { jwksUri: body.jwks_uri }),
        lifetimes: { ...(body.access_token_ttl_seconds === undefined ? {} : { accessToken: body.access_token_ttl_seconds }), ...(body.id_token_ttl_seconds === undefined ? {} : { idToken: body.id_token_ttl_seconds }), ...(body.refresh_token_ttl_seconds === undefined ? {} : { refreshToken: body.refresh_token_ttl_seconds }) },
      });
      return reply.status(201).send({ ...toApplication(application), ...(secret === undefined ? {} : { client_secret: secret }) });
    },
  });
  app.get(base, {
    config: { permission: 'applications.read' },
    schema: { tags, operationId: 'listApplications', summary: "List an environment's applications", params: EnvParams, querystring: PageQuery, response: { 200: Page(Application), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const query = request.query;
      const rows = await service.list(auditContext(request), where(request.params), { after: decodeCursor(query.cursor), limit: query.limit });
      return toPage(rows, query.limit, toApplication);
    },
  });
  app.get(`${base}/:applicationId`, {
    config: { permission: 'applications.read' },
    schema: { tags, operationId: 'getApplication', summary: 'Read an application (never its secret)', params: AppParams, response: { 200: Application, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => toApplication(await service.get(auditContext(request), where(request.params), request.params.applicationId.toLowerCase())),
  });
  app.delete(`${base}/:applicationId`, {
    config: { permission: 'applications.manage' },
    schema: { tags, operationId: 'deleteApplication', summary: 'Delete an application; its codes and tokens stop working', params: AppParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.delete(auditContext(request), where(request.params), request.params.applicationId.toLowerCase());
      return reply.status(204).send();
    },
  });
}
