import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const SECRETS_AUDIT_ACTIONS = defineAuditActions({
  'secret.version_created': 'A secret was set: a new version was stored (created on its first); never its value nor its length.',
  'secret.value_read': 'A secret value was read (decrypted and returned), with the version and any reason given; failure when it could not be decrypted.',
  'secret.deleted': 'A secret was deleted (soft: its versions are kept until retention purges them).',
  'secret.versions_purged': 'Retention deleted secret versions that stopped being current before the cutoff.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof SECRETS_AUDIT_ACTIONS, true> {}
}
