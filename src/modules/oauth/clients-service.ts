import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { decide, factsFor, type AccessControl, type Principal } from '../access/index.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import { checkClientJwks, type ClientJwks } from './client-jwks.ts';
import * as store from './oauth-store.ts';
import type { OAuthClientRow } from './oauth-store.ts';
import type { TokenEndpointAuthMethod } from './oauth-tables.ts';

/** Change-feed topic: its key is a tenant whose OAuth clients changed (a deletion ends their tokens). */
export const OAUTH_TOPIC = 'oauth';

/** Client secrets carry a recognisable prefix so secret scanners can find leaked ones. */
export const CLIENT_SECRET_PREFIX = 'pcs_';

export interface NewClient {
  readonly name: string;
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly jwks: ClientJwks | undefined;
}

export interface ClientsService {
  /** Creates a client; a secret client's secret is returned here once and never again. */
  create(ctx: AuditContext & { principal: Principal }, tenantId: string, serviceAccountId: string, input: NewClient): Promise<{ client: OAuthClientRow; secret: string | undefined }>;
  list(ctx: AuditContext, tenantId: string, serviceAccountId: string, page: { after: string | undefined; limit: number }): Promise<OAuthClientRow[]>;
  get(ctx: AuditContext, tenantId: string, serviceAccountId: string, clientId: string): Promise<OAuthClientRow>;
  delete(ctx: AuditContext, tenantId: string, serviceAccountId: string, clientId: string): Promise<void>;
}

/**
 * OAuth clients of service accounts (AUTH-7). Routes authorize service_accounts.read/manage first;
 * creating credentials additionally requires that the caller holds everything the service account
 * holds, since whoever holds a client's credentials acts with the account's bindings.
 */
export function createClientsService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: AuditRecorder;
  access: Pick<AccessControl, 'snapshot'>;
  /** Issue 13: the MAC of a client id stored with the client for the tenant lookup. */
  lookup: store.ClientLookup;
  feed: ChangeFeed | undefined;
  /** Drops this node's cached tokens of a tenant at once (other nodes hear it through the feed). */
  revoked?: (tenantId: string) => void;
}): ClientsService {
  const { transactor, clock, random, audit } = deps;

  async function account(tx: Tx, tenantId: string, serviceAccountId: string) {
    const row = await store.getServiceAccount(tx, tenantId, serviceAccountId);
    if (row === undefined) throw new AppError('not_found');
    return row;
  }

  /** No escalation through credentials: the caller must hold each of the account's permissions at each binding's scope. */
  async function assertCallerCovers(principal: Principal, ip: string, tenantId: string, serviceAccountId: string): Promise<void> {
    const snapshot = await deps.access.snapshot(tenantId);
    if (snapshot === undefined) throw new AppError('not_found');
    const now = clock.now();
    const facts = factsFor(principal, ip, now);
    for (const binding of snapshot.bindings.get(serviceAccountId) ?? []) {
      if (binding.expiresAt !== undefined && now.getTime() >= binding.expiresAt) continue;
      const resource = { tenantId, projectId: binding.projectId, environmentId: binding.environmentId };
      for (const permission of binding.permissions) {
        if (!decide(snapshot, principal, permission, resource, facts).allowed) {
          throw new AppError('forbidden', { detail: `The service account holds ${permission}, which you do not hold there; you cannot create credentials for it.` });
        }
      }
    }
  }

  return {
    create: async (ctx, tenantId, serviceAccountId, input) => {
      await assertCallerCovers(ctx.principal, ctx.source.ip ?? '', tenantId, serviceAccountId);
      const jwks = input.jwks === undefined ? undefined : await checkClientJwks(input.jwks);
      const secret = input.tokenEndpointAuthMethod === 'private_key_jwt' ? undefined : `${CLIENT_SECRET_PREFIX}${newSecretToken(random)}`;
      return transactor.withTenant(
        tenantId,
        async (tx) => {
          const sa = await account(tx, tenantId, serviceAccountId);
          if (sa.disabled_at !== null) throw new AppError('conflict', { detail: 'The service account is disabled.' });
          const id = uuidv7(clock, random);
          const client: OAuthClientRow = {
            tenant_id: tenantId,
            id,
            lookup_mac: deps.lookup(id),
            service_account_id: serviceAccountId,
            name: input.name,
            token_endpoint_auth_method: input.tokenEndpointAuthMethod,
            secret_hash: secret === undefined ? null : digestToken(secret),
            jwks: jwks ?? null,
            created_by: ctx.actor.type === 'user' || ctx.actor.type === 'operator' ? ctx.actor.id : null,
            created_at: clock.now(),
          };
          await store.insertClient(tx, client);
          await audit.record(tx, tenantId, {
            action: 'oauth_client.created',
            actor: ctx.actor,
            outcome: 'success',
            source: ctx.source,
            targets: [
              { type: 'service_account', id: serviceAccountId, name: sa.name },
              { type: 'oauth_client', id: client.id, name: client.name },
            ],
            metadata: { token_endpoint_auth_method: client.token_endpoint_auth_method, keys: jwks?.keys.length ?? 0 },
          });
          return { client, secret };
        },
        ctx.userId,
      );
    },
    list: (ctx, tenantId, serviceAccountId, page) =>
      transactor.withTenant(
        tenantId,
        async (tx) => {
          await account(tx, tenantId, serviceAccountId);
          return store.listClients(tx, tenantId, serviceAccountId, page.after, page.limit);
        },
        ctx.userId,
      ),
    get: (ctx, tenantId, serviceAccountId, clientId) =>
      transactor.withTenant(
        tenantId,
        async (tx) => {
          const client = await store.getClient(tx, tenantId, serviceAccountId, clientId);
          if (client === undefined) throw new AppError('not_found');
          return client;
        },
        ctx.userId,
      ),
    delete: async (ctx, tenantId, serviceAccountId, clientId) => {
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          if (!(await store.deleteClient(tx, tenantId, serviceAccountId, clientId))) throw new AppError('not_found');
          // Every node drops the client's cached tokens when this commits (AUTH-7: within a second).
          await deps.feed?.publish(tx as never, OAUTH_TOPIC, tenantId);
          await audit.record(tx, tenantId, {
            action: 'oauth_client.deleted',
            actor: ctx.actor,
            outcome: 'success',
            source: ctx.source,
            targets: [
              { type: 'service_account', id: serviceAccountId },
              { type: 'oauth_client', id: clientId },
            ],
          });
        },
        ctx.userId,
      );
      // This node need not wait for its own notification to arrive.
      deps.revoked?.(tenantId);
    },
  };
}
