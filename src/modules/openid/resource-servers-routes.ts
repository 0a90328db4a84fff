import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Name, NoContent, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { auditContext } from '../../platform/http/request-context.ts';
import { SigningAlgSchema } from './applications-routes.ts';
import { RESOURCE_SCOPE_PATTERN, type ResourceServerRow, type ResourceServers } from './resource-servers.ts';

const ResourceServer = Strict({
  id: Uuid,
  organization_id: Uuid,
  project_id: Uuid,
  environment_id: Uuid,
  application_id: Nullable(Uuid),
  name: Type.String(),
  identifier: Type.String(),
  scopes: Type.Array(Type.String()),
  access_token_ttl_seconds: Type.Integer(),
  access_token_signing_alg: SigningAlgSchema,
  created_at: Timestamp,
});
const EnvParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid });
const OneParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid, resourceServerId: Uuid });
const CreateBody = Strict({
  name: Name,
  identifier: Type.String({ minLength: 1, maxLength: 2000, description: 'The RFC 8707 `resource` value and the `aud` of the access tokens: an absolute https URI (http on loopback only), no fragment.' }),
  scopes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50, description: `The scopes the API defines (\`orders:read\`, matching \`${RESOURCE_SCOPE_PATTERN}\`); none of the OpenID scopes.` }),
  access_token_ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 3600, description: 'Lifetime of its access tokens (default 900).' })),
  application_id: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: "An application of this environment: the API is that application's own, and only it may ask for tokens to it." })),
  access_token_signing_alg: Type.Optional(SigningAlgSchema),
});

const toResourceServer = (row: ResourceServerRow) => ({
  id: row.id,
  organization_id: row.tenant_id,
  project_id: row.project_id,
  environment_id: row.environment_id,
  application_id: row.application_id,
  name: row.name,
  identifier: row.identifier,
  scopes: row.scopes,
  access_token_ttl_seconds: row.access_token_ttl_seconds,
  access_token_signing_alg: row.access_token_signing_alg,
  created_at: row.created_at.toISOString(),
});

/** REST routes for an environment's resource servers (JWT access tokens, RFC 9068). */
export function registerResourceServerRoutes(server: FastifyInstance, service: ResourceServers): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['openid'];
  const base = '/api/v1/organizations/:orgId/projects/:projectId/environments/:environmentId/resource-servers';
  const where = (params: { orgId: string; projectId: string; environmentId: string }) => ({ tenantId: params.orgId.toLowerCase(), projectId: params.projectId.toLowerCase(), environmentId: params.environmentId.toLowerCase() });

  app.post(base, {
    config: { permission: 'applications.manage' },
    schema: {
      tags,
      operationId: 'createResourceServer',
      summary: 'Register an API that accepts JWT access tokens (RFC 9068) from this environment’s applications',
      params: EnvParams,
      body: CreateBody,
      response: { 201: ResourceServer, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const row = await service.create(auditContext(request), where(request.params), { name: body.name, identifier: body.identifier, scopes: body.scopes, accessTokenTtlSeconds: body.access_token_ttl_seconds ?? 900, applicationId: body.application_id?.toLowerCase(), signingAlg: body.access_token_signing_alg ?? 'EdDSA' });
      return reply.status(201).send(toResourceServer(row));
    },
  });
  app.get(base, {
    config: { permission: 'applications.read' },
    schema: { tags, operationId: 'listResourceServers', summary: "List an environment's resource servers", params: EnvParams, querystring: PageQuery, response: { 200: Page(ResourceServer), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const query = request.query;
      const rows = await service.list(auditContext(request), where(request.params), { after: decodeCursor(query.cursor), limit: query.limit });
      return toPage(rows, query.limit, toResourceServer);
    },
  });
  app.get(`${base}/:resourceServerId`, {
    config: { permission: 'applications.read' },
    schema: { tags, operationId: 'getResourceServer', summary: 'Read a resource server', params: OneParams, response: { 200: ResourceServer, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => toResourceServer(await service.get(auditContext(request), where(request.params), request.params.resourceServerId.toLowerCase())),
  });
  app.delete(`${base}/:resourceServerId`, {
    config: { permission: 'applications.manage' },
    schema: { tags, operationId: 'deleteResourceServer', summary: 'Delete a resource server; no new tokens are issued for it', params: OneParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.delete(auditContext(request), where(request.params), request.params.resourceServerId.toLowerCase());
      return reply.status(204).send();
    },
  });
}
