import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const IDENTITY_AUDIT_ACTIONS = defineAuditActions({
  'setup.completed': 'The first platform administrator was created with the setup link.',
  'session.created': 'A user signed in; a session was created.',
  'session.login_failed': 'A sign-in attempt failed (wrong credentials, unknown or disabled account).',
  'session.revoked': 'A session ended (sign-out, replaced by a new sign-in, or revoked).',
  'session.mfa_failed': 'A second factor presented at sign-in or re-authentication was wrong, already used, or refused by the throttle.',
  'session.reauthenticated': 'A user re-authenticated for a sensitive action (step-up); the session was replaced by a new one.',
  'session.upgraded': "A password-only session that enrolled the user's first second factor was replaced by a new one naming that factor (forced MFA enrolment).",
  'mfa.factor_enrolled': 'A user confirmed a new second factor with a first valid code.',
  'mfa.factor_removed': 'A user removed a second factor.',
  'mfa.recovery_codes_generated': 'A user was issued a new set of recovery codes; older ones stopped working.',
  'mfa.recovery_code_used': 'A single-use recovery code was spent (sign-in or re-authentication).',
  'user.disabled': 'A platform administrator disabled an account; its sessions ended.',
  'user.enabled': 'A platform administrator enabled a disabled account again.',
  'session.locked_out': 'Failed sign-ins reached the lockout threshold: the account refuses sign-in (even the right password) until the lock ends.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof IDENTITY_AUDIT_ACTIONS, true> {}
}
