import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const API_KEYS_AUDIT_ACTIONS = defineAuditActions({
  'api_key.created': 'An API key was created (its permissions, binding, expiry and whether it signs; never its secret).',
  'api_key.rotated': 'An API key was rotated: a successor was created and the old key given an overlap window.',
  'api_key.revoked': 'An API key was revoked; it stops working at once on every node.',
  'api_key.signature_rejected': 'A request made with a valid API key was refused for its signature: missing, stale, wrong or replayed.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof API_KEYS_AUDIT_ACTIONS, true> {}
}
