import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const PASSKEYS_AUDIT_ACTIONS = defineAuditActions({
  'passkey.registered': 'A user registered a passkey or security key (its name, AAGUID and backup flags; never key material).',
  'passkey.renamed': 'A user renamed one of their passkeys.',
  'passkey.removed': 'A user removed one of their passkeys; it can no longer sign in.',
  'passkey.counter_regressed': 'A correctly signed passkey assertion carried a signature counter that did not increase: a possibly cloned authenticator; it was refused.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof PASSKEYS_AUDIT_ACTIONS, true> {}
}
