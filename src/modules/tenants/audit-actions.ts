import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const TENANTS_AUDIT_ACTIONS = defineAuditActions({
  'organization.created': 'An organization was created.',
  'organization.renamed': 'An organization was renamed.',
  'organization.deleted': 'An organization was deleted.',
  'project.created': 'A project was created.',
  'project.renamed': 'A project was renamed.',
  'project.deleted': 'A project was deleted.',
  'environment.created': 'An environment was created.',
  'environment.updated': 'An environment was renamed or its kind changed.',
  'environment.deleted': 'An environment was deleted.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof TENANTS_AUDIT_ACTIONS, true> {}
}
