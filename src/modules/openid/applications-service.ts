import { sql, type Selectable } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { notFoundOnMissingParent } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import { checkClientJwks } from './client-jwks.ts';
import type { OidcApplicationsTable, SigningAlg, TokenEndpointAuthMethod } from './openid-tables.ts';

export type ApplicationRow = Selectable<OidcApplicationsTable>;

/** Application secrets carry a recognisable prefix so secret scanners can find leaked ones. */
export const APPLICATION_SECRET_PREFIX = 'pas_';

/** The scopes an application may be allowed: OIDC's standard ones Parapet answers. */
export const SUPPORTED_SCOPES = ['openid', 'email', 'profile', 'offline_access', 'organization'] as const;

/** An application's scopes when its registration names none (`organization` is asked for explicitly). */
export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'offline_access'] as const;

export interface NewApplication {
  readonly name: string;
  readonly clientType: 'public' | 'confidential';
  readonly firstParty: boolean;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly backchannelLogoutUri: string | undefined;
  /** RFC 9126 require_pushed_authorization_requests. */
  readonly requirePar?: boolean;
  /** The JWS algorithm of its ID tokens (default EdDSA). */
  readonly idTokenSigningAlg?: SigningAlg;
  /** Confidential applications: `client_secret_basic` (default) or `private_key_jwt`. */
  readonly tokenEndpointAuthMethod?: 'client_secret_basic' | 'private_key_jwt';
  /** private_key_jwt: the public JWK Set, or where to fetch it (exactly one). */
  readonly jwks?: unknown;
  readonly jwksUri?: string;
  readonly lifetimes?: { readonly accessToken?: number; readonly idToken?: number; readonly refreshToken?: number };
}

/** The platform's bounds and defaults of an application's token lifetimes, in seconds. */
export const TOKEN_LIFETIME_BOUNDS = {
  accessToken: { min: 60, max: 3600, default: 900 },
  idToken: { min: 60, max: 3600, default: 900 },
  refreshToken: { min: 300, max: 604_800, default: 604_800 },
} as const;

export interface Where {
  readonly tenantId: string;
  readonly projectId: string;
  readonly environmentId: string;
}

export interface ApplicationsService {
  /** Registers an application; a confidential one's secret is returned here once and never again. */
  create(ctx: AuditContext, where: Where, input: NewApplication): Promise<{ application: ApplicationRow; secret: string | undefined }>;
  list(ctx: AuditContext, where: Where, page: { after: string | undefined; limit: number }): Promise<ApplicationRow[]>;
  get(ctx: AuditContext, where: Where, id: string): Promise<ApplicationRow>;
  delete(ctx: AuditContext, where: Where, id: string): Promise<void>;
  /** The application a client_id names, read inside its own organization's context; undefined if none. */
  byClientId(clientId: string): Promise<ApplicationRow | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Checks a redirect URI as registered: absolute, no fragment (RFC 6749 §3.1.2), no userinfo, https
 * except on loopback (RFC 8252 §7.3) or a private-use scheme of a native app (RFC 8252 §7.1).
 */
function checkRedirectUri(value: string, pointer: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('invalid_request', { errors: [{ pointer, detail: 'is not an absolute URI' }] });
  }
  const problem =
    url.hash !== '' || value.includes('#') ? 'must not contain a fragment'
    : url.username !== '' || url.password !== '' ? 'must not contain userinfo'
    : url.protocol === 'http:' && !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname) ? 'must use https (http only on loopback)'
    : ['javascript:', 'data:', 'file:', 'vbscript:'].includes(url.protocol) ? 'uses a forbidden scheme'
    : undefined;
  if (problem !== undefined) throw new AppError('invalid_request', { errors: [{ pointer, detail: problem }] });
}

