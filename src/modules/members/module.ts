import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import { defineModule } from '../contract.ts';
import { MEMBERS_AUDIT_ACTIONS } from './audit-actions.ts';
import { memberMfa } from './member-mfa.ts';
import { registerMembersRoutes } from './members-routes.ts';
import { createMembersService, type MembersService } from './members-service.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    members: MembersService;
  }
}

export const membersModule = defineModule({
  name: 'members',
  summary: "An organization's members: list with roles, MFA status and last sign-in, the keys each made, and removal (issue 14).",
  dependsOn: ['audit', 'identity', 'access'],
  tables: {},
  auditActions: MEMBERS_AUDIT_ACTIONS,
  create: (ctx, { audit, identity, access }) => {
    const members = createMembersService({
      transactor: ctx.transactor,
      clock: ctx.clock,
      audit: audit.recorder,
      access: access.control,
      accessService: access.service,
      endSessions: (tx, userId, reason) => identity.sessions.revokeAllForUser(tx, userId, reason),
      mfa: memberMfa(ctx.transactor, identity.mfa.registry),
    });
    return {
      api: members,
      routes: (http) => {
        registerMembersRoutes(http, { service: members, access: access.control, actorOf: auditActor, sourceOf: requestSource, now: () => ctx.clock.now() });
      },
    };
  },
});
