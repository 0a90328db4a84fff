import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const ACCESS_REQUESTS_AUDIT_ACTIONS = defineAuditActions({
  'access.requested': 'A user asked for just-in-time access to a role at a scope, with a reason and a duration.',
  'access.approved': 'A second person approved a just-in-time access request; a role binding expiring with it was created.',
  'access.rejected': 'A just-in-time access request was rejected.',
  'access.cancelled': 'The requester withdrew a pending just-in-time access request.',
  'access.revoked': 'An active just-in-time grant was ended before its expiry.',
  'access.granted': 'An approver opened a time-boxed grant for a named operator directly (a tenant-opened support request).',
  'access.break_glass': 'A platform operator self-approved emergency access (break-glass, at most one hour); an alert was raised.',
  'settings.risky_writes_changed': 'The organization switched risky writes between disabled and approval.',
  'risky_write.requested': 'A risky write (e.g. deleting a project) was submitted and waits for a second administrator.',
  'risky_write.approved': 'A second administrator approved a risky write, which was carried out.',
  'risky_write.rejected': 'A pending risky write was rejected or withdrawn.',
  'risky_write.self_confirmed': 'A single administrator confirmed their own risky write after its cooling-off period, with a recent sign-in, because nobody else in the organization could approve it.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof ACCESS_REQUESTS_AUDIT_ACTIONS, true> {}
}
