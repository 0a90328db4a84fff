import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, NoContent, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { auditContext } from '../../platform/http/request-context.ts';
import { MAX_SECRET_BYTES, type SecretRow, type SecretsService, type SecretVersionMeta } from './secrets-service.ts';

// Names are checked by the service (problem `invalid_secret_name`), so the schema only bounds them.
const SecretName = Type.String({ minLength: 1, maxLength: 200, description: 'A–Z, 0–9 and _, 1–128 characters, not starting with a digit', examples: ['STRIPE_API_KEY'] });
const EnvironmentParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid });
const SecretParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid, secretName: SecretName });
const SetBody = Strict({
  name: SecretName,
  value: Type.String({ description: `The value: UTF-8 text of at most ${MAX_SECRET_BYTES} bytes. Never returned by this call or any list.` }),
});
const ValueQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Default: the current version' })), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Recorded in the audit event' })) }, { additionalProperties: false });

const Secret = Strict({
  id: Uuid,
  name: Type.String(),
  organization_id: Uuid,
  project_id: Uuid,
  environment_id: Uuid,
  version: Type.Integer({ description: 'The current version' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const Version = Strict({
  version: Type.Integer(),
  created_at: Timestamp,
  created_by: Strict({ type: Type.String(), id: Nullable(Uuid) }),
  current: Type.Boolean(),
  superseded_at: Nullable(Timestamp),
});
const Versions = Strict({ secret: Secret, items: Type.Array(Version), next_cursor: Nullable(Type.String()) });
const Value = Strict({ name: Type.String(), version: Type.Integer(), created_at: Timestamp, value: Type.String() });

const toSecret = (row: SecretRow) => ({
  id: row.id,
  name: row.name,
  organization_id: row.tenant_id,
  project_id: row.project_id,
  environment_id: row.environment_id,
  version: row.current_version,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});
const toVersion = (secret: SecretRow) => (row: SecretVersionMeta) => ({
  version: row.version,
  created_at: row.created_at.toISOString(),
  created_by: { type: row.created_by_type, id: row.created_by },
  current: row.version === secret.current_version,
  superseded_at: row.superseded_at?.toISOString() ?? null,
});

const scopeOf = (p: Static<typeof EnvironmentParams>) => ({ tenantId: p.orgId.toLowerCase(), projectId: p.projectId.toLowerCase(), environmentId: p.environmentId.toLowerCase() });

/**
 * The secrets vault's routes (ENC-4; docs/secrets.md). Write-only by default: listing and metadata
 * need `secrets.read`, writing `secrets.manage`, and only the value route returns a value, with
 * its own permission `secrets.read_value` and an audit event for every read.
 */
export function registerSecretsRoutes(server: FastifyInstance, service: SecretsService): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['secrets'];
  const base = '/api/v1/organizations/:orgId/projects/:projectId/environments/:environmentId/secrets';
  const one = `${base}/:secretName`;

  app.get(base, {
    config: { permission: 'secrets.read' },
    schema: { tags, summary: 'List the secrets of an environment (names and versions, never values)', params: EnvironmentParams, querystring: PageQuery, response: { 200: Page(Secret), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const params = request.params;
      const query = request.query;
      return toPage(await service.list(scopeOf(params), decodeCursor(query.cursor), query.limit), query.limit, toSecret);
    },
  });
  app.post(base, {
    config: { permission: 'secrets.manage' },
    schema: { tags, summary: 'Set a secret: store a value as its next version (creating the secret on its first)', params: EnvironmentParams, body: SetBody, response: { 201: Secret, ...errorResponses(400, 401, 403, 404, 409, 413) } },
    handler: async (request, reply) => {
      const params = request.params;
      const body = request.body;
      const { secret } = await service.set(auditContext(request), scopeOf(params), body.name, body.value);
      return reply.status(201).send(toSecret(secret));
    },
  });
  app.get(one, {
    config: { permission: 'secrets.read' },
    schema: { tags, summary: 'Read a secret\u2019s metadata (never its value)', params: SecretParams, response: { 200: Secret, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const params = request.params;
      return toSecret(await service.get(scopeOf(params), params.secretName));
    },
  });
  app.get(`${one}/versions`, {
    config: { permission: 'secrets.read' },
    schema: { tags, summary: 'List a secret\u2019s versions (metadata only)', params: SecretParams, querystring: PageQuery, response: { 200: Versions, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const params = request.params;
      const query = request.query;
      const { secret, versions } = await service.versions(scopeOf(params), params.secretName, decodeCursor(query.cursor), query.limit);
      return { secret: toSecret(secret), ...toPage(versions, query.limit, toVersion(secret)) };
    },
  });
  app.get(`${one}/value`, {
    config: { permission: 'secrets.read_value' },
    schema: { tags, summary: 'Read a secret\u2019s value (current or a given version); every read is audited', params: SecretParams, querystring: ValueQuery, response: { 200: Value, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => {
      const params = request.params;
      const query = request.query;
      const read = await service.readValue(auditContext(request), scopeOf(params), params.secretName, { version: query.version, reason: query.reason });
      return { name: read.secret.name, version: read.version, created_at: read.createdAt.toISOString(), value: read.value };
    },
  });
  app.delete(one, {
    config: { permission: 'secrets.manage' },
    schema: { tags, summary: 'Delete a secret (its versions are kept until retention purges them)', params: SecretParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const params = request.params;
      await service.delete(auditContext(request), scopeOf(params), params.secretName);
      return reply.status(204).send();
    },
  });
}
