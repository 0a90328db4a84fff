import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorResponses, Name, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { callerOf, type Principal } from '../access/index.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { DirectoriesService, DirectoryView, MappingView } from './directories-service.ts';
import { SCIM_PREFIX } from './scim-routes.ts';

const OrgParams = Strict({ orgId: Uuid });
const DirectoryParams = Strict({ orgId: Uuid, directoryId: Uuid });
const MappingParams = Strict({ orgId: Uuid, directoryId: Uuid, mappingId: Uuid });
const Role = Type.Union([Type.Literal('viewer'), Type.Literal('auditor'), Type.Literal('security_analyst'), Type.Literal('security_admin'), Type.Literal('tenant_admin'), Uuid], { description: 'A built-in role key or a custom role id' });

const Directory = Strict({
  id: Uuid,
  name: Type.String(),
  default_role: Type.String(),
  scim_base_url: Type.String({ description: 'The SCIM 2.0 base URL to give the identity provider' }),
  has_token: Type.Boolean({ description: 'False once the token is revoked' }),
  token_issued_at: Nullable(Timestamp),
  created_at: Timestamp,
  provisioned: Type.Object({ users: Type.Integer({ minimum: 0 }), groups: Type.Integer({ minimum: 0 }) }, { additionalProperties: false, description: 'How many users and groups the identity provider has provisioned' }),
});
const DirectoryWithToken = Strict({ directory: Directory, token: Type.String({ description: 'The bearer token: shown once, stored only as a digest' }) });
const Mapping = Strict({ id: Uuid, group_name: Type.String(), role: Type.String(), created_at: Timestamp });

export interface ScimAdminRouteDeps {
  readonly directories: DirectoriesService;
  readonly publicUrl: string;
  readonly actorOf: (principal: Principal) => AuditActor;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
}

/** The SCIM admin API: an organization's directories, their tokens and group-to-role mappings (issue 18 part 4). */
export function registerScimAdminRoutes(server: FastifyInstance, deps: ScimAdminRouteDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['scim'];
  const base = '/api/v1/organizations/:orgId/scim/directories';
  const caller = (request: FastifyRequest) => callerOf(request, deps.actorOf, deps.sourceOf);
  const toDirectory = (view: DirectoryView): Static<typeof Directory> => ({
    id: view.id,
    name: view.name,
    default_role: view.defaultRole,
    scim_base_url: `${deps.publicUrl.replace(/\/$/, '')}${SCIM_PREFIX}/${view.id}`,
    has_token: view.hasToken,
    token_issued_at: view.tokenIssuedAt?.toISOString() ?? null,
    created_at: view.createdAt.toISOString(),
    provisioned: { users: view.provisioned.users, groups: view.provisioned.groups },
  });
  const toMapping = (view: MappingView): Static<typeof Mapping> => ({ id: view.id, group_name: view.groupName, role: view.role, created_at: view.createdAt.toISOString() });

  app.get(base, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'listScimDirectories', summary: "The organization's SCIM directories (never a token)", params: OrgParams, response: { 200: Strict({ items: Type.Array(Directory) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => ({ items: (await deps.directories.list(request.params.orgId.toLowerCase())).map(toDirectory) }),
  });

  app.post(base, {
    config: { permission: 'settings.manage' },
    schema: {
      tags,
      operationId: 'createScimDirectory',
      summary: 'Create a SCIM directory: answers its bearer token once',
      params: OrgParams,
      body: Strict({ name: Name, default_role: Role }),
      response: { 201: DirectoryWithToken, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const created = await deps.directories.create(caller(request), request.params.orgId.toLowerCase(), { name: request.body.name, defaultRole: request.body.default_role });
      return reply.code(201).header('cache-control', 'no-store').send({ directory: toDirectory(created.directory), token: created.token });
    },
  });

  app.get(`${base}/:directoryId`, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'getScimDirectory', summary: 'A SCIM directory', params: DirectoryParams, response: { 200: Directory, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => toDirectory(await deps.directories.get(request.params.orgId.toLowerCase(), request.params.directoryId.toLowerCase())),
  });

  app.delete(`${base}/:directoryId`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'deleteScimDirectory', summary: 'Delete a SCIM directory (its token stops working; provisioned members stay)', params: DirectoryParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await deps.directories.remove(caller(request), request.params.orgId.toLowerCase(), request.params.directoryId.toLowerCase());
      return reply.status(204).send();
    },
  });

  app.post(`${base}/:directoryId/token`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'rotateScimToken', summary: "Issue a new bearer token (shown once); the previous one stops working at once", params: DirectoryParams, response: { 200: DirectoryWithToken, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const rotated = await deps.directories.rotate(caller(request), request.params.orgId.toLowerCase(), request.params.directoryId.toLowerCase());
      return reply.header('cache-control', 'no-store').send({ directory: toDirectory(rotated.directory), token: rotated.token });
    },
  });

  app.delete(`${base}/:directoryId/token`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'revokeScimToken', summary: "Revoke the directory's bearer token: SCIM requests are refused until a new one is issued", params: DirectoryParams, response: { 200: Directory, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => toDirectory(await deps.directories.revoke(caller(request), request.params.orgId.toLowerCase(), request.params.directoryId.toLowerCase())),
  });

  app.get(`${base}/:directoryId/group-roles`, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'listScimGroupRoles', summary: "The directory's group-to-role mappings", params: DirectoryParams, response: { 200: Strict({ items: Type.Array(Mapping) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => ({ items: (await deps.directories.mappings(request.params.orgId.toLowerCase(), request.params.directoryId.toLowerCase())).map(toMapping) }),
  });

  app.post(`${base}/:directoryId/group-roles`, {
    config: { permission: 'settings.manage' },
    schema: {
      tags,
      operationId: 'createScimGroupRole',
      summary: 'Map a directory group (by displayName, case-insensitive) to a role its members receive',
      params: DirectoryParams,
      body: Strict({ group_name: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }), role: Role }),
      response: { 201: Mapping, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const created = await deps.directories.addMapping(caller(request), request.params.orgId.toLowerCase(), request.params.directoryId.toLowerCase(), { groupName: request.body.group_name, role: request.body.role });
      return reply.code(201).send(toMapping(created));
    },
  });

  app.delete(`${base}/:directoryId/group-roles/:mappingId`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'deleteScimGroupRole', summary: 'Remove a group-to-role mapping (members lose the role at their next directory update)', params: MappingParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await deps.directories.removeMapping(caller(request), request.params.orgId.toLowerCase(), request.params.directoryId.toLowerCase(), request.params.mappingId.toLowerCase());
      return reply.status(204).send();
    },
  });
}
