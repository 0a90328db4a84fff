import { defineModule } from '../contract.ts';
import { createApiCallBuffer, type ApiCallBuffer } from './api-call-buffer.ts';
import { createAuditAnnouncer, type AuditAnnouncer } from './audit-announcer.ts';
import { recordApiCalls } from './api-call-hook.ts';
import { registerAuditMetrics } from './audit-metrics.ts';
import { createAuditRecorder, memberAuthority, type AuditRecorder } from './audit-recorder.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { createAuditService, type AuditService } from './audit-service.ts';
import { createAuditSigner, type AuditSigner } from './audit-signer.ts';
import { loadLogIdentity } from './log-identity.ts';
import { exportLines } from './export/export-stream.ts';
import { createRetention, type Retention } from './retention.ts';
import { startSequencerLoop } from './sequencer-loop.ts';
import { createSequencer, type Sequencer } from './sequencer.ts';
import { AUDIT_OPTIONS } from './options.ts';

/** The audit log (AUD-1…AUD-4): what every other module records into. */
export interface AuditApi {
  readonly recorder: AuditRecorder;
  readonly signer: AuditSigner;
  readonly sequencer: Sequencer;
  readonly retention: Retention;
  /** Buffered `api.request` events (AUD-1). */
  readonly apiCalls: ApiCallBuffer;
  readonly service: AuditService;
  /** Wakes idle audit loops on every node when events are recorded or sequenced. */
  readonly announcer: AuditAnnouncer;
}

declare module '../contract.ts' {
  interface ModuleApis {
    audit: AuditApi;
  }
}

export const auditModule = defineModule({
  name: 'audit',
  summary: 'Tamper-evident audit log: inbox, sequencer, per-tenant Merkle trees, signed checkpoints, exports, retention, api.request records.',
  dependsOn: [],
  tables: {
    audit_inbox: { scope: 'tenant' },
    audit_events: { scope: 'tenant' },
    audit_tree_nodes: { scope: 'tenant' },
    audit_tree_heads: { scope: 'tenant' },
    audit_checkpoints: { scope: 'tenant' },
    audit_settings: { scope: 'tenant' },
    audit_log_keys: { scope: 'platform', reason: "The log's signing key names and public keys: the deployment's identity, no tenant's data." },
    audit_recording_losses: { scope: 'platform', reason: 'Counts of api.request records that could not be written, per reason: numbers only, no tenant data.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  options: AUDIT_OPTIONS,
  create: async (ctx) => {
    const { transactor, clock, random, config, logger } = ctx;
    // Idle loops wait on the change feed; every write of the recorder announces work after its commit.
    const announcer = createAuditAnnouncer({ feed: ctx.feed, transactor, logger });
    const recorder = createAuditRecorder({ clock, random, authority: memberAuthority(ctx.keyring), onRecorded: (tx) => { announcer.afterCommit(tx, 'inbox'); } });
    // The log's signing identity is the deployment's, fixed at first start (not this node's URL).
    const signer = createAuditSigner(ctx.keyring, await loadLogIdentity({ transactor, keyring: ctx.keyring, clock }, config.publicUrl));
    const sequencer = createSequencer({ transactor, clock, signer, logger, onSequenced: () => { announcer.announce('log'); } });
    const retention = createRetention({ transactor, clock, signer, audit: recorder, defaultDays: config.auditRetentionDays });
    const apiCalls = createApiCallBuffer({ transactor, recorder, logger, registry: ctx.metrics.registry });
    const service = createAuditService({ transactor, signer });
    registerAuditMetrics(ctx.metrics.registry, { transactor, logger });
    return {
      api: { recorder, signer, sequencer, retention, apiCalls, service, announcer },
      hooks: (root) => {
        recordApiCalls(root, { buffer: apiCalls, clock, sampling: config.auditApiSampling, random });
      },
      routes: (http) => {
        registerAuditRoutes(http, {
          service,
          exportLines: (tenantId) => exportLines({ transactor, signer, clock }, tenantId),
          // Reading the log out is itself recorded (AUD-1).
          recordExport: async ({ actor, source }, tenantId, format) => {
            await transactor.withTenant(tenantId, (tx) =>
              recorder.record(tx, tenantId, { action: 'audit.exported', actor, outcome: 'success', source, targets: [{ type: 'organization', id: tenantId }], metadata: { format } }),
            );
          },
          retention: {
            get: (tenantId) => retention.retentionDays(tenantId),
            set: (auditCtx, tenantId, days) => retention.setRetentionDays(tenantId, days, auditCtx),
          },
        });
      },
      jobs: [{ name: 'audit sequencer', start: () => startSequencerLoop({ db: ctx.db, sequencer, logger, announcer }) }],
      close: async () => {
        await apiCalls.close();
        announcer.close();
      },
    };
  },
});
