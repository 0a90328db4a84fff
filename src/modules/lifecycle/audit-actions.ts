import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const LIFECYCLE_AUDIT_ACTIONS = defineAuditActions({
  'retention.changed': "An organization's retention period for a data type was overridden or reset to the platform default (DATA-1).",
  'retention.purged': 'The retention job removed rows of one data type that had outlived their retention period (with the count).',
  'user.updated': 'A user changed their own profile (display name) through the API (DATA-2 rectification).',
  'user.exported': 'A user downloaded everything Parapet holds about them (DATA-2).',
  'user.deletion_requested': 'Deletion of a user account was requested; sign-in is refused until it is cancelled or the grace period ends (DATA-3).',
  'user.deletion_cancelled': 'A pending account deletion was cancelled; the account can sign in again.',
  'user.deletion_completed': "A user's personal data was purged after the grace period; a tombstone (email HMAC and dates) remains.",
  'organization.deletion_requested': 'Deletion of the organization was scheduled after its grace period; it is read-only until then (DATA-3).',
  'organization.deletion_cancelled': 'A scheduled organization deletion was cancelled; the organization is writable again.',
  'organization.deletion_completed': "The organization's keys were destroyed and its rows purged after the grace period.",
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof LIFECYCLE_AUDIT_ACTIONS, true> {}
}
