import { uuidv7 } from '../../platform/crypto/random.ts';
import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import type { Tx } from '../../database.ts';
import { defineModule } from '../contract.ts';
import { ACCESS_AUDIT_ACTIONS } from './audit-actions.ts';
import { ACCESS_ERRORS } from './errors.ts';
import { requireRecentAuthentication } from '../identity/index.ts';
import { createAccessControl, type AccessControl } from './access-control.ts';
import { registerAuthorization } from './access-hook.ts';
import { registerAccessRoutes } from './access-routes.ts';
import { createAccessService, type AccessService } from './access-service.ts';
import { grantCreator, upgradeBindingMacs, upgradeRoleMacs } from './access-store.ts';
import { createSecurityPolicyService, type SecurityPolicyService } from './security-policy.ts';
import { registerSecurityPolicyRoutes } from './security-policy-routes.ts';
import { ACCESS_RETENTION } from './retention.ts';

/** Roles, bindings, conditions, decisions, access reviews and organization security policy (AC-1…AC-5). */
export interface AccessApi {
  readonly control: AccessControl;
  readonly service: AccessService;
  /** The organization's security policy as stored (session lifetimes, MFA); the defaults when it set none. */
  readonly securityPolicy: Pick<SecurityPolicyService, 'get'>;
  /** Makes `userId` the Tenant Admin of the organization it just created (in the creating transaction). */
  grantCreator(tx: Tx, tenantId: string, userId: string, now: Date): Promise<void>;
}

declare module '../contract.ts' {
  interface ModuleApis {
    access: AccessApi;
  }
}

export const accessModule = defineModule({
  name: 'access',
  summary: 'Role-based access with conditions and scopes, in-process decisions from cached snapshots, access reviews, organization security policy.',
  dependsOn: ['audit', 'identity'],
  tables: {
    access_roles: { scope: 'tenant' },
    service_accounts: { scope: 'tenant' },
    role_bindings: { scope: 'tenant' },
    role_bindings_mac_upgrade: { scope: 'platform', reason: 'Role bindings that predate row MACs (migration 0063), copied by the owner and MAC\'d once at start in the jobs context.' },
    access_roles_mac_upgrade: { scope: 'platform', reason: 'Custom roles that predate row MACs (migration 0090), copied by the owner and MAC\'d once at start in the jobs context.' },
    organization_security_policies: { scope: 'tenant' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: ACCESS_ERRORS,
  auditActions: ACCESS_AUDIT_ACTIONS,
  retention: ACCESS_RETENTION,
  create: async (ctx, { audit, identity }) => {
    await upgradeBindingMacs(ctx.transactor, identity.integrity);
    await upgradeRoleMacs(ctx.transactor, identity.integrity);
    const { transactor, clock, random } = ctx;
    const control = createAccessControl({ transactor, clock, audit: audit.recorder, feed: ctx.feed, logger: ctx.logger, integrity: identity.integrity });
    const service = createAccessService({ transactor, clock, random, audit: audit.recorder, access: control, reviewContributors: ctx.contributions.reviewContributors });
    const securityPolicy = createSecurityPolicyService({ transactor, clock, audit: audit.recorder, access: control });
    return {
      api: {
        control,
        service,
        securityPolicy,
        grantCreator: async (tx, tenantId, userId, now) => {
          await grantCreator(tx, control.integrity, tenantId, userId, now, uuidv7(clock, random));
        },
      },
      hooks: (root) => {
        registerAuthorization(root, { access: control, actorOf: auditActor, sourceOf: requestSource });
      },
      routes: (http) => {
        registerSecurityPolicyRoutes(http, {
          service: securityPolicy,
          access: control,
          revokeUserSessions: (userId, reason, by) => identity.endUserSessions(userId, reason, by),
          assertMayRemoveMember: (caller, tenantId, userId) => service.assertMayRemovePrincipal(caller, tenantId, userId),
          requireRecentAuthentication,
          actorOf: auditActor,
          sourceOf: requestSource,
        });
        registerAccessRoutes(http, { service, access: control, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
      },
      close: () => control.close(),
    };
  },
});
