import { createUserLookups } from '../identity/index.ts';
import { accountLinksPersonalData, invitationsPersonalData } from './accounts-personal-data.ts';
import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import { keyExistingInvitations } from './invitations-upgrade.ts';
import { defineModule } from '../contract.ts';
import { ACCOUNTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { ACCOUNTS_ERRORS } from './errors.ts';
import { registerAccountsRoutes } from './accounts-routes.ts';
import { createAccountsService, type AccountsService } from './accounts-service.ts';
import { createInvitationsService, type InvitationsService } from './invitations-service.ts';
import { ACCOUNTS_OPTIONS } from './options.ts';

/** Account self-service by mailed links (verification, reset, email change) and invitations. */
export interface AccountsApi {
  readonly accounts: AccountsService;
  readonly invitations: InvitationsService;
}

declare module '../contract.ts' {
  interface ModuleApis {
    accounts: AccountsApi;
  }
}

export const accountsModule = defineModule({
  name: 'accounts',
  summary: 'Email verification, password reset, email change and invitations, by single-use mailed links.',
  dependsOn: ['audit', 'identity', 'access'],
  tables: {
    account_tokens: { scope: 'platform', reason: "Single-use links (verification, reset, email change) of a user's own platform-level account." },
    invitations: { scope: 'tenant' },
    invitations_digest_upgrade: { scope: 'platform', reason: 'Digests of invitations pending at migration 0124, copied by the owner and keyed once at start in the jobs context (issue 13); readable only there.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: ACCOUNTS_ERRORS,
  auditActions: ACCOUNTS_AUDIT_ACTIONS,
  personalData: (ctx) => [invitationsPersonalData({ ...ctx, users: createUserLookups(ctx.transactor) }), accountLinksPersonalData(ctx)],
  options: ACCOUNTS_OPTIONS,
  create: async (ctx, { audit, identity, access }) => {
    const { config, transactor, clock, random, hasher } = ctx;
    // Issue 13, property 2: invitations pending at migration 0124 get keyed digests.
    await keyExistingInvitations(transactor, identity.integrity);
    const accounts = createAccountsService({ transactor, hasher, integrity: identity.integrity, sessions: identity.sessions, clock, random, audit: audit.recorder, mailer: ctx.mail, passwordMinLength: config.passwordMinLength, throttles: identity.throttles });
    const invitations = createInvitationsService({
      transactor,
      hasher,
      integrity: identity.integrity,
      clock,
      random,
      audit: audit.recorder,
      mailer: ctx.mail,
      access: access.control,
      accessService: access.service,
      passwordMinLength: config.passwordMinLength,
      invitationDays: config.invitationDays,
      links: identity.throttles.links,
    });
    return {
      api: { accounts, invitations },
      routes: (http) => {
        registerAccountsRoutes(http, { accounts, invitations, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now(), requiresMfa: (userId) => identity.mfa.login.requiresMfa(userId) });
      },
    };
  },
});
