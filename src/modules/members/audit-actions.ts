import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const MEMBERS_AUDIT_ACTIONS = defineAuditActions({
  'member.removed': 'A member was removed from the organization: their role bindings, pending access requests and sessions ended; the API keys they made are suspended.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof MEMBERS_AUDIT_ACTIONS, true> {}
}
