import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { callerOf, factsFor, type AccessControl, type Permission, type Principal } from '../access/index.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { MemberKey, MembersService, MemberView } from './members-service.ts';

const OrgParams = Strict({ orgId: Uuid });
const MemberParams = Strict({ orgId: Uuid, userId: Uuid });
const Role = Strict({
  binding_id: Uuid,
  role: Type.String({ description: 'A built-in role key or a custom role id' }),
  scope: Strict({ project_id: Nullable(Uuid), environment_id: Nullable(Uuid) }),
  expires_at: Nullable(Timestamp),
  conditional: Type.Boolean(),
});
const MemberFields = {
  user_id: Uuid,
  email: Type.String(),
  display_name: Type.String(),
  joined_at: Timestamp,
  roles: Type.Optional(Type.Array(Role, { description: 'Only for callers holding access.read.' })),
  mfa: Type.Optional(Type.Object({ enabled: Type.Boolean(), methods: Type.Array(Type.String()) }, { additionalProperties: false, description: 'Only for callers holding access.read.' })),
  last_sign_in_at: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'Only for callers holding access.read.' })),
};
const Member = Strict(MemberFields);
const MemberKeySchema = Strict({
  id: Uuid,
  name: Type.String(),
  mode: Type.Union([Type.Literal('live'), Type.Literal('test')]),
  permissions: Type.Array(Type.String()),
  scope: Strict({ project_id: Nullable(Uuid), environment_id: Nullable(Uuid) }),
  expires_at: Timestamp,
  suspended: Type.Boolean({ description: 'The member holds none of the key\u2019s permissions at its scope any more: the key is refused until they do (issue 14).' }),
});
const MemberPage = Strict({
  ...MemberFields,
  member: Type.Boolean({ description: 'False for a former member whose API keys still exist here.' }),
  api_keys: Type.Optional(Type.Array(MemberKeySchema, { description: 'Live keys the member made; only for callers holding api_keys.read.' })),
});
const Removed = Strict({ bindings_removed: Type.Integer({ minimum: 0 }), sessions_ended: Type.Integer({ minimum: 0 }), api_keys_suspended: Type.Integer({ minimum: 0 }) });

function toMember(view: MemberView): Static<typeof Member> {
  const base = { user_id: view.id, email: view.email, display_name: view.displayName, joined_at: view.joinedAt.toISOString() };
  if (view.details === undefined) return base;
  return {
    ...base,
    roles: view.details.roles.map((r) => ({ binding_id: r.bindingId, role: r.role, scope: { project_id: r.projectId, environment_id: r.environmentId }, expires_at: r.expiresAt?.toISOString() ?? null, conditional: r.conditions !== null })),
    mfa: { enabled: view.details.mfaEnabled, methods: [...view.details.mfaMethods] },
    last_sign_in_at: view.details.lastSignInAt?.toISOString() ?? null,
  };
}

function toKey(key: MemberKey): Static<typeof MemberKeySchema> {
  return { id: key.id, name: key.name, mode: key.mode, permissions: [...key.permissions], scope: { project_id: key.projectId, environment_id: key.environmentId }, expires_at: key.expiresAt.toISOString(), suspended: key.suspended };
}

export interface MembersRouteDeps {
  readonly service: MembersService;
  readonly access: Pick<AccessControl, 'can'>;
  readonly actorOf: (principal: Principal) => AuditActor;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
  readonly now: () => Date;
}

/** The members of an organization: list, read (with the keys they made), remove (issue 14 part 4). */
export function registerMembersRoutes(server: FastifyInstance, deps: MembersRouteDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['members'];
  const base = '/api/v1/organizations/:orgId/members';

  /** Whether the caller also holds `permission` over the whole organization (what widens an answer). */
  async function mayAlso(request: FastifyRequest, tenantId: string, permission: Permission): Promise<boolean> {
    const caller = callerOf(request, deps.actorOf, deps.sourceOf);
    return (await deps.access.can(caller.principal, permission, { tenantId }, factsFor(caller.principal, caller.source.ip ?? '', deps.now()))).allowed;
  }

  app.get(base, {
    config: { permission: 'members.read' },
    schema: {
      tags,
      operationId: 'listMembers',
      summary: 'Members of the organization, by user id; with roles, second factors and last sign-in for callers holding access.read',
      params: OrgParams,
      querystring: PageQuery,
      response: { 200: Page(Member), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      const tenantId = orgId.toLowerCase();
      const rows = await deps.service.list(tenantId, { after: decodeCursor(query.cursor), limit: query.limit }, await mayAlso(request, tenantId, 'access.read'));
      return toPage(rows, query.limit, toMember);
    },
  });

  app.get(`${base}/:userId`, {
    config: { permission: 'members.read' },
    schema: {
      tags,
      operationId: 'getMember',
      summary: 'A member (or a former member whose API keys remain), with the live API keys they made and whether each is suspended',
      params: MemberParams,
      response: { 200: MemberPage, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { orgId, userId } = request.params;
      const tenantId = orgId.toLowerCase();
      const [detailed, withKeys] = [await mayAlso(request, tenantId, 'access.read'), await mayAlso(request, tenantId, 'api_keys.read')];
      const found = await deps.service.get(tenantId, userId.toLowerCase(), { detailed, withKeys });
      return { ...toMember(found.member), member: found.isMember, ...(found.keys === undefined ? {} : { api_keys: found.keys.map(toKey) }) };
    },
  });

  app.delete(`${base}/:userId`, {
    config: { permission: 'members.manage' },
    schema: {
      tags,
      operationId: 'removeMember',
      summary: 'Remove a member: their bindings and sessions end and the API keys they made are suspended (needs every permission they hold; the last Tenant Admin cannot be removed)',
      params: MemberParams,
      response: { 200: Removed, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      const { orgId, userId } = request.params;
      const result = await deps.service.remove(callerOf(request, deps.actorOf, deps.sourceOf), orgId.toLowerCase(), userId.toLowerCase());
      return { bindings_removed: result.bindings, sessions_ended: result.sessions, api_keys_suspended: result.keysSuspended };
    },
  });
}
