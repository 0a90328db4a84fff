import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Name, NoContent, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { ALL_PERMISSIONS, BUILT_IN_ROLE_KEYS } from '../access/index.ts';
import { auditContext, requirePrincipal } from '../../platform/http/request-context.ts';
import { DEFAULT_OVERLAP_SECONDS, ROTATION_DUE_DAYS, type ApiKeyRow, type ApiKeysService, type CreatedKey, type KeyActor } from './api-keys-service.ts';
import { keyPrefix } from './key-format.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const PermissionName = Type.Union(ALL_PERMISSIONS.map((p) => Type.Literal(p)));
const RoleKey = Type.Union(BUILT_IN_ROLE_KEYS.map((r) => Type.Literal(r)));
const Mode = Type.Union([Type.Literal('live'), Type.Literal('test')]);
const Signing = Type.Union([Type.Literal('required'), Type.Literal('none')]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('retiring'), Type.Literal('retired'), Type.Literal('expired'), Type.Literal('revoked')]);
const Days = Type.Integer({ minimum: 1, maximum: 3650, description: 'Lifetime in days (default 90; at most PARAPET_API_KEY_MAX_DAYS)' });

const CreateBody = Strict({
  name: Name,
  role: Type.Optional(RoleKey),
  permissions: Type.Optional(Type.Array(PermissionName, { minItems: 1, maxItems: 100, uniqueItems: true })),
  project_id: Type.Optional(Uuid),
  environment_id: Type.Optional(Uuid),
  expires_in_days: Type.Optional(Days),
  mode: Type.Optional(Mode),
  signing: Type.Optional(Signing),
});
const RotateBody = Strict({
  overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: DEFAULT_OVERLAP_SECONDS, description: 'How long the old key keeps working (default and maximum 86400)' })),
  expires_in_days: Type.Optional(Days),
});

const keyProperties = {
  id: Uuid,
  organization_id: Uuid,
  name: Type.String(),
  prefix: Type.String({ description: 'prk_<mode>_<id>: the public part of the key, safe to show' }),
  mode: Mode,
  role: Nullable(RoleKey),
  permissions: Type.Array(Type.String()),
  project_id: Nullable(Uuid),
  environment_id: Nullable(Uuid),
  signing: Signing,
  status: Status,
  rotation_due: Type.Boolean({ description: `True once an active key is ${ROTATION_DUE_DAYS} days old` }),
  created_by: Strict({ type: Type.String(), id: Uuid }),
  created_at: Timestamp,
  expires_at: Timestamp,
  rotated_from: Nullable(Uuid),
  rotated_to: Nullable(Uuid),
  retires_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
  last_used_at: Nullable(Timestamp),
  last_used_ip: Nullable(Type.String()),
};
const ApiKey = Strict(keyProperties);
const CreatedApiKey = Strict({
  ...keyProperties,
  key: Type.String({ description: 'The full key. Shown only in this response.' }),
  signing_secret: Nullable(Type.String({ description: 'The HMAC signing secret (prs_…) when signing is required. Shown only in this response.' })),
});
const Rotated = Strict({ key: CreatedApiKey, previous: ApiKey });
const CurrentKey = Strict({
  id: Uuid,
  organization_id: Uuid,
  name: Type.String(),
  mode: Mode,
  permissions: Type.Array(Type.String()),
  project_id: Nullable(Uuid),
  environment_id: Nullable(Uuid),
  signing: Signing,
  expires_at: Timestamp,
  retires_at: Nullable(Timestamp),
});

const OrgParams = Strict({ orgId: Uuid });
const KeyParams = Strict({ orgId: Uuid, keyId: Uuid });

function status(row: ApiKeyRow, now: Date): Static<typeof Status> {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at <= now) return 'expired';
  if (row.retires_at !== null) return row.retires_at <= now ? 'retired' : 'retiring';
  return 'active';
}

function toApiKey(row: ApiKeyRow, now: Date) {
  const state = status(row, now);
  return {
    id: row.id,
    organization_id: row.tenant_id,
    name: row.name,
    prefix: keyPrefix(row.mode, row.id),
    mode: row.mode,
    role: row.role,
    permissions: row.permissions,
    project_id: row.project_id,
    environment_id: row.environment_id,
    signing: row.signing_secret_sealed === null ? ('none' as const) : ('required' as const),
    status: state,
    rotation_due: state === 'active' && now.getTime() - row.created_at.getTime() >= ROTATION_DUE_DAYS * 86_400_000,
    created_by: { type: row.created_by_type, id: row.created_by },
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    rotated_from: row.rotated_from,
    rotated_to: row.rotated_to,
    retires_at: row.retires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    last_used_ip: row.last_used_ip,
  };
}

