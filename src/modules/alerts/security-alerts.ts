import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { afterCommit } from '../../platform/db/transactor.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PLATFORM_TENANT_ID, SYSTEM_ACTOR, type AuditContext, type AuditRecorder } from '../audit/index.ts';
import type { AlertKind, AlertSeverity } from './alerts-tables.ts';
import * as store from './alerts-store.ts';
import { atLeast, DEFAULT_ALERT_RULES, windowStart, type AlertRule } from './alert-rules.ts';
import type { AlertRoutes } from './alert-deliveries.ts';

export interface AlertInput {
  readonly kind: AlertKind;
  /** The raiser's severity; a platform administrator's override of the rule wins, and without either the rule's default applies. */
  readonly severity?: AlertSeverity;
  /** One sentence for a human; never a secret. */
  readonly summary: string;
  readonly actorId: string | null;
  readonly subject: { readonly type: string; readonly id: string };
}

const SYSTEM: AuditContext = { userId: '', actor: SYSTEM_ACTOR, source: { ip: null, user_agent: null, request_id: null } };

/**
 * Security alerts for an organization's administrators (AC-6, IR-5): each signal goes through its
 * rule (enabled, threshold, window, severity; `security_alert_rules` overrides the built-in
 * defaults). Signals about one subject are counted per window; the one reaching the threshold
 * raises the alert, later ones in the window only count on it (deduplication, so a burst is one
 * alert and one notification). A new alert is stored in the tenant, recorded in its audit log (and
 * so its SIEM streams) in the same transaction, queued for mail and webhook routing by severity,
 * and logged at warn level.
 */
