export { createMembersService, type MembersService, type MembersDeps, type MemberView, type MemberKey, type Remover } from './members-service.ts';
export { registerMembersRoutes } from './members-routes.ts';
export { memberMfa } from './member-mfa.ts';
export { membersModule } from './module.ts';
export { MEMBERS_AUDIT_ACTIONS } from './audit-actions.ts';
