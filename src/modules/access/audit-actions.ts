import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const ACCESS_AUDIT_ACTIONS = defineAuditActions({
  'security_policy.updated': "The organization's security policy changed (MFA, session timeouts, network allowlist).",
  'role.created': 'A custom role was created.',
  'role.updated': 'A custom role was renamed or its permissions changed.',
  'role.deleted': 'A custom role was deleted.',
  'binding.created': 'A role was bound to a member or service account at a scope (with its conditions and expiry).',
  'binding.deleted': 'A role binding was removed.',
  'service_account.created': 'A service account was created.',
  'service_account.disabled': 'A service account was disabled; its bindings and credentials stopped working.',
  'service_account.enabled': 'A disabled service account was enabled again.',
  'service_account.deleted': 'A service account and its bindings were deleted.',
  'access.reviewed': 'An access review of the organization was generated (API or CLI).',
  'authz.denied': 'A request was refused because the actor may not act on the target.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof ACCESS_AUDIT_ACTIONS, true> {}
}