function toCreated(created: CreatedKey, now: Date) {
  return { ...toApiKey(created.row, now), key: created.key, signing_secret: created.signingSecret ?? null };
}

function keyActor(request: FastifyRequest): KeyActor {
  return { ...auditContext(request), principal: requirePrincipal(request) };
}

/** REST routes for an organization's API keys (AUTH-7). Secrets appear only in the creation and rotation responses. */
export function registerApiKeysRoutes(server: FastifyInstance, deps: { service: ApiKeysService; clock: Clock }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { service, clock } = deps;
  const tags = ['api-keys'];
  const base = '/api/v1/organizations/:orgId/api-keys';

  app.post(base, {
    config: { permission: 'api_keys.manage' },
    schema: {
      tags,
      summary: 'Create an API key (the key and any signing secret are shown once)',
      description: 'Give either `role` (a built-in role\u2019s permissions) or `permissions`; you must hold each at the key\u2019s scope.',
      params: OrgParams,
      body: CreateBody,
      response: { 201: CreatedApiKey, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const body = request.body;
      const created = await service.create(keyActor(request), orgId.toLowerCase(), {
        name: body.name,
        role: body.role,
        permissions: body.permissions,
        projectId: body.project_id?.toLowerCase(),
        environmentId: body.environment_id?.toLowerCase(),
        expiresInDays: body.expires_in_days,
        mode: body.mode,
        signing: body.signing === 'required',
      });
      return reply.status(201).send(toCreated(created, clock.now()));
    },
  });

  app.get(base, {
    config: { permission: 'api_keys.read' },
    schema: { tags, summary: 'List API keys (never their secrets)', params: OrgParams, querystring: PageQuery, response: { 200: Page(ApiKey), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      const now = clock.now();
      return toPage(await service.list(orgId.toLowerCase(), decodeCursor(query.cursor), query.limit), query.limit, (row) => toApiKey(row, now));
    },
  });

  app.get(`${base}/current`, {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'The API key making this request: its permissions, binding and expiry', params: OrgParams, response: { 200: CurrentKey, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const key = request.apiKey;
      if (key?.principal.tenantId !== orgId.toLowerCase()) throw new AppError('not_found', { detail: 'This request was not made with an API key.' });
      const p = key.principal;
      return {
        id: p.keyId,
        organization_id: p.tenantId,
        name: p.displayName,
        mode: key.mode,
        permissions: [...p.permissions],
        project_id: p.projectId ?? null,
        environment_id: p.environmentId ?? null,
        signing: key.signingSecret === undefined ? ('none' as const) : ('required' as const),
        expires_at: key.expiresAt.toISOString(),
        retires_at: key.retiresAt?.toISOString() ?? null,
      };
    },
  });

  app.get(`${base}/:keyId`, {
    config: { permission: 'api_keys.read' },
    schema: { tags, summary: 'Read an API key (never its secret)', params: KeyParams, response: { 200: ApiKey, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, keyId } = request.params;
      return toApiKey(await service.get(orgId.toLowerCase(), keyId.toLowerCase()), clock.now());
    },
  });

  app.post(`${base}/:keyId/rotate`, {
    config: { permission: 'api_keys.manage' },
    schema: {
      tags,
      summary: 'Rotate an API key: a successor (shown once) replaces it; the old key works until the overlap ends',
      params: KeyParams,
      body: RotateBody,
      response: { 201: Rotated, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { orgId, keyId } = request.params;
      const body = request.body;
      const result = await service.rotate(keyActor(request), orgId.toLowerCase(), keyId.toLowerCase(), { overlapSeconds: body.overlap_seconds, expiresInDays: body.expires_in_days });
      const now = clock.now();
      return reply.status(201).send({ key: toCreated(result.successor, now), previous: toApiKey(result.previous, now) });
    },
  });

  app.delete(`${base}/:keyId`, {
    config: { permission: 'api_keys.manage' },
    schema: { tags, summary: 'Revoke an API key: it stops working at once, everywhere', params: KeyParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId, keyId } = request.params;
      await service.revoke(keyActor(request), orgId.toLowerCase(), keyId.toLowerCase());
      return reply.status(204).send();
    },
  });
}
