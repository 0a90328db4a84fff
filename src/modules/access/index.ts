export { PERMISSIONS, ALL_PERMISSIONS, BUILT_IN_ROLES, BUILT_IN_ROLE_KEYS, isPermission, isBuiltInRole, type Permission, type BuiltInRole, type BuiltInRoleKey } from './permissions.ts';
export { principalId, hasMfa, type Principal, type UserPrincipal, type ApiKeyPrincipal, type ServiceAccountPrincipal, type Resource, type RequestFacts } from './principal.ts';
export { decide, effectivePermissions, type AccessSnapshot, type CompiledBinding, type Decision, type DenyReason } from './evaluator.ts';
export { compileConditions, conditionProblems, cidrMatcher, parseCidr, normalizeIp, type Conditions, type ConditionFailure } from './conditions.ts';
export { createAccessControl, factsFor, type AccessControl, type AuthorizedUse } from './access-control.ts';
export { ACCESS_TOPIC, compileSnapshot } from './access-cache.ts';
export { registerAuthorization } from './access-hook.ts';
export type { AccessTables, PrincipalType } from './access-tables.ts';