/** An organization's OpenID applications, per environment (issue 17). Routes authorize first. */
export function createApplicationsService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder; changed?: (clientId: string) => void; lookup: (clientId: string) => Buffer }): ApplicationsService {
  const { transactor, clock, random, audit } = deps;
  const scoped = (tx: Tx, where: Where) => tx.selectFrom('oidc_applications').selectAll().where('tenant_id', '=', where.tenantId).where('project_id', '=', where.projectId).where('environment_id', '=', where.environmentId);

  return {
    create: async (ctx, where, input) => {
      input.redirectUris.forEach((uri, i) => { checkRedirectUri(uri, `/body/redirect_uris/${i}`); });
      input.postLogoutRedirectUris.forEach((uri, i) => { checkRedirectUri(uri, `/body/post_logout_redirect_uris/${i}`); });
      if (input.backchannelLogoutUri !== undefined) checkRedirectUri(input.backchannelLogoutUri, '/body/backchannel_logout_uri');
      if (!input.scopes.includes('openid')) throw new AppError('invalid_request', { errors: [{ pointer: '/body/scopes', detail: 'must include openid' }] });
      const method: TokenEndpointAuthMethod = input.clientType === 'public' ? 'none' : (input.tokenEndpointAuthMethod ?? 'client_secret_basic');
      if (input.clientType === 'public' && input.tokenEndpointAuthMethod !== undefined) throw new AppError('invalid_request', { errors: [{ pointer: '/body/token_endpoint_auth_method', detail: 'a public application does not authenticate' }] });
      let jwks: { keys: Record<string, unknown>[] } | null = null;
      if (method === 'private_key_jwt') {
        if ((input.jwks === undefined) === (input.jwksUri === undefined)) throw new AppError('invalid_request', { errors: [{ pointer: '/body/jwks', detail: 'private_key_jwt needs exactly one of jwks and jwks_uri' }] });
        if (input.jwks !== undefined) jwks = { keys: [...checkClientJwks(input.jwks, '/body/jwks').keys] };
        if (input.jwksUri !== undefined) checkRedirectUri(input.jwksUri, '/body/jwks_uri');
      } else if (input.jwks !== undefined || input.jwksUri !== undefined) {
        throw new AppError('invalid_request', { errors: [{ pointer: '/body/jwks', detail: 'jwks and jwks_uri are for private_key_jwt only' }] });
      }
      const secret = method === 'client_secret_basic' ? `${APPLICATION_SECRET_PREFIX}${newSecretToken(random)}` : undefined;
      const id = uuidv7(clock, random);
      const application: ApplicationRow = {
        tenant_id: where.tenantId,
        id,
        lookup_mac: deps.lookup(id),
        project_id: where.projectId,
        environment_id: where.environmentId,
        name: input.name,
        client_type: input.clientType,
        first_party: input.firstParty,
        redirect_uris: [...input.redirectUris],
        post_logout_redirect_uris: [...input.postLogoutRedirectUris],
        scopes: [...new Set(input.scopes)],
        backchannel_logout_uri: input.backchannelLogoutUri ?? null,
        require_par: input.requirePar ?? false,
        id_token_signed_response_alg: input.idTokenSigningAlg ?? 'EdDSA',
        token_endpoint_auth_method: method,
        jwks,
        jwks_uri: method === 'private_key_jwt' ? (input.jwksUri ?? null) : null,
        access_token_ttl_seconds: input.lifetimes?.accessToken ?? TOKEN_LIFETIME_BOUNDS.accessToken.default,
        id_token_ttl_seconds: input.lifetimes?.idToken ?? TOKEN_LIFETIME_BOUNDS.idToken.default,
        refresh_token_ttl_seconds: input.lifetimes?.refreshToken ?? TOKEN_LIFETIME_BOUNDS.refreshToken.default,
        secret_hash: secret === undefined ? null : digestToken(secret),
        created_by: ctx.actor.type === 'user' || ctx.actor.type === 'operator' ? ctx.actor.id : null,
        created_at: clock.now(),
      };
      await transactor.withTenant(
        where.tenantId,
        async (tx) => {
          // The environment must exist in this project of this organization (the foreign key says so
          // too; this answers 404 rather than a constraint error).
          await notFoundOnMissingParent(() => tx.insertInto('oidc_applications').values({ ...application, jwks: application.jwks === null ? null : JSON.stringify(application.jwks) }).execute());
          await audit.record(tx, where.tenantId, {
            action: 'oidc.application_created',
            actor: ctx.actor,
            outcome: 'success',
            source: ctx.source,
            targets: [{ type: 'environment', id: where.environmentId }, { type: 'oidc_application', id: application.id, name: application.name }],
            metadata: { client_type: application.client_type, first_party: application.first_party, redirect_uris: application.redirect_uris.length, scopes: application.scopes.join(' '), id_token_signed_response_alg: application.id_token_signed_response_alg, token_endpoint_auth_method: application.token_endpoint_auth_method },
          });
        },
        ctx.userId,
      );
      return { application, secret };
    },
    list: (ctx, where, page) =>
      transactor.withTenant(
        where.tenantId,
        async (tx) => {
          let query = scoped(tx, where).orderBy('id').limit(page.limit + 1);
          if (page.after !== undefined) query = query.where('id', '>', page.after);
          return query.execute();
        },
        ctx.userId,
      ),
    get: (ctx, where, id) =>
      transactor.withTenant(
        where.tenantId,
        async (tx) => {
          const row = await scoped(tx, where).where('id', '=', id).executeTakeFirst();
          if (row === undefined) throw new AppError('not_found');
          return row;
        },
        ctx.userId,
      ),
    delete: async (ctx, where, id) => {
      await transactor.withTenant(
        where.tenantId,
        async (tx) => {
          const deleted = await tx.deleteFrom('oidc_applications').where('tenant_id', '=', where.tenantId).where('project_id', '=', where.projectId).where('environment_id', '=', where.environmentId).where('id', '=', id).executeTakeFirst();
          if (deleted.numDeletedRows === 0n) throw new AppError('not_found');
          await audit.record(tx, where.tenantId, { action: 'oidc.application_deleted', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'environment', id: where.environmentId }, { type: 'oidc_application', id }] });
        },
        ctx.userId,
      );
      deps.changed?.(id);
    },
    byClientId: async (clientId) => {
      if (!UUID.test(clientId)) return undefined;
      // Issue 13: asked with the MAC of the id (migration 0093), which SQL running as parapet_app cannot compute.
      const tenantId = await transactor.withPlatform(async (tx) => (await sql<{ tenant_id: string | null }>`select parapet_oidc_application_tenant(${deps.lookup(clientId)}) as tenant_id`.execute(tx)).rows[0]?.tenant_id ?? undefined);
      if (tenantId === undefined) return undefined;
      return transactor.withTenant(tenantId, (tx) => tx.selectFrom('oidc_applications').selectAll().where('tenant_id', '=', tenantId).where('id', '=', clientId).executeTakeFirst());
    },
  };
}

export const APPLICATION_LOOKUP_ROW = 'oidc-application-lookup/1';

/**
 * Issue 13: gives the applications that predate migration 0093 their lookup MAC, once, at start,
 * from the (tenant, id) pairs the migration copied as the owner: read and deleted in the verified
 * jobs context, each row updated in its organization's context. Returns how many.
 */
export async function upgradeApplicationLookups(transactor: AppTransactor, lookup: (clientId: string) => Buffer): Promise<number> {
  const copies = await transactor.withJobs(async (tx) => (await sql<{ tenant_id: string; id: string }>`select tenant_id, id from oidc_applications_lookup_upgrade`.execute(tx)).rows);
  for (const copy of copies) {
    await transactor.withTenant(copy.tenant_id, (tx) => tx.updateTable('oidc_applications').set({ lookup_mac: lookup(copy.id) }).where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).execute());
    await transactor.withJobs((tx) => sql`delete from oidc_applications_lookup_upgrade where tenant_id = ${copy.tenant_id} and id = ${copy.id}`.execute(tx));
  }
  return copies.length;
}
