export { scimModule, type ScimApi } from './module.ts';
export type { ScimTables } from './scim-tables.ts';
export { type DirectoriesService, type DirectoryView, type MappingView } from './directories-service.ts';
export { type ScimService } from './scim-service.ts';
export { parseFilter, FILTER_LIMITS, type Filter } from './scim-filter.ts';
export { SCIM_ERRORS } from './errors.ts';
export { SCIM_AUDIT_ACTIONS } from './audit-actions.ts';
export { SCIM_SECTION, scimPersonalData } from './scim-personal-data.ts';
