import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const ACCOUNTS_AUDIT_ACTIONS = defineAuditActions({
  'invitation.created': 'A member was invited to the organization by email with a role (never the link).',
  'invitation.revoked': 'A pending invitation was revoked.',
  'invitation.accepted': 'An invitation was accepted: the user (new or existing) became a member with the invited role.',
  'email.verified': 'A user confirmed their email address with a verification link.',
  'email.change_requested': 'A user asked to change their email address; the new address was sent a confirmation link and the old one a notice.',
  'email.changed': "A user's email address changed after the new address confirmed it; their other sessions ended.",
  'email.change_reported': 'The old address reported an email change it did not make: pending changes were cancelled and every session ended.',
  'password.reset_requested': 'A password reset was asked for an address (outcome failure when no usable account has it; the requester is told the same either way).',
  'password.reset': "A user set a new password with a reset link; every session of the account ended.",
  'password.changed': 'A signed-in user changed their password with the current one; every other session and refresh-token family of the account ended.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof ACCOUNTS_AUDIT_ACTIONS, true> {}
}
