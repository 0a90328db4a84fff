import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const KEYS_AUDIT_ACTIONS = defineAuditActions({
  'keys.tenant_key_rotated': "A new version of the organization's tenant key was made primary (on demand or on schedule, ENC-2).",
  'keys.tenant_key_retired': 'A superseded tenant key version was retired: no encrypted value references it any more.',
  'keys.tenant_key_destroyed': 'A tenant key version was destroyed (crypto-shredding): values encrypted under it can no longer be read.',
  'keys.root_rotated': 'A new root key version was made primary at the key provider; tenant keys are rewrapped under it.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof KEYS_AUDIT_ACTIONS, true> {}
}
