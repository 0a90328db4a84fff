export { trustModule, type TrustApi, TRUST_CHECKS_LOCK_KEY } from './module.ts';
export { verifyEvidence, EVIDENCE_FORMAT, type EvidenceBundle, type EvidenceVerdict } from './evidence.ts';
export type { TrustTables } from './trust-tables.ts';
export { TRUST_AUDIT_ACTIONS } from './audit-actions.ts';
export { NDA_REQUESTS_SECTION } from './nda-personal-data.ts';