export function createSecurityAlerts(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder; logger: Logger; routes?: AlertRoutes; onRaised?: (kind: AlertKind, severity: AlertSeverity) => void }) {
  const { transactor, clock, random, audit, logger } = deps;
  const pending = new Set<Promise<unknown>>();

  /** The rule for `kind`: the override row, else the default (read in the caller's transaction). */
  async function ruleIn(tx: Tx, kind: AlertKind): Promise<AlertRule & { overridden: boolean }> {
    const base = DEFAULT_ALERT_RULES[kind];
    const row = await tx.selectFrom('security_alert_rules').selectAll().where('kind', '=', kind).executeTakeFirst();
    if (row === undefined) return { ...base, overridden: false };
    return { ...base, enabled: row.enabled, threshold: row.threshold, windowSeconds: row.window_seconds, severity: row.severity, overridden: true };
  }

  const raise = async (tx: Tx, tenantId: string, ctx: AuditContext, input: AlertInput) => {
    const rule = await ruleIn(tx, input.kind);
    if (!rule.enabled) return undefined;
    const severity = rule.overridden ? rule.severity : (input.severity ?? rule.severity);
    const now = clock.now();
    const start = windowStart(now, rule.windowSeconds);
    const subject = { type: input.subject.type, id: input.subject.id };
    // One row per rule, subject and window, counted with an upsert: two nodes counting at once
    // serialise on the row, so the count (and the crossing of the threshold) is exact.
    const counted = await sql<{ count: number }>`
      insert into security_alert_signals (tenant_id, kind, subject_type, subject_id, window_start, count)
      values (${tenantId}, ${input.kind}, ${subject.type}, ${subject.id}, ${start}, 1)
      on conflict (tenant_id, kind, subject_type, subject_id, window_start) do update set count = security_alert_signals.count + 1
      returning count`.execute(tx);
    const count = counted.rows[0]?.count ?? 1;
    if (count === 1) {
      // The subject's earlier windows are done with.
      await tx.deleteFrom('security_alert_signals').where('tenant_id', '=', tenantId).where('kind', '=', input.kind).where('subject_type', '=', subject.type).where('subject_id', '=', subject.id).where('window_start', '<', start).execute();
    }
    if (count < rule.threshold) return undefined;
    const id = uuidv7(clock, random);
    const upserted = await sql<store.SecurityAlertRow & { inserted: boolean }>`
      insert into security_alerts (tenant_id, id, kind, severity, summary, actor_id, subject_type, subject_id, created_at, window_start, occurrences, last_seen_at)
      values (${tenantId}, ${id}, ${input.kind}, ${severity}, ${input.summary}, ${input.actorId}, ${subject.type}, ${subject.id}, ${now}, ${start}, ${count}, ${now})
      on conflict (tenant_id, kind, subject_type, subject_id, window_start) where window_start is not null
      do update set occurrences = greatest(security_alerts.occurrences, excluded.occurrences), last_seen_at = excluded.last_seen_at
      returning *, (xmax = 0) as inserted`.execute(tx);
    const row = upserted.rows[0];
    if (row === undefined) throw new Error('the alert upsert returned no row');
    const { inserted, ...alert } = row;
    if (!inserted) return alert;
    await audit.record(tx, tenantId, {
      action: 'security_alert.raised',
      actor: ctx.actor,
      outcome: 'success',
      source: ctx.source,
      targets: [{ type: 'security_alert', id: alert.id }, { type: subject.type, id: subject.id }],
      metadata: { kind: input.kind, severity, threshold: rule.threshold, window_seconds: rule.windowSeconds },
    });
    // Routing (IR-5): one delivery per channel and target whose least severity this alert reaches.
    const routes = deps.routes;
    if (routes !== undefined) {
      const targets = [
        ...(atLeast(severity, routes.mailMinSeverity) ? routes.mailTo.map((target) => ({ channel: 'mail' as const, target })) : []),
        ...(routes.webhook !== undefined && atLeast(severity, routes.webhook.minSeverity) ? [{ channel: 'webhook' as const, target: routes.webhook.url }] : []),
      ];
      for (const t of targets) {
        await tx.insertInto('security_alert_deliveries').values({ id: uuidv7(clock, random), organization_id: tenantId, alert_id: alert.id, kind: input.kind, severity, channel: t.channel, target: t.target, created_at: now, next_attempt_at: now, attempts: 0, mail_id: null, delivered_at: null, failed_at: null, last_error: null }).execute();
      }
    }
    const onRaised = deps.onRaised;
    if (onRaised !== undefined) {
      try {
        afterCommit(tx as never, () => { onRaised(input.kind, severity); });
      } catch {
        onRaised(input.kind, severity);
      }
    }
    // Ids and kinds only: the summary may name people, the reason is the tenant's business.
    logger.warn({ tenantId, alertId: alert.id, kind: input.kind, severity, actorId: input.actorId, subjectId: subject.id }, 'security alert raised');
    return alert;
  };

  const track = (work: Promise<unknown>): void => {
    const caught = work.catch((error: unknown) => { logger.error({ err: error }, 'security alert could not be raised'); });
    pending.add(caught);
    void caught.finally(() => pending.delete(caught));
  };

  return {
    /** Sends a signal to its rule inside the caller's transaction (the tenant's); returns the alert when one is raised or counted on. */
    raise,
    /**
     * Sends a signal after `tx` commits, in a transaction of `tenantId`'s own: for signals seen in
     * another tenant's transaction (the platform log's lockouts). A signal whose raising fails is
     * logged, never failing the caller.
     */
    raiseAfterCommit: (tx: Tx, tenantId: string, input: AlertInput): void => {
      const run = () => { track(transactor.withTenant(tenantId, (t) => raise(t, tenantId, SYSTEM, input))); };
      try {
        afterCommit(tx as never, run);
      } catch {
        run();
      }
    },
    /** Raises a signal in its own transaction (signals seen outside any: a key-provider error). */
    raiseNow: (tenantId: string, input: AlertInput) => transactor.withTenant(tenantId, (tx) => raise(tx, tenantId, SYSTEM, input)),
    /** The rule in force for `kind` (a sweep that looks ahead, such as expiring SSO certificates, looks as far as its window). */
    rule: (kind: AlertKind) => transactor.withTenant(PLATFORM_TENANT_ID, (tx) => ruleIn(tx, kind)),
    /** Keeps `work` (a signal raised outside the caller's flow) until it settles; its failure is logged. */
    track,
    /** Resolves once the signals queued by `raiseAfterCommit` are raised (tests, shutdown). */
    settled: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    get: (tenantId: string, id: string) => transactor.withTenant(tenantId, (tx) => tx.selectFrom('security_alerts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()),
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
