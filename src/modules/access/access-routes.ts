import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Name, NoContent, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { AccessControl } from './access-control.ts';
import type { Conditions } from './conditions.ts';
import type { AccessService, Caller } from './access-service.ts';
import type { BindingRow, RoleRow, ServiceAccountRow } from './access-store.ts';
import { serializeSnapshot } from './snapshot-format.ts';
import { accessReviewCsv } from './access-review.ts';
import { callerOf } from './access-hook.ts';
import { ALL_PERMISSIONS, BUILT_IN_ROLES, BUILT_IN_ROLE_KEYS, isPermission, PERMISSIONS } from './permissions.ts';
import type { Principal } from './principal.ts';

const PermissionName = Type.String({ minLength: 3, maxLength: 64, pattern: '^[a-z_]+\\.[a-z_]+$', examples: ['audit.read'] });
const Description = Type.String({ maxLength: 500 });
const Cidr = Type.String({ minLength: 2, maxLength: 49, pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$', examples: ['10.0.0.0/8'] });
const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', examples: ['09:00'] });
const ConditionsSchema = Type.Object(
  {
    ip: Type.Optional(Type.Array(Cidr, { minItems: 1, maxItems: 100 })),
    mfa: Type.Optional(Type.Boolean()),
    time: Type.Optional(
      Strict({
        timezone: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$', examples: ['Europe/Berlin'] }),
        days: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, uniqueItems: true })),
        start: HhMm,
        end: HhMm,
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
const Scope = Type.Object({ project_id: Type.Optional(Uuid), environment_id: Type.Optional(Uuid) }, { additionalProperties: false });
const RoleRef = Type.String({ minLength: 1, maxLength: 64, examples: ['viewer'], description: 'A built-in role key (tenant_admin, security_admin, security_analyst, viewer, auditor, service_account) or a custom role id' });

const Role = Strict({
  id: Type.String(),
  built_in: Type.Boolean(),
  name: Type.String(),
  description: Type.String(),
  permissions: Type.Array(Type.String()),
  created_at: Nullable(Timestamp),
  updated_at: Nullable(Timestamp),
});
const Binding = Strict({
  id: Uuid,
  principal: Strict({ type: Type.Union([Type.Literal('user'), Type.Literal('service_account')]), id: Uuid }),
  role: Type.String(),
  scope: Strict({ project_id: Nullable(Uuid), environment_id: Nullable(Uuid) }),
  conditions: Nullable(ConditionsSchema),
  expires_at: Nullable(Timestamp),
  grant_id: Nullable(Uuid),
  created_by: Nullable(Uuid),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
});
const ServiceAccount = Strict({ id: Uuid, organization_id: Uuid, name: Type.String(), description: Type.String(), created_by: Nullable(Uuid), created_at: Timestamp, disabled_at: Nullable(Timestamp) });

const OrgParams = Strict({ orgId: Uuid });
const RoleParams = Strict({ orgId: Uuid, roleId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+$|^[0-9a-fA-F-]{36}$' }) });
const BindingParams = Strict({ orgId: Uuid, bindingId: Uuid });
const ServiceAccountParams = Strict({ orgId: Uuid, serviceAccountId: Uuid });
const RoleBody = Strict({ name: Name, description: Type.Optional(Description), permissions: Type.Array(PermissionName, { minItems: 1, maxItems: 200, uniqueItems: true }) });
const RolePatch = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description), permissions: Type.Optional(Type.Array(PermissionName, { minItems: 1, maxItems: 200, uniqueItems: true })) },
  { additionalProperties: false, minProperties: 1 },
);
const BindingBody = Strict({
  principal: Strict({ type: Type.Union([Type.Literal('user'), Type.Literal('service_account')]), id: Uuid }),
  role: RoleRef,
  scope: Type.Optional(Scope),
  conditions: Type.Optional(ConditionsSchema),
  expires_at: Type.Optional(Timestamp),
});
const BindingQuery = Type.Object({ ...PageQuery.properties, principal_id: Type.Optional(Uuid) }, { additionalProperties: false });
const ServiceAccountBody = Strict({ name: Name, description: Type.Optional(Description) });
const ServiceAccountPatch = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false });

const CheckBody = Strict({
  checks: Type.Array(
    Strict({
      organization_id: Uuid,
      project_id: Type.Optional(Uuid),
      environment_id: Type.Optional(Uuid),
      principal: Strict({ type: Type.Union([Type.Literal('user'), Type.Literal('service_account')]), id: Uuid }),
      permission: PermissionName,
      context: Type.Optional(Strict({ ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9a-fA-F:.]+$', examples: ['192.0.2.1'] })), mfa: Type.Optional(Type.Boolean()) })),
    }),
    { minItems: 1, maxItems: 100 },
  ),
});
const CheckResult = Strict({ allowed: Type.Boolean(), reason: Type.Optional(Type.String()) });

const iso = (date: Date | null) => date?.toISOString() ?? null;
function toRole(row: RoleRow) {
  return { id: row.id, built_in: false, name: row.name, description: row.description, permissions: row.permissions, created_at: iso(row.created_at), updated_at: iso(row.updated_at) };
}
const builtInRoles = BUILT_IN_ROLE_KEYS.map((key) => ({ id: key, built_in: true, name: BUILT_IN_ROLES[key].name, description: BUILT_IN_ROLES[key].description, permissions: [...BUILT_IN_ROLES[key].permissions], created_at: null, updated_at: null }));
/** Stored conditions as the response schema types them: the same fields, arrays copied. */
function toConditions(c: Conditions): Static<typeof ConditionsSchema> {
  return {
    ...(c.ip !== undefined && { ip: [...c.ip] }),
    ...(c.mfa !== undefined && { mfa: c.mfa }),
    ...(c.time !== undefined && { time: { timezone: c.time.timezone, start: c.time.start, end: c.time.end, ...(c.time.days !== undefined && { days: [...c.time.days] }) } }),
  };
}
function toBinding(row: Omit<BindingRow, 'integrity_mac'>) {
  return {
    id: row.id,
    principal: { type: row.principal_type, id: row.principal_id },
    role: row.built_in_role ?? row.custom_role_id ?? '',
    scope: { project_id: row.project_id, environment_id: row.environment_id },
    conditions: row.conditions === null ? null : toConditions(row.conditions),
    expires_at: iso(row.expires_at),
    grant_id: row.grant_id,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    last_used_at: iso(row.last_used_at),
  };
}
function toServiceAccount(row: ServiceAccountRow) {
  return { id: row.id, organization_id: row.tenant_id, name: row.name, description: row.description, created_by: row.created_by, created_at: row.created_at.toISOString(), disabled_at: iso(row.disabled_at) };
}

export interface AccessRouteDeps {
  readonly service: AccessService;
  readonly access: AccessControl;
  readonly actorOf: (principal: Principal) => AuditActor;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
  readonly now: () => Date;
}

/** REST routes for the permission catalogue, roles, bindings, service accounts and decisions (AC-1, AC-2, AC-3). */
export function registerAccessRoutes(server: FastifyInstance, deps: AccessRouteDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { service } = deps;
  const tags = ['access'];
  const org = '/api/v1/organizations/:orgId';

  const caller = (request: FastifyRequest): Caller => callerOf(request, deps.actorOf, deps.sourceOf);

  app.get('/api/v1/permissions', {
    config: { permission: 'public' },
    schema: {
      tags,
      summary: 'The permission catalogue and the built-in roles',
      response: {
        200: Strict({
          permissions: Type.Array(Strict({ name: Type.String(), description: Type.String() })),
          roles: Type.Array(Role),
        }),
      },
    },
    handler: async () => ({ permissions: ALL_PERMISSIONS.map((name) => ({ name, description: PERMISSIONS[name] })), roles: builtInRoles }),
  });

  app.get(`${org}/roles`, {
    config: { permission: 'access.read' },
    schema: { tags, summary: 'Built-in and custom roles of the organization', params: OrgParams, response: { 200: Strict({ items: Type.Array(Role) }), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      return { items: [...builtInRoles, ...(await service.listRoles(orgId)).map(toRole)] };
    },
  });
  app.post(`${org}/roles`, {
    config: { permission: 'access.manage' },
    schema: { tags, summary: 'Create a custom role from catalogue permissions you hold yourself', params: OrgParams, body: RoleBody, response: { 201: Role, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const body = request.body;
      return reply.status(201).send(toRole(await service.createRole(caller(request), orgId, { name: body.name, description: body.description ?? '', permissions: body.permissions })));
    },
  });
  app.get(`${org}/roles/:roleId`, {
    config: { permission: 'access.read' },
    schema: { tags, summary: 'Read a role', params: RoleParams, response: { 200: Role, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, roleId } = request.params;
      const builtIn = builtInRoles.find((role) => role.id === roleId);
      if (builtIn !== undefined) return builtIn;
      if (!/^[0-9a-fA-F-]{36}$/.test(roleId)) throw new AppError('not_found');
      return toRole(await service.getRole(orgId, roleId.toLowerCase()));
    },
  });
  app.patch(`${org}/roles/:roleId`, {
    config: { permission: 'access.manage' },
    schema: { tags, summary: 'Rename a custom role or change its permissions', params: RoleParams, body: RolePatch, response: { 200: Role, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => {
      const { orgId, roleId } = request.params;
      if (!/^[0-9a-fA-F-]{36}$/.test(roleId)) throw new AppError('conflict', { detail: 'Built-in roles cannot be changed.' });
      const body = request.body;
      return toRole(await service.updateRole(caller(request), orgId, roleId.toLowerCase(), body));
    },
  });
  app.delete(`${org}/roles/:roleId`, {
    config: { permission: 'access.manage' },
    schema: { tags, summary: 'Delete a custom role that is no longer bound', params: RoleParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      const { orgId, roleId } = request.params;
      if (!/^[0-9a-fA-F-]{36}$/.test(roleId)) throw new AppError('conflict', { detail: 'Built-in roles cannot be deleted.' });
      await service.deleteRole(caller(request), orgId, roleId.toLowerCase());
      return reply.status(204).send();
    },
  });

  app.get(`${org}/bindings`, {
    config: { permission: 'access.read' },
    schema: { tags, summary: 'Role bindings of the organization (optionally of one principal)', params: OrgParams, querystring: BindingQuery, response: { 200: Page(Binding), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      const rows = await service.listBindings(orgId, { principalId: query.principal_id?.toLowerCase(), after: decodeCursor(query.cursor), limit: query.limit });
      return toPage(rows, query.limit, toBinding);
    },
  });
  app.post(`${org}/bindings`, {
    config: { permission: 'access.manage' },
    schema: {
      tags,
      summary: 'Bind a role to a member or service account at the organization, a project or an environment, with optional conditions and expiry',
      params: OrgParams,
      body: BindingBody,
      response: { 201: Binding, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const body = request.body;
      const binding = await service.createBinding(caller(request), orgId, {
        principal: body.principal,
        role: body.role,
        scope: body.scope ?? {},
        conditions: body.conditions,
        expires_at: body.expires_at === undefined ? undefined : new Date(body.expires_at),
      });
      return reply.status(201).send(toBinding(binding));
    },
  });
  app.get(`${org}/bindings/:bindingId`, {
    config: { permission: 'access.read' },
    schema: { tags, summary: 'Read a role binding', params: BindingParams, response: { 200: Binding, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, bindingId } = request.params;
      return toBinding(await service.getBinding(orgId, bindingId.toLowerCase()));
    },
  });
  app.delete(`${org}/bindings/:bindingId`, {
    config: { permission: 'access.manage' },
    schema: { tags, summary: 'Remove a role binding (the last Tenant Admin cannot be removed)', params: BindingParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      const { orgId, bindingId } = request.params;
      await service.deleteBinding(caller(request), orgId, bindingId.toLowerCase());
      return reply.status(204).send();
    },
  });

  app.get(`${org}/service-accounts`, {
    config: { permission: 'service_accounts.read' },
    schema: { tags, summary: 'Service accounts of the organization', params: OrgParams, querystring: PageQuery, response: { 200: Page(ServiceAccount), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      return toPage(await service.listServiceAccounts(orgId, { after: decodeCursor(query.cursor), limit: query.limit }), query.limit, toServiceAccount);
    },
  });
  app.post(`${org}/service-accounts`, {
    config: { permission: 'service_accounts.manage' },
    schema: { tags, summary: 'Create a service account (bind roles to it, then give it credentials)', params: OrgParams, body: ServiceAccountBody, response: { 201: ServiceAccount, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const body = request.body;
      return reply.status(201).send(toServiceAccount(await service.createServiceAccount(caller(request), orgId, { name: body.name, description: body.description ?? '' })));
    },
  });
  app.get(`${org}/service-accounts/:serviceAccountId`, {
    config: { permission: 'service_accounts.read' },
    schema: { tags, summary: 'Read a service account', params: ServiceAccountParams, response: { 200: ServiceAccount, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, serviceAccountId } = request.params;
      return toServiceAccount(await service.getServiceAccount(orgId, serviceAccountId.toLowerCase()));
    },
  });
  app.patch(`${org}/service-accounts/:serviceAccountId`, {
    config: { permission: 'service_accounts.manage' },
    schema: { tags, summary: 'Disable or re-enable a service account', params: ServiceAccountParams, body: ServiceAccountPatch, response: { 200: ServiceAccount, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, serviceAccountId } = request.params;
      const body = request.body;
      return toServiceAccount(await service.setServiceAccountDisabled(caller(request), orgId, serviceAccountId.toLowerCase(), body.disabled));
    },
  });
  app.delete(`${org}/service-accounts/:serviceAccountId`, {
    config: { permission: 'service_accounts.manage' },
    schema: { tags, summary: 'Delete a service account and its bindings', params: ServiceAccountParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId, serviceAccountId } = request.params;
      await service.deleteServiceAccount(caller(request), orgId, serviceAccountId.toLowerCase());
      return reply.status(204).send();
    },
  });

  const ReviewQuery = Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }) }, { additionalProperties: false });
  app.get(`${org}/access-review`, {
    config: { permission: 'access_review.read' },
    schema: {
      tags,
      summary: 'Access review: every principal, its effective permissions per scope and where they come from, last use, and flags (stale grants, credentials older than 90 days)',
      params: OrgParams,
      querystring: ReviewQuery,
      response: { 200: Type.Unknown(), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const { format } = request.query;
      const review = await service.accessReview(caller(request), orgId, format);
      reply.header('cache-control', 'no-store');
      if (format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="access-review-${orgId}.csv"`)
          .send(accessReviewCsv(review));
      }
      return reply.send(review);
    },
  });

  app.post('/api/v1/authz/check', {
    config: { permission: 'authz.check', authorizeInHandler: true },
    schema: {
      tags,
      summary: 'Batch permission decisions for an integrating app: may this principal do this here? (the caller needs authz.check in each organization asked about)',
      body: CheckBody,
      response: { 200: Strict({ results: Type.Array(CheckResult) }), ...errorResponses(400, 401) },
    },
    handler: async (request) => {
      const ctx = caller(request);
      const body = request.body;
      const now = deps.now();
      const mayAsk = new Map<string, boolean>();
      const results = [];
      for (const check of body.checks) {
        const tenantId = check.organization_id.toLowerCase();
        let allowedToAsk = mayAsk.get(tenantId);
        if (allowedToAsk === undefined) {
          allowedToAsk = (await deps.access.can(ctx.principal, 'authz.check', { tenantId }, { ip: ctx.source.ip ?? '', mfa: false, now })).allowed;
          mayAsk.set(tenantId, allowedToAsk);
        }
        // An organization the caller may not ask about answers as if it did not exist.
        if (!allowedToAsk || !isPermission(check.permission)) {
          results.push({ allowed: false, reason: allowedToAsk ? 'unknown_permission' : 'not_found' });
          continue;
        }
        const subject: Principal =
          check.principal.type === 'user'
            ? { kind: 'user', userId: check.principal.id.toLowerCase(), sessionId: '', email: '', displayName: '', isPlatformAdmin: false, authMethods: check.context?.mfa === true ? ['mfa'] : [], authenticatedAt: now }
            : { kind: 'service_account', serviceAccountId: check.principal.id.toLowerCase(), tenantId, displayName: '', clientId: '', scope: undefined };
        const decision = await deps.access.can(subject, check.permission, { tenantId, projectId: check.project_id?.toLowerCase(), environmentId: check.environment_id?.toLowerCase() }, {
          ip: check.context?.ip ?? '',
          mfa: check.context?.mfa === true,
          now,
        });
        results.push(decision.allowed ? { allowed: true } : { allowed: false, reason: decision.reason });
      }
      return { results };
    },
  });

  app.get(`${org}/authz/snapshot`, {
    config: { permission: 'authz.check' },
    schema: {
      tags,
      summary: 'The bindings snapshot an SDK evaluates locally (members, bindings with their permissions, conditions and expiry, environment → project)',
      params: OrgParams,
      response: { 200: Type.Unknown(), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const snapshot = await service.exportSnapshot(orgId);
      return reply.header('cache-control', 'no-store').send(serializeSnapshot(snapshot));
    },
  });
}
