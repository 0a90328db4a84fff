export { disclosureModule, type DisclosureApi } from './module.ts';
export type { DisclosureTables } from './disclosure-tables.ts';
export { DISCLOSURE_AUDIT_ACTIONS } from './audit-actions.ts';
export { scoreCvss31, severityOf } from './cvss.ts';
