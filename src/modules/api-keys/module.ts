import { apiKeysPersonalData } from './api-keys-personal-data.ts';
import { defineModule } from '../contract.ts';
import { API_KEYS_AUDIT_ACTIONS } from './audit-actions.ts';
import { apiKeysReview } from './api-keys-review.ts';
import { upgradeKeyMacs } from './api-keys-store.ts';
import { createApiKeys, type ApiKeys } from './index.ts';
import { API_KEYS_RETENTION } from './retention.ts';
import { API_KEYS_OPTIONS } from './options.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    'api-keys': ApiKeys;
  }
}

export const apiKeysModule = defineModule({
  name: 'api-keys',
  summary: 'Organization API keys (prk_…) with permission sets, expiry, rotation overlap, request signing and usage (AUTH-7).',
  // Listed before tokens: an API key is tried before bearer tokens.
  dependsOn: ['audit', 'keys', 'identity', 'access'],
  tables: {
    api_keys: { scope: 'tenant' },
    api_key_signatures: { scope: 'tenant' },
    api_keys_mac_upgrade: { scope: 'platform', reason: 'Keys that predate row MACs (migration 0062), copied by the owner and MAC\'d once at start in the jobs context.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  auditActions: API_KEYS_AUDIT_ACTIONS,
  reviewContributors: [apiKeysReview],
  personalData: (ctx) => [apiKeysPersonalData(ctx)],
  retention: API_KEYS_RETENTION,
  options: API_KEYS_OPTIONS,
  create: async (ctx, { audit, keys, identity, access }) => {
    await upgradeKeyMacs(ctx.transactor, identity.integrity);
    const apiKeys = createApiKeys({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, fields: keys.fields, audit: audit.recorder, access: access.control, feed: ctx.feed, logger: ctx.logger, maxDays: ctx.config.apiKeyMaxDays, integrity: identity.integrity });
    identity.addAuthenticator(apiKeys.authenticator);
    return {
      api: apiKeys,
      hooks: (root) => {
        apiKeys.hooks(root);
      },
      routes: (http) => {
        apiKeys.routes(http);
      },
      close: () => apiKeys.close(),
    };
  },
});
