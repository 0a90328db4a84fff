export { AUDIT_OWN_ACTIONS, auditActions, defineAuditActions, isAuditAction, type AuditAction, type ModuleAuditActions } from './actions.ts';
export {
  PLATFORM_TENANT_ID,
  SYSTEM_ACTOR,
  type AuditActor,
  type AuditContext,
  type AuditEvent,
  type AuditEventInput,
  type AuditSource,
  type AuditTarget,
} from './audit-event.ts';
export { createAuditRecorder, type AuditObserver, type AuditRecorder, type UserAuditEventInput } from './audit-recorder.ts';
export { createAuditSigner, originsFor, type AuditSigner } from './audit-signer.ts';
export { loadLogIdentity, urlKeyName, LogIdentityError, type LogIdentity } from './log-identity.ts';
export { createAuditService, type AuditService } from './audit-service.ts';
export { createSequencer, type Sequencer } from './sequencer.ts';
export { startSequencerLoop } from './sequencer-loop.ts';
export { registerAuditRoutes } from './audit-routes.ts';
export { exportLines, renderExport } from './export/export-stream.ts';
export { verifyExportFile } from './verify/verify-export.ts';
export { verifyDatabaseLog } from './verify/verify-database.ts';
export type { AuditTables } from './audit-tables.ts';
export { createRetention, type Retention, type RetentionResult } from './retention.ts';
export { createApiCallBuffer, type ApiCallBuffer } from './api-call-buffer.ts';
export { apiCallSampler } from './api-call-sampler.ts';
export { auditInboxDepth, registerAuditMetrics } from './audit-metrics.ts';
export { auditModule, type AuditApi } from './module.ts';
export { eventsFrom, type AuditEventRow, type AuditCheckpointRow } from './audit-store.ts';
export { toOcsf } from './export/export-format.ts';
export { MIN_RETENTION_DAYS, MAX_RETENTION_DAYS } from './audit-routes.ts';
export type { Outcome, ActorType } from './audit-event.ts';
export { decodeEvent } from './audit-service.ts';
export { canonicalJson, openNote, parseVerifierKey, signNote } from './log/index.ts';
export { decodeBase64, encodeBase64, frontierRoot, parseCheckpoint, type NoteVerifier } from './log/index.ts';
export type { AuditAnnouncer } from './audit-announcer.ts';
export * as auditReads from './audit-reads.ts';
