import { defineModule } from '../contract.ts';
import { OAUTH_AUDIT_ACTIONS } from './audit-actions.ts';
import { registerClientsRoutes } from './clients-routes.ts';
import { createClientsService, type ClientsService } from './clients-service.ts';
import { registerTokenRoutes } from './token-routes.ts';
import { createServiceAccountTokenKind } from './service-account-token-kind.ts';
import { createTokenService, type TokenService } from './token-service.ts';
import { clientLookupOf, upgradeClientLookups } from './oauth-store.ts';
import { OAUTH_RETENTION } from './retention.ts';

/** OAuth 2.0 client credentials for service accounts (AUTH-8). */
export interface OAuthApi {
  readonly clients: ClientsService;
  readonly tokens: TokenService;
}

declare module '../contract.ts' {
  interface ModuleApis {
    oauth: OAuthApi;
  }
}

export const oauthModule = defineModule({
  name: 'oauth',
  summary: 'OAuth 2.0 clients of service accounts: client secrets or private_key_jwt, the token endpoint, RFC 8414 metadata; its tokens are one kind the bearer authenticator accepts.',
  dependsOn: ['audit', 'access', 'tokens', 'identity'],
  tables: {
    oauth_clients: { scope: 'tenant' },
    oauth_assertion_jtis: { scope: 'tenant' },
    oauth_clients_lookup_upgrade: { scope: 'platform', reason: 'The (tenant, id) of clients that predate lookup MACs (migration 0092), copied by the owner and given their MAC once at start in the jobs context.' },
  },
  retention: OAUTH_RETENTION,
  migrations: new URL('./migrations/', import.meta.url),
  auditActions: OAUTH_AUDIT_ACTIONS,
  create: async (ctx, { audit, access, tokens, identity }) => {
    const { transactor, clock, random, config } = ctx;
    const lookup = clientLookupOf(identity.integrity);
    await upgradeClientLookups(transactor, lookup);
    const { endpoints } = tokens;
    const serviceAccounts = createServiceAccountTokenKind({ clock, transactor, feed: ctx.feed, cache: tokens.cache });
    tokens.bearer.accept(serviceAccounts.kind);
    const clients = createClientsService({
      transactor,
      clock,
      random,
      audit: audit.recorder,
      access: access.control,
      lookup,
      feed: ctx.feed,
      revoked: (tenantId) => {
        serviceAccounts.invalidate(tenantId);
      },
    });
    const service = createTokenService({ transactor, clock, random, audit: audit.recorder, access: access.control, keys: tokens.keys, endpoints, lookup });
    return {
      api: { clients, tokens: service },
      routes: async (http) => {
        registerClientsRoutes(http, clients);
        await registerTokenRoutes(http, { service, endpoints, documentation: `${config.publicUrl}/docs/api` });
      },
      close: () => {
        serviceAccounts.close();
      },
    };
  },
});
