import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { AlertInput } from '../alerts/index.ts';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder } from '../audit/index.ts';
import type { Tx } from '../../database.ts';
import type { ClockName } from './disclosure-tables.ts';
import { DEFAULT_SETTINGS, type Settings } from './settings.ts';

const HOUR_MS = 3_600_000;
const SYSTEM: AuditContext = { userId: '', actor: { type: 'system', id: null, display_name: 'disclosure clocks' }, source: { ip: null, user_agent: null, request_id: null } };

/**
 * Reminders before and escalation after a report's deadlines (acknowledge, assess, fix): once per
 * clock and deadline each, recorded in the clock's history, audited, logged, and raised as a
 * security alert for the configured organization. The history row's unique `claim` makes each one
 * happen exactly once even when several nodes sweep (the leader loop runs it on one anyway); a
 * moved deadline gets its own reminder and escalation.
 */
export function createClockSweep(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: Pick<AuditRecorder, 'record'>;
  alerts: { raise(tx: Tx, tenantId: string, ctx: AuditContext, input: AlertInput): Promise<unknown> };
  alertOrganization: string | undefined;
  logger: Pick<Logger, 'warn'>;
}) {
  const { transactor, clock, random, audit, logger } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);

  return async function sweep(): Promise<number> {
    const now = clock.now();
    const { rows, settings } = await inPlatform(async (tx) => {
      const settingsRow = await tx.selectFrom('disclosure_settings').select('data').executeTakeFirst();
      const open = await tx
        .selectFrom('disclosure_reports')
        .select(['id', 'severity', 'acknowledge_by', 'acknowledged_at', 'assess_by', 'assessed_at', 'fix_by', 'fixed_at'])
        .where('status', 'in', ['received', 'acknowledged', 'assessed'])
        .orderBy('created_at', 'asc')
        .limit(2000)
        .execute();
      return { rows: open, settings: settingsRow === undefined ? DEFAULT_SETTINGS : (settingsRow.data as unknown as Settings) };
    });
    const leadMs = settings.reminder_hours * HOUR_MS;
    let raised = 0;
    for (const r of rows) {
      const clocks: [ClockName, Date | null, Date | null][] = [['acknowledge', r.acknowledge_by, r.acknowledged_at], ['assess', r.assess_by, r.assessed_at], ['fix', r.fix_by, r.fixed_at]];
      for (const [name, due, met] of clocks) {
        if (due === null || met !== null) continue;
        const left = due.getTime() - now.getTime();
        const event = left < 0 ? 'overdue' : leadMs > 0 && left <= leadMs ? 'reminded' : undefined;
        if (event === undefined) continue;
        const claim = `${name}:${event}:${due.toISOString()}`;
        const claimed = await inPlatform(async (tx) => {
          const inserted = await tx.insertInto('disclosure_clock_events').values({ id: uuidv7(clock, random), report_id: r.id, clock: name, event, due_at: due, at: now, claim }).onConflict((oc) => oc.columns(['report_id', 'claim']).doNothing()).returning('id').executeTakeFirst();
          if (inserted === undefined) return false;
          await audit.record(tx, PLATFORM_TENANT_ID, { action: event === 'overdue' ? 'disclosure.clock_overdue' : 'disclosure.clock_reminder', actor: SYSTEM.actor, outcome: 'success', source: SYSTEM.source, targets: [{ type: 'disclosure_report', id: r.id }], metadata: { clock: name, due_at: due.toISOString() } });
          return true;
        });
        if (!claimed) continue;
        raised += 1;
        logger.warn({ reportId: r.id, clock: name, event }, event === 'overdue' ? 'disclosure clock overdue' : 'disclosure clock due soon');
        if (deps.alertOrganization !== undefined) {
          const org = deps.alertOrganization;
          const severity = event === 'reminded' ? 'medium' : name === 'fix' && r.severity === 'critical' ? 'critical' : 'high';
          await transactor.withTenant(org, (tx) =>
            deps.alerts.raise(tx, org, SYSTEM, {
              kind: event === 'overdue' ? 'disclosure_clock_overdue' : 'disclosure_clock_reminder',
              severity,
              summary: event === 'overdue' ? `Vulnerability report clock ${name} is overdue.` : `Vulnerability report clock ${name} is due within ${settings.reminder_hours} hours.`,
              actorId: null,
              subject: { type: 'disclosure_report', id: r.id },
            }),
          );
        }
      }
    }
    return raised;
  };
}
