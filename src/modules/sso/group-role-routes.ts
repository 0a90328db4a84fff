import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { callerOf, type Principal } from '../access/index.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { GroupRoles, GroupRuleView } from './group-roles.ts';

const ConnectionParams = Strict({ orgId: Uuid, connectionId: Uuid });
const RuleParams = Strict({ orgId: Uuid, connectionId: Uuid, ruleId: Uuid });
const Role = Type.Union([Type.Literal('viewer'), Type.Literal('auditor'), Type.Literal('security_analyst'), Type.Literal('security_admin'), Type.Literal('tenant_admin'), Uuid], { description: 'A built-in role key or a custom role id' });
const Rule = Strict({ id: Uuid, connection_id: Uuid, group_name: Type.String(), role: Type.String(), project_id: Nullable(Uuid), created_at: Timestamp });

const toRule = (view: GroupRuleView): Static<typeof Rule> => ({ id: view.id, connection_id: view.connectionId, group_name: view.groupName, role: view.role, project_id: view.projectId, created_at: view.createdAt.toISOString() });

/** A connection's group-to-role rules (issue 18 part 4): read with `organization.read`, changed with `settings.manage`. */
export function registerGroupRoleRoutes(server: FastifyInstance, deps: { groupRoles: GroupRoles; actorOf: (principal: Principal) => AuditActor; sourceOf: (request: FastifyRequest) => AuditSource }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['sso'];
  const base = '/api/v1/organizations/:orgId/sso/connections/:connectionId/group-roles';
  const caller = (request: FastifyRequest) => callerOf(request, deps.actorOf, deps.sourceOf);

  app.get(base, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'listSsoGroupRoles', summary: "The connection's rules mapping IdP groups to roles", params: ConnectionParams, response: { 200: Strict({ items: Type.Array(Rule) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => ({ items: (await deps.groupRoles.list(request.params.orgId.toLowerCase(), request.params.connectionId.toLowerCase())).map(toRule) }),
  });

  app.post(base, {
    config: { permission: 'settings.manage' },
    schema: {
      tags,
      operationId: 'createSsoGroupRole',
      summary: 'Map an IdP group (case-insensitive) to a role its members hold after each sign-in, organization-wide or at one project; you must hold every permission of the role',
      params: ConnectionParams,
      body: Strict({ group_name: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }), role: Role, project_id: Type.Optional(Uuid) }),
      response: { 201: Rule, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const created = await deps.groupRoles.add(caller(request), request.params.orgId.toLowerCase(), request.params.connectionId.toLowerCase(), { groupName: request.body.group_name, role: request.body.role.toLowerCase(), projectId: request.body.project_id?.toLowerCase() });
      return reply.code(201).send(toRule(created));
    },
  });

  app.delete(`${base}/:ruleId`, {
    config: { permission: 'settings.manage' },
    schema: { tags, operationId: 'deleteSsoGroupRole', summary: "Remove a rule (the bindings it made end at each user's next sign-in)", params: RuleParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await deps.groupRoles.remove(caller(request), request.params.orgId.toLowerCase(), request.params.connectionId.toLowerCase(), request.params.ruleId.toLowerCase());
      return reply.code(204).send();
    },
  });
}
