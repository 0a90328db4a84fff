import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError } from '../../platform/http/errors.ts';
import { containsNul, jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../../platform/http/json-body.ts';
import type { AuditSource } from '../audit/index.ts';
import { ScimError, scimErrorBody } from './scim-error.ts';
import { operationsOf, type JsonObject } from './scim-patch.ts';
import { groupResource, listResponse, resourceTypes, schemas, serviceProviderConfig, userResource } from './scim-resources.ts';
import { attributePaths, project } from './scim-projection.ts';
import { etagOf, type Directory, type GroupResult, type ScimService, type UserResult } from './scim-service.ts';

export const SCIM_PREFIX = '/scim/v2';
const SCIM_JSON = 'application/scim+json; charset=utf-8';

const DirectoryParams = Type.Object({ directoryId: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const ResourceParams = Type.Object({ directoryId: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    // No length limit here: an over-long filter is the parser's `invalidFilter`, as RFC 7644 names it.
    filter: Type.Optional(Type.String()),
    startIndex: Type.Optional(Type.Integer({ minimum: -2147483648, maximum: 2147483647 })),
    count: Type.Optional(Type.Integer({ minimum: -2147483648, maximum: 2147483647 })),
    attributes: Type.Optional(Type.String({ maxLength: 1000 })),
    excludedAttributes: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
const GetQuery = Type.Object({ attributes: Type.Optional(Type.String({ maxLength: 1000 })), excludedAttributes: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });
/** A SCIM resource or PatchOp body: checked field by field by scim-patch.ts (RFC 7643 attribute names are case-insensitive). */
const ResourceBody = Type.Object({}, { additionalProperties: true });

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The SCIM error for anything thrown on a SCIM route: stable, never echoing input, never problem+json. */
function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof AppError) {
    if (error.code === 'json_too_deep' || error.code === 'malformed_json' || error.code === 'invalid_request') return new ScimError(400, 'invalidSyntax');
    if (error.status === 401 || error.status === 403 || error.status === 404 || error.status === 409 || error.status === 413 || error.status === 415 || error.status === 429 || error.status === 503) return new ScimError(error.status);
    return new ScimError(error.status >= 500 ? 500 : 400, error.status >= 500 ? undefined : 'invalidValue', { cause: error });
  }
  const fastify = error as Partial<FastifyError> & { validation?: unknown };
  if (Array.isArray(fastify.validation)) return new ScimError(400, fastify.validationContext === 'body' ? 'invalidSyntax' : 'invalidValue');
  if (error instanceof SyntaxError || fastify.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ScimError(400, 'invalidSyntax');
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ScimError(413);
  if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fastify.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return new ScimError(415);
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) return new ScimError(400, 'invalidSyntax');
  return new ScimError(500, undefined, { cause: error });
}

export interface ScimRouteDeps {
  readonly service: ScimService;
  readonly publicUrl: string;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
}

/**
 * The SCIM 2.0 protocol endpoints (RFC 7644) under /scim/v2/{directoryId}: discovery, Users and
 * Groups. Authenticated by the directory's bearer token only (no session, no API key). Errors are
 * SCIM errors as `application/scim+json`: SCIM clients (Okta, Entra) read only that shape.
 */
export async function registerScimRoutes(server: FastifyInstance, deps: ScimRouteDeps): Promise<void> {
  const base = (directoryId: string) => `${deps.publicUrl.replace(/\/$/, '')}${SCIM_PREFIX}/${directoryId}`;
  await server.register(
    async (scope) => {
      const app = scope.withTypeProvider<TypeBoxTypeProvider>();
      // SCIM clients send application/scim+json (RFC 7644 §3.1); Entra and Okta also send application/json.
      scope.removeAllContentTypeParsers();
      const parse = (_request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void => {
        if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH)) { done(new ScimError(400, 'invalidSyntax')); return; }
        let value: unknown;
        try {
          value = secureJson.parse(body.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
        } catch {
          done(new ScimError(400, 'invalidSyntax')); return;
        }
        if (containsNul(value) || !isJsonObject(value)) { done(new ScimError(400, 'invalidSyntax')); return; }
        done(null, value);
      };
      scope.addContentTypeParser(['application/scim+json', 'application/json'], { parseAs: 'buffer' }, parse);
      scope.setErrorHandler(async (error, request, reply) => {
        const scim = toScimError(error);
        if (scim.status >= 500) request.log.error({ err: error }, 'SCIM request failed');
        else request.log.debug({ status: scim.status, scimType: scim.scimType }, 'SCIM request refused');
        if (scim.status === 401) reply.header('www-authenticate', 'Bearer realm="scim"');
        return reply.status(scim.status).header('cache-control', 'no-store').type(SCIM_JSON).send(scimErrorBody(scim));
      });
      scope.setNotFoundHandler(async (_request, reply) => reply.status(404).header('cache-control', 'no-store').type(SCIM_JSON).send(scimErrorBody(new ScimError(404))));

      // Authentication comes first (onRequest, before the body is read): an unauthenticated request
      // is 401 whatever it carries, and its body is never parsed.
      const authenticated = new WeakMap<FastifyRequest, Directory>();
      scope.addHook('onRequest', async (request) => {
        const params = request.params;
        if (typeof params !== 'object' || params === null || !('directoryId' in params) || typeof params.directoryId !== 'string') return;
        authenticated.set(request, await deps.service.authenticate(params.directoryId, request.headers.authorization, deps.sourceOf(request)));
      });
      const directory = async (request: FastifyRequest): Promise<Directory> => {
        const found = authenticated.get(request);
        if (found === undefined) throw new ScimError(401);
        return found;
      };
      const send = (reply: FastifyReply, status: number, body: unknown) => reply.status(status).header('cache-control', 'no-store').type(SCIM_JSON).send(body);
      /** One resource, with its ETag (RFC 7644 §3.14). */
      const sendOne = (reply: FastifyReply, status: number, result: UserResult | GroupResult, body: Record<string, unknown>) => send(reply.header('etag', etagOf(result.row.version)), status, body);
      /** RFC 7232 §3.2 If-None-Match on a GET: the client's copy is current (304, no body). */
      const notModified = (request: FastifyRequest, result: UserResult | GroupResult): boolean => {
        const header = request.headers['if-none-match'];
        if (typeof header !== 'string') return false;
        const current = etagOf(result.row.version).replace(/^W\//, '');
        return header.split(',').some((tag) => { const t = tag.trim().replace(/^W\//, ''); return t === '*' || t === current; });
      };
      const ifMatch = (request: FastifyRequest): string | undefined => {
        const header = request.headers['if-match'];
        return typeof header === 'string' ? header : undefined;
      };
      /** RFC 7644 §3.4.2.5: `attributes` / `excludedAttributes` of a query or a read. */
      const projection = (query: { attributes?: string | undefined; excludedAttributes?: string | undefined }) => {
        const attributes = attributePaths(query.attributes);
        const excluded = attributePaths(query.excludedAttributes);
        return (resource: Record<string, unknown>) => (attributes === undefined && excluded === undefined ? resource : project(resource, attributes, excluded));
      };
      const body = (value: unknown): JsonObject => {
        if (!isJsonObject(value)) throw new ScimError(400, 'invalidSyntax');
        return value;
      };
      const excludesMembers = (excluded: string | undefined): boolean => excluded !== undefined && excluded.split(',').some((a) => a.trim().toLowerCase() === 'members');
      const config = { permission: 'public' } as const;
      const tags = ['scim'];

      app.get('/:directoryId/ServiceProviderConfig', { config, schema: { tags, hide: true, params: DirectoryParams } }, async (request, reply) => {
        const dir = await directory(request);
        return send(reply, 200, serviceProviderConfig(base(dir.row.id)));
      });
      app.get('/:directoryId/ResourceTypes', { config, schema: { tags, hide: true, params: DirectoryParams } }, async (request, reply) => {
        const dir = await directory(request);
        const types = resourceTypes(base(dir.row.id));
        return send(reply, 200, listResponse(types.length, 1, types));
      });
      app.get('/:directoryId/Schemas', { config, schema: { tags, hide: true, params: DirectoryParams } }, async (request, reply) => {
        const dir = await directory(request);
        const all = schemas(base(dir.row.id));
        return send(reply, 200, listResponse(all.length, 1, all));
      });

      app.get('/:directoryId/Users', { config, schema: { tags, hide: true, params: DirectoryParams, querystring: ListQuery } }, async (request, reply) => {
        const dir = await directory(request);
        const shape = projection(request.query);
        const found = await deps.service.listUsers(dir, request.query);
        return send(reply, 200, listResponse(found.total, found.startIndex, found.items.map((item) => shape(userResource(base(dir.row.id), item)))));
      });
      app.post('/:directoryId/Users', { config, schema: { tags, hide: true, params: DirectoryParams, body: ResourceBody } }, async (request, reply) => {
        const dir = await directory(request);
        const created = await deps.service.createUser(dir, body(request.body));
        const resource = userResource(base(dir.row.id), created);
        return sendOne(reply.header('location', `${base(dir.row.id)}/Users/${created.row.id}`), 201, created, resource);
      });
      app.get('/:directoryId/Users/:id', { config, schema: { tags, hide: true, params: ResourceParams, querystring: GetQuery } }, async (request, reply) => {
        const dir = await directory(request);
        const shape = projection(request.query);
        const found = await deps.service.getUser(dir, request.params.id);
        if (notModified(request, found)) return reply.status(304).header('etag', etagOf(found.row.version)).header('cache-control', 'no-store').send();
        return sendOne(reply, 200, found, shape(userResource(base(dir.row.id), found)));
      });
      app.put('/:directoryId/Users/:id', { config, schema: { tags, hide: true, params: ResourceParams, body: ResourceBody } }, async (request, reply) => {
        const dir = await directory(request);
        const replaced = await deps.service.replaceUser(dir, request.params.id, body(request.body), ifMatch(request));
        return sendOne(reply, 200, replaced, userResource(base(dir.row.id), replaced));
      });
      app.patch('/:directoryId/Users/:id', { config, schema: { tags, hide: true, params: ResourceParams, body: ResourceBody } }, async (request, reply) => {
        const dir = await directory(request);
        const patched = await deps.service.patchUser(dir, request.params.id, operationsOf(body(request.body)), ifMatch(request));
        return sendOne(reply, 200, patched, userResource(base(dir.row.id), patched));
      });
      app.delete('/:directoryId/Users/:id', { config, schema: { tags, hide: true, params: ResourceParams } }, async (request, reply) => {
        const dir = await directory(request);
        await deps.service.deleteUser(dir, request.params.id, ifMatch(request));
        return reply.status(204).header('cache-control', 'no-store').send();
      });

      app.get('/:directoryId/Groups', { config, schema: { tags, hide: true, params: DirectoryParams, querystring: ListQuery } }, async (request, reply) => {
        const dir = await directory(request);
        const withMembers = !excludesMembers(request.query.excludedAttributes);
        const shape = projection(request.query);
        const found = await deps.service.listGroups(dir, { ...request.query, withMembers });
        return send(reply, 200, listResponse(found.total, found.startIndex, found.items.map((item) => shape(groupResource(base(dir.row.id), item, withMembers)))));
      });
      app.post('/:directoryId/Groups', { config, schema: { tags, hide: true, params: DirectoryParams, body: ResourceBody } }, async (request, reply) => {
        const dir = await directory(request);
        const created = await deps.service.createGroup(dir, body(request.body));
        return sendOne(reply.header('location', `${base(dir.row.id)}/Groups/${created.row.id}`), 201, created, groupResource(base(dir.row.id), created, true));
      });
      app.get('/:directoryId/Groups/:id', { config, schema: { tags, hide: true, params: ResourceParams, querystring: GetQuery } }, async (request, reply) => {
        const dir = await directory(request);
        const withMembers = !excludesMembers(request.query.excludedAttributes);
        const shape = projection(request.query);
        const found = await deps.service.getGroup(dir, request.params.id, withMembers);
        if (notModified(request, found)) return reply.status(304).header('etag', etagOf(found.row.version)).header('cache-control', 'no-store').send();
        return sendOne(reply, 200, found, shape(groupResource(base(dir.row.id), found, withMembers)));
      });
      app.put('/:directoryId/Groups/:id', { config, schema: { tags, hide: true, params: ResourceParams, body: ResourceBody } }, async (request, reply) => {
        const dir = await directory(request);
        const replaced = await deps.service.replaceGroup(dir, request.params.id, body(request.body), ifMatch(request));
        return sendOne(reply, 200, replaced, groupResource(base(dir.row.id), replaced, true));
      });
      app.patch('/:directoryId/Groups/:id', { config, schema: { tags, hide: true, params: ResourceParams, body: ResourceBody } }, async (request, reply) => {
        const dir = await directory(request);
        const patched = await deps.service.patchGroup(dir, request.params.id, operationsOf(body(request.body)), ifMatch(request));
        return sendOne(reply, 200, patched, groupResource(base(dir.row.id), patched, true));
      });
      app.delete('/:directoryId/Groups/:id', { config, schema: { tags, hide: true, params: ResourceParams } }, async (request, reply) => {
        const dir = await directory(request);
        await deps.service.deleteGroup(dir, request.params.id, ifMatch(request));
        return reply.status(204).header('cache-control', 'no-store').send();
      });
    },
    { prefix: SCIM_PREFIX },
  );
}

