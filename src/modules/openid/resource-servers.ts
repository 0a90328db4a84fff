import type { Selectable } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { notFoundOnMissingParent } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import type { ApplicationRow, Where } from './applications-service.ts';
import { SUPPORTED_SCOPES } from './applications-service.ts';
import type { OidcResourceServersTable, SigningAlg } from './openid-tables.ts';

export type ResourceServerRow = Selectable<OidcResourceServersTable>;

/** RFC 6749 §3.3 scope-token, kept to a conservative alphabet (`orders:read`, `api.write`). */
export const RESOURCE_SCOPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9:._/-]{0,63}$';
const SCOPE = new RegExp(RESOURCE_SCOPE_PATTERN);

export interface NewResourceServer {
  readonly name: string;
  readonly identifier: string;
  readonly scopes: readonly string[];
  readonly accessTokenTtlSeconds: number;
  readonly applicationId: string | undefined;
  /** The JWS algorithm of its access tokens (default EdDSA). */
  readonly signingAlg?: SigningAlg;
}

export interface ResourceServers {
  create(ctx: AuditContext, where: Where, input: NewResourceServer): Promise<ResourceServerRow>;
  list(ctx: AuditContext, where: Where, page: { after: string | undefined; limit: number }): Promise<ResourceServerRow[]>;
  get(ctx: AuditContext, where: Where, id: string): Promise<ResourceServerRow>;
  delete(ctx: AuditContext, where: Where, id: string): Promise<void>;
  /**
   * The resource server `identifier` names for `app`: one of the app's own environment, either
   * shared by the environment or the app's own API. Undefined for anything else — another
   * environment's or organization's API, another application's own API, an unknown identifier.
   */
  forApplication(app: ApplicationRow, identifier: string): Promise<ResourceServerRow | undefined>;
}

/**
 * RFC 8707 §2: the resource is an absolute URI without a fragment; https (http on loopback only,
 * for development), no userinfo. It becomes the `aud` of the tokens, compared exactly.
 */
function checkIdentifier(value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const problem =
    url === undefined ? 'is not an absolute URI'
    : value.includes('#') ? 'must not contain a fragment'
    : url.username !== '' || url.password !== '' ? 'must not contain userinfo'
    : url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) ? undefined
    : 'must use https (http only on loopback)';
  if (problem !== undefined) throw new AppError('invalid_request', { errors: [{ pointer: '/body/identifier', detail: problem }] });
}

/** An environment's APIs for JWT access tokens (RFC 9068), per organization under RLS. */
export function createResourceServers(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder }): ResourceServers {
  const { transactor, clock, random, audit } = deps;
  return {
    create: async (ctx, where, input) => {
      checkIdentifier(input.identifier);
      input.scopes.forEach((scope, i) => {
        // A resource scope must not be mistaken for an OpenID one (its claims go to the client, not the API).
        if (!SCOPE.test(scope) || (SUPPORTED_SCOPES as readonly string[]).includes(scope)) throw new AppError('invalid_request', { errors: [{ pointer: `/body/scopes/${i}`, detail: 'is not a valid resource scope' }] });
      });
      const row: ResourceServerRow = {
        tenant_id: where.tenantId,
        id: uuidv7(clock, random),
        project_id: where.projectId,
        environment_id: where.environmentId,
        application_id: input.applicationId ?? null,
        name: input.name,
        identifier: input.identifier,
        scopes: [...new Set(input.scopes)],
        access_token_ttl_seconds: input.accessTokenTtlSeconds,
        access_token_signing_alg: input.signingAlg ?? 'EdDSA',
        created_by: ctx.actor.type === 'user' || ctx.actor.type === 'operator' ? ctx.actor.id : null,
        created_at: clock.now(),
      };
      await transactor.withTenant(
        where.tenantId,
        async (tx) => {
          if (input.applicationId !== undefined) {
            // The application must be one of this environment's.
            const app = await tx.selectFrom('oidc_applications').select('id').where('tenant_id', '=', where.tenantId).where('environment_id', '=', where.environmentId).where('id', '=', input.applicationId).executeTakeFirst();
            if (app === undefined) throw new AppError('not_found');
          }
          const taken = await tx.selectFrom('oidc_resource_servers').select('id').where('tenant_id', '=', where.tenantId).where('environment_id', '=', where.environmentId).where('identifier', '=', input.identifier).executeTakeFirst();
          if (taken !== undefined) throw new AppError('conflict', { detail: 'This environment already has a resource server with that identifier.' });
          await notFoundOnMissingParent(() => tx.insertInto('oidc_resource_servers').values(row).execute());
          await audit.record(tx, where.tenantId, {
            action: 'oidc.resource_server_created',
            actor: ctx.actor,
            outcome: 'success',
            source: ctx.source,
            targets: [{ type: 'environment', id: where.environmentId }, { type: 'oidc_resource_server', id: row.id, name: row.name }],
            metadata: { identifier: row.identifier, scopes: row.scopes.join(' '), access_token_ttl_seconds: row.access_token_ttl_seconds, access_token_signing_alg: row.access_token_signing_alg, ...(row.application_id === null ? {} : { application_id: row.application_id }) },
          });
        },
        ctx.userId,
      );
      return row;
    },
    list: (ctx, where, page) =>
      transactor.withTenant(
        where.tenantId,
        async (tx) => {
          let query = tx.selectFrom('oidc_resource_servers').selectAll().where('tenant_id', '=', where.tenantId).where('project_id', '=', where.projectId).where('environment_id', '=', where.environmentId).orderBy('id').limit(page.limit + 1);
          if (page.after !== undefined) query = query.where('id', '>', page.after);
          return query.execute();
        },
        ctx.userId,
      ),
    get: (ctx, where, id) =>
      transactor.withTenant(
        where.tenantId,
        async (tx) => {
          const row = await tx.selectFrom('oidc_resource_servers').selectAll().where('tenant_id', '=', where.tenantId).where('project_id', '=', where.projectId).where('environment_id', '=', where.environmentId).where('id', '=', id).executeTakeFirst();
          if (row === undefined) throw new AppError('not_found');
          return row;
        },
        ctx.userId,
      ),
    delete: (ctx, where, id) =>
      transactor.withTenant(
        where.tenantId,
        async (tx) => {
          const deleted = await tx.deleteFrom('oidc_resource_servers').where('tenant_id', '=', where.tenantId).where('project_id', '=', where.projectId).where('environment_id', '=', where.environmentId).where('id', '=', id).executeTakeFirst();
          if (deleted.numDeletedRows === 0n) throw new AppError('not_found');
          await audit.record(tx, where.tenantId, { action: 'oidc.resource_server_deleted', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'environment', id: where.environmentId }, { type: 'oidc_resource_server', id }] });
        },
        ctx.userId,
      ),
    forApplication: (app, identifier) =>
      // Read in the application's own organization, and in its environment only.
      transactor.withTenant(app.tenant_id, async (tx) => {
        const row = await tx.selectFrom('oidc_resource_servers').selectAll().where('tenant_id', '=', app.tenant_id).where('environment_id', '=', app.environment_id).where('identifier', '=', identifier).executeTakeFirst();
        return row !== undefined && (row.application_id === null || row.application_id === app.id) ? row : undefined;
      }),
  };
}
