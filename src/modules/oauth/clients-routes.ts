import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Name, NoContent, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { auditContext, requirePrincipal } from '../../platform/http/request-context.ts';
import { ClientJwks } from './client-jwks.ts';
import type { ClientsService } from './clients-service.ts';
import type { OAuthClientRow } from './oauth-store.ts';

const AuthMethod = Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('private_key_jwt')]);
const Client = Strict({
  client_id: Uuid,
  organization_id: Uuid,
  service_account_id: Uuid,
  name: Type.String(),
  token_endpoint_auth_method: AuthMethod,
  jwks: Type.Union([ClientJwks, Type.Null()]),
  created_at: Timestamp,
});
const CreatedClient = Strict({ ...Client.properties, client_secret: Type.Optional(Type.String({ description: 'Shown once; only its hash is stored.' })) });
const AccountParams = Strict({ orgId: Uuid, serviceAccountId: Uuid });
const ClientParams = Strict({ orgId: Uuid, serviceAccountId: Uuid, clientId: Uuid });
const CreateBody = Strict({
  name: Name,
  token_endpoint_auth_method: Type.Optional(AuthMethod),
  jwks: Type.Optional(ClientJwks),
});

const toClient = (row: OAuthClientRow) => ({
  client_id: row.id,
  organization_id: row.tenant_id,
  service_account_id: row.service_account_id,
  name: row.name,
  token_endpoint_auth_method: row.token_endpoint_auth_method,
  jwks: row.jwks,
  created_at: row.created_at.toISOString(),
});

/** REST routes for a service account's OAuth clients (AUTH-7). */
export function registerClientsRoutes(server: FastifyInstance, service: ClientsService): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['oauth'];
  const base = '/api/v1/organizations/:orgId/service-accounts/:serviceAccountId/clients';

  app.post(base, {
    config: { permission: 'service_accounts.manage' },
    schema: {
      tags,
      summary: 'Create an OAuth client (client credentials) for a service account',
      description: 'A secret client gets a 256-bit `client_secret`, shown in this response only. A `private_key_jwt` client registers `jwks` (Ed25519, P-256 or RSA public keys) instead.',
      params: AccountParams,
      body: CreateBody,
      response: { 201: CreatedClient, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { orgId, serviceAccountId } = request.params;
      const body = request.body;
      const method = body.token_endpoint_auth_method ?? (body.jwks === undefined ? 'client_secret_basic' : 'private_key_jwt');
      if (method === 'private_key_jwt' && body.jwks === undefined) throw new AppError('invalid_request', { errors: [{ pointer: '/body/jwks', detail: 'is required for private_key_jwt' }] });
      if (method !== 'private_key_jwt' && body.jwks !== undefined) throw new AppError('invalid_request', { errors: [{ pointer: '/body/jwks', detail: 'is only for private_key_jwt' }] });
      const { client, secret } = await service.create({ ...auditContext(request), principal: requirePrincipal(request) }, orgId.toLowerCase(), serviceAccountId.toLowerCase(), {
        name: body.name,
        tokenEndpointAuthMethod: method,
        jwks: body.jwks,
      });
      return reply.status(201).send({ ...toClient(client), ...(secret === undefined ? {} : { client_secret: secret }) });
    },
  });
  app.get(base, {
    config: { permission: 'service_accounts.read' },
    schema: { tags, summary: "List a service account's OAuth clients", params: AccountParams, querystring: PageQuery, response: { 200: Page(Client), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, serviceAccountId } = request.params;
      const query = request.query;
      const rows = await service.list(auditContext(request), orgId.toLowerCase(), serviceAccountId.toLowerCase(), { after: decodeCursor(query.cursor), limit: query.limit });
      return toPage(rows, query.limit, toClient);
    },
  });
  app.get(`${base}/:clientId`, {
    config: { permission: 'service_accounts.read' },
    schema: { tags, summary: 'Read an OAuth client (never its secret)', params: ClientParams, response: { 200: Client, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, serviceAccountId, clientId } = request.params;
      return toClient(await service.get(auditContext(request), orgId.toLowerCase(), serviceAccountId.toLowerCase(), clientId.toLowerCase()));
    },
  });
  app.delete(`${base}/:clientId`, {
    config: { permission: 'service_accounts.manage' },
    schema: { tags, summary: 'Delete an OAuth client; its access tokens stop working within a second', params: ClientParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId, serviceAccountId, clientId } = request.params;
      await service.delete(auditContext(request), orgId.toLowerCase(), serviceAccountId.toLowerCase(), clientId.toLowerCase());
      return reply.status(204).send();
    },
  });
}
