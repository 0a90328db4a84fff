import { readFileSync } from 'node:fs';
import { isLoopback } from '../../config/options.ts';
import { createAddressGuard } from '../audit-streaming/index.ts';
import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import { defineModule } from '../contract.ts';
import { SSO_AUDIT_ACTIONS } from './audit-actions.ts';
import { SSO_ERRORS } from './errors.ts';
import { createConnectionsService, type ConnectionsService } from './connections-service.ts';
import { createEnforcement, type Enforcement } from './enforcement.ts';
import { createIdpFetch } from './idp-fetch.ts';
import { createOidcRelyingParty } from './oidc-rp.ts';
import { createSignInService, type SignInService } from './sign-in-service.ts';
import { registerSsoRoutes } from './sso-routes.ts';
import { createGroupRoles, type GroupRoles } from './group-roles.ts';
import { registerGroupRoleRoutes } from './group-role-routes.ts';
import { createSetupLinks, type SetupLinks } from './setup-links.ts';
import { registerSetupPortalRoutes } from './setup-portal-routes.ts';
import { SSO_OPTIONS } from './options.ts';
import { upgradeSsoMacs } from './sso-integrity.ts';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { createCertificateSweep, SSO_CERTIFICATE_SWEEP_LOCK_KEY } from './certificate-sweep.ts';

/** Enterprise SSO (AUTH-4): connections, domains, sign-in through each organization's IdP. */
export interface SsoApi {
  readonly connections: ConnectionsService;
  readonly signIn: SignInService;
  readonly enforcement: Enforcement;
  readonly groupRoles: GroupRoles;
  readonly setupLinks: SetupLinks;
  /** IR-5: raises `sso_certificate_expiring` alerts for SAML certificates expiring within the rule's window (run by a leader job). */
  readonly sweepCertificates: () => Promise<number>;
}

declare module '../contract.ts' {
  interface ModuleApis {
    sso: SsoApi;
  }
}

export const ssoModule = defineModule({
  name: 'sso',
  summary: "Enterprise SSO (AUTH-4): each organization's OIDC and SAML identity providers, verified email domains, sign-in with just-in-time provisioning (issue 18).",
  dependsOn: ['audit', 'keys', 'identity', 'access', 'tenants', 'alerts'],
  tables: {
    sso_connections: { scope: 'tenant' },
    sso_domains: { scope: 'tenant' },
    sso_login_states: { scope: 'tenant' },
    sso_policies: { scope: 'tenant' },
    sso_group_role_rules: { scope: 'tenant' },
    sso_group_bindings: { scope: 'tenant' },
    sso_setup_links: { scope: 'tenant' },
    sso_connections_mac_upgrade: { scope: 'platform', reason: 'SSO connections that predate row MACs (migration 0091), copied by the owner and MAC\'d once at start in the jobs context.' },
    sso_domains_mac_upgrade: { scope: 'platform', reason: 'Domain verifications that predate row MACs (migration 0091), copied by the owner and MAC\'d once at start in the jobs context.' },
    sso_assertion_ids: { scope: 'platform', reason: 'SAML assertion-id replay cache: digests and expiry only, checked before the tenant is trusted, shared by every node.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: SSO_ERRORS,
  auditActions: SSO_AUDIT_ACTIONS,
  options: SSO_OPTIONS,
  create: async (ctx, { audit, keys, identity, access, alerts }) => {
    await upgradeSsoMacs(ctx.transactor, identity.integrity);
    const publicUrl = new URL(ctx.config.publicUrl);
    // An http:// IdP is accepted only when this Parapet itself runs on http loopback (development, tests).
    const allowHttp = publicUrl.protocol === 'http:' && isLoopback(publicUrl.hostname.replace(/^\[|\]$/g, ''));
    const oidc = createOidcRelyingParty({ allowHttp, now: () => ctx.clock.now().getTime() });
    // Tenant-given URLs (IdP metadata, a domain's well-known file) go through the audit streams' outbound address guard.
    const fetch = createIdpFetch({ guard: createAddressGuard(ctx.config.ssoFetchAllowedNetworks), dnsServers: ctx.config.ssoDnsServers, ca: ctx.config.ssoFetchCaFile === undefined ? undefined : readFileSync(ctx.config.ssoFetchCaFile, 'utf8'), allowHttp });
    const connections = createConnectionsService({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, fields: keys.fields, dnsServers: ctx.config.ssoDnsServers, fetch, changed: (id) => { oidc.forget(id); }, integrity: identity.integrity });
    const groupRoles = createGroupRoles({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, control: access.control, service: access.service, integrity: identity.integrity });
    const signIn = createSignInService({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, publicUrl: ctx.config.publicUrl, audit: audit.recorder, sessions: identity.sessions, access: access.control, connections, oidc, integrity: identity.integrity, groupRoles });
    const setupLinks = createSetupLinks({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, integrity: identity.integrity, publicUrl: ctx.config.publicUrl });
    const enforcement = createEnforcement({ transactor: ctx.transactor, clock: ctx.clock, audit: audit.recorder, integrity: identity.integrity });
    identity.addLocalSignInGuard(enforcement.guard);
    const sweepCertificates = createCertificateSweep({ transactor: ctx.transactor, clock: ctx.clock, alerts, logger: ctx.logger });
    return {
      api: { connections, signIn, enforcement, groupRoles, setupLinks, sweepCertificates },
      routes: async (http) => {
        await registerSsoRoutes(http, { connections, signIn, enforcement, transactor: ctx.transactor, publicUrl: ctx.config.publicUrl, sessionCookie: identity.cookie, actorOf: auditActor, sourceOf: requestSource, integrity: identity.integrity });
        registerGroupRoleRoutes(http, { groupRoles, actorOf: auditActor, sourceOf: requestSource });
        await registerSetupPortalRoutes(http, { links: setupLinks, connections, signIn, transactor: ctx.transactor, integrity: identity.integrity, publicUrl: ctx.config.publicUrl, actorOf: auditActor, sourceOf: requestSource });
      },
      jobs: [
        {
          name: 'sso certificate sweep',
          start: () => startLeaderLoop({ db: ctx.db, lockKey: SSO_CERTIFICATE_SWEEP_LOCK_KEY, name: 'sso certificate sweep', logger: ctx.logger, idleMs: 6 * 3_600_000, pass: async () => { await sweepCertificates(); return 0; } }),
        },
      ],
    };
  },
});
