import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import { defineModule } from '../contract.ts';
import { scimPersonalData } from './scim-personal-data.ts';
import { SCIM_AUDIT_ACTIONS } from './audit-actions.ts';
import { createDirectoriesService, type DirectoriesService } from './directories-service.ts';
import { SCIM_ERRORS } from './errors.ts';
import { registerScimAdminRoutes } from './scim-admin-routes.ts';
import { registerScimRoutes } from './scim-routes.ts';
import { createScimService, type ScimService } from './scim-service.ts';

/** SCIM 2.0 directory sync (issue 18 part 4): directories and their tokens, and the protocol side. */
export interface ScimApi {
  readonly directories: DirectoriesService;
  readonly scim: ScimService;
}

declare module '../contract.ts' {
  interface ModuleApis {
    scim: ScimApi;
  }
}

export const scimModule = defineModule({
  name: 'scim',
  summary: "SCIM 2.0 directory sync (RFC 7643/7644): each organization's directories with a bearer token, Users and Groups provisioned into members and roles, deprovisioning suspends at once (issue 18).",
  dependsOn: ['audit', 'identity', 'access', 'tenants', 'members', 'sso'],
  tables: {
    scim_directories: { scope: 'tenant' },
    scim_group_roles: { scope: 'tenant' },
    scim_users: { scope: 'tenant' },
    scim_groups: { scope: 'tenant' },
    scim_group_members: { scope: 'tenant' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: SCIM_ERRORS,
  personalData: (ctx) => [scimPersonalData(ctx)],
  auditActions: SCIM_AUDIT_ACTIONS,
  create: (ctx, { audit, identity, access, members, sso }) => {
    const directories = createDirectoriesService({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, access: access.service });
    const scim = createScimService({
      transactor: ctx.transactor,
      clock: ctx.clock,
      random: ctx.random,
      audit: audit.recorder,
      access: access.control,
      accessService: access.service,
      members,
      integrity: identity.integrity,
      verifiedDomains: async (tenantId) => new Set((await sso.connections.listDomains(tenantId)).filter((d) => d.verified).map((d) => d.domain)),
    });
    return {
      api: { directories, scim },
      routes: async (http) => {
        registerScimAdminRoutes(http, { directories, publicUrl: ctx.config.publicUrl, actorOf: auditActor, sourceOf: requestSource });
        await registerScimRoutes(http, { service: scim, publicUrl: ctx.config.publicUrl, sourceOf: requestSource });
      },
    };
  },
});
