import { sql } from 'kysely';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { AppTransactor } from '../../database.ts';
import { recordingLosses } from './api-call-buffer.ts';

/** Events recorded but not yet sequenced, across all tenants. */
export async function auditInboxDepth(transactor: AppTransactor): Promise<number> {
  const result = await transactor.withPlatform((tx) => sql<{ depth: string }>`select parapet_audit_inbox_depth() as depth`.execute(tx));
  return Number(result.rows[0]?.depth ?? 0);
}

/**
 * Adds `parapet_audit_inbox_events` to the registry, read from the database at each scrape. A
 * sequencer that falls behind makes commit → checkpoint latency grow without bound
 * (docs/benchmarks-audit.md), so alert when it keeps growing.
 */
export function registerAuditMetrics(registry: Registry, deps: { transactor: AppTransactor; logger: Pick<Logger, 'warn'> }): void {
  new Gauge({
    name: 'parapet_audit_inbox_events',
    help: 'Audit events recorded but not yet sequenced into the log, all tenants (NaN when the database did not answer).',
    registers: [registry],
    async collect() {
      try {
        this.set(await auditInboxDepth(deps.transactor));
      } catch (error) {
        deps.logger.warn({ err: error }, 'could not read the audit inbox depth');
        this.set(Number.NaN);
      }
    },
  });
  new Gauge({
    name: 'parapet_audit_api_calls_lost_total',
    help: 'api.request audit events that could not be written, all nodes since the database was created, by reason (durable: survives restarts). Read calls only: a state-changing call is not acknowledged without its record.',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      try {
        for (const [reason, events] of Object.entries(await recordingLosses(deps.transactor))) this.set({ reason }, events);
      } catch (error) {
        deps.logger.warn({ err: error }, 'could not read the count of lost api.request audit events');
      }
    },
  });
}
