import type { ModuleApis } from './modules/contract.ts';
import type { Mailer } from './platform/mail/index.ts';
import type { ChangeFeed } from './platform/notify/change-feed.ts';

/** The modules' APIs under the flat names tests, benchmarks and the CLI used before the module contract. */
export function servicesOf(modules: ModuleApis, mail: Mailer, feed: ChangeFeed) {
  const { identity, access, tokens, accounts } = modules;
  return {
    sessions: identity.sessions,
    setup: identity.setup,
    throttle: identity.throttle,
    mfa: identity.mfa,
    mail,
    feed,
    accounts: accounts.accounts,
    invitations: accounts.invitations,
    tenants: modules.tenants,
    access: access.control,
    accessService: access.service,
    accessRequests: modules['access-requests'].requests,
    riskyWrites: modules['access-requests'].riskyWrites,
    alerts: modules.alerts,
    tokenKeys: tokens.keys,
    userTokens: tokens.userTokens,
    auditStreaming: modules['audit-streaming'],
    apiKeys: modules['api-keys'],
    keys: modules.keys,
    passkeys: modules.passkeys,
    secrets: modules.secrets,
    audit: modules.audit,
    lifecycle: modules.lifecycle,
  } as const;
}

export type AppServices = ReturnType<typeof servicesOf>;
