import { defineModule } from '../contract.ts';
import { AUDIT_STREAMING_AUDIT_ACTIONS } from './audit-actions.ts';
import { startDeliveryLoop } from './delivery-loop.ts';
import { registerAuditStreaming } from './destination-routes.ts';
import { createAuditStreaming, type AuditStreaming } from './index.ts';
import { AUDIT_STREAMING_OPTIONS } from './options.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    'audit-streaming': AuditStreaming;
  }
}

export const auditStreamingModule = defineModule({
  name: 'audit-streaming',
  summary: "Streams each organization's audit log to its SIEM: syslog over TLS or signed webhooks, with checkpoints (AUD-5).",
  dependsOn: ['audit', 'keys'],
  tables: { audit_destinations: { scope: 'tenant' }, audit_delivery_cursors: { scope: 'tenant' } },
  migrations: new URL('./migrations/', import.meta.url),
  auditActions: AUDIT_STREAMING_AUDIT_ACTIONS,
  options: AUDIT_STREAMING_OPTIONS,
  create: (ctx, { audit, keys }) => {
    const streaming = createAuditStreaming({
      transactor: ctx.transactor,
      clock: ctx.clock,
      random: ctx.random,
      fields: keys.fields,
      audit: audit.recorder,
      signer: audit.signer,
      logger: ctx.logger,
      publicUrl: ctx.config.publicUrl,
      allowedNetworks: ctx.config.auditStreamAllowedNetworks,
    });
    return {
      api: streaming,
      routes: (http) => {
        registerAuditStreaming(http, { service: streaming.service });
      },
      jobs: [{ name: 'audit delivery', start: () => startDeliveryLoop({ db: ctx.db, worker: streaming.worker, logger: ctx.logger, announcer: audit.announcer }) }],
    };
  },
});
