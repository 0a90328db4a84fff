import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import type { AlertKind, AlertSeverity } from './alerts-tables.ts';
import * as store from './alerts-store.ts';

export interface AlertInput {
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  /** One sentence for a human; never a secret. */
  readonly summary: string;
  readonly actorId: string | null;
  readonly subject: { readonly type: string; readonly id: string };
}

/**
 * Security alerts for an organization's administrators (AC-6): stored in the tenant, recorded in
 * its audit log in the same transaction, and logged at warn level for the platform's own
 * monitoring. Listed and acknowledged through the API.
 */
export function createSecurityAlerts(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder; logger: Logger }) {
  const { transactor, clock, random, audit, logger } = deps;
  return {
    /** Raises an alert inside the caller's transaction. */
    raise: async (tx: Tx, tenantId: string, ctx: AuditContext, input: AlertInput) => {
      const alert = {
        tenant_id: tenantId,
        id: uuidv7(clock, random),
        kind: input.kind,
        severity: input.severity,
        summary: input.summary,
        actor_id: input.actorId,
        subject_type: input.subject.type,
        subject_id: input.subject.id,
        created_at: clock.now(),
        acknowledged_at: null,
        acknowledged_by: null,
      };
      await store.insertAlert(tx, alert);
      await audit.record(tx, tenantId, {
        action: 'security_alert.raised',
        actor: ctx.actor,
        outcome: 'success',
        source: ctx.source,
        targets: [{ type: 'security_alert', id: alert.id }, { type: input.subject.type, id: input.subject.id }],
        metadata: { kind: input.kind, severity: input.severity },
      });
      // Ids and kinds only: the summary may name people, the reason is the tenant's business.
      logger.warn({ tenantId, alertId: alert.id, kind: input.kind, severity: input.severity, actorId: input.actorId, subjectId: input.subject.id }, 'security alert raised');
      return alert;
    },
    list: (tenantId: string, filter: { open?: boolean | undefined; after?: string | undefined; limit: number }) => transactor.withTenant(tenantId, (tx) => store.listAlerts(tx, tenantId, filter)),
    acknowledge: (ctx: AuditContext, tenantId: string, id: string) =>
      transactor.withTenant(tenantId, async (tx) => {
        const before = await tx.selectFrom('security_alerts').select('acknowledged_at').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
        if (before === undefined) throw new AppError('not_found');
        const alert = await store.acknowledgeAlert(tx, tenantId, id, ctx.userId === '' ? null : ctx.userId, clock.now());
        if (alert === undefined) throw new AppError('not_found');
        if (before.acknowledged_at === null) {
          await audit.record(tx, tenantId, { action: 'security_alert.acknowledged', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'security_alert', id }], metadata: { kind: alert.kind } });
        }
        return alert;
      }),
  };
}

export type SecurityAlerts = ReturnType<typeof createSecurityAlerts>;
