import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder } from '../audit/index.ts';
import { DeliveryError, type AddressGuard } from '../audit-streaming/index.ts';
import type { CheckKind, ComponentStatus, StatusChecksTable } from './incidents-tables.ts';
import { runProbe, type ProbeResult, type ProbeTargets } from './status-probes.ts';

const SYSTEM: AuditContext = { userId: '', actor: { type: 'system', id: null, display_name: 'status checks' }, source: { ip: null, user_agent: null, request_id: null } };
/** Checks probed per pass; the leader comes back at once while more are due. */
const BATCH = 20;

export interface CheckInput {
  readonly componentId: string;
  readonly kind: CheckKind;
  readonly name: string;
  readonly url?: string | undefined;
  readonly intervalSeconds?: number | undefined;
  readonly failuresBeforeOutage?: number | undefined;
}

/**
 * The status a component's checks give it: operational while none is failing, a partial outage
 * while some are, a major outage when every one is. A check is failing after
 * `failures_before_outage` failed probes in a row (one failure is noise).
 */
export function statusFromChecks(checks: readonly Pick<StatusChecksTable, 'consecutive_failures' | 'failures_before_outage'>[]): ComponentStatus {
  const failing = checks.filter((c) => c.consecutive_failures >= c.failures_before_outage).length;
  if (failing === 0) return 'operational';
  return failing === checks.length ? 'major_outage' : 'partial_outage';
}

/**
 * Built-in probes of Parapet's parts and operators' HTTP checks (IR-4). The leader probes what is
 * due; each due check is claimed with a conditional update, so of two nodes one probes it. A
 * change of a component's status is kept in `status_component_changes` (its 90-day history) and
 * audited once per change. An operator's status other than operational stands over the probes.
 */
export function createStatusChecks(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; logger: Logger; probes: ProbeTargets; guard: AddressGuard; timeoutMs?: number }) {
  const { transactor, clock, random, audit, probes } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  const record = (tx: Tx, ctx: AuditContext, action: 'status.check_changed' | 'status.component_probed', target: { type: string; id: string }, metadata: Readonly<Record<string, string | number | boolean | null>>) =>
    audit.record(tx, PLATFORM_TENANT_ID, { action, actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [target], metadata });

  const available = (kind: CheckKind) => (kind === 'redis' ? probes.redis !== undefined : kind === 'mail' ? probes.mail !== undefined : true);
  const checkUrl = async (text: string | undefined): Promise<string> => {
    let url: URL;
    try {
      url = new URL(text ?? '');
    } catch {
      throw new AppError('invalid_request', { detail: 'An HTTP check needs an https URL.' });
    }
    if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') throw new AppError('invalid_request', { detail: 'An HTTP check needs an https URL without credentials.' });
    try {
      // The audit streams' guard: private, loopback, link-local and metadata addresses are refused
      // unless PARAPET_STATUS_CHECK_ALLOWED_NETWORKS opens them; checked again at every connection.
      await deps.guard.assertResolvesAllowed(url.hostname.replace(/^\[|\]$/g, ''));
    } catch (error) {
      if (error instanceof DeliveryError) throw new AppError('check_address_not_allowed');
      throw error;
    }
    return url.href;
  };

  const probe = (check: Pick<StatusChecksTable, 'kind' | 'url'>): Promise<ProbeResult> => {
    const target = check.kind === 'http' ? () => probes.http(check.url ?? '') : probes[check.kind];
    if (target === undefined) return Promise.resolve({ ok: false, latencyMs: 0, error: 'not_configured' });
    return runProbe(target, deps.timeoutMs ?? 10_000);
  };

  /** Sets the component to what its checks say, unless an operator's own status stands; records the change. */
  const settle = async (tx: Tx, componentId: string) => {
    const component = await tx.selectFrom('status_components').select(['status', 'set_by']).where('id', '=', componentId).forUpdate().executeTakeFirst();
    if (component === undefined) return;
    const checks = await tx.selectFrom('status_checks').select(['consecutive_failures', 'failures_before_outage']).where('component_id', '=', componentId).where('enabled', '=', true).execute();
    const next = statusFromChecks(checks);
    if (next === component.status || (component.set_by === 'operator' && component.status !== 'operational')) return;
    const now = clock.now();
    await tx.updateTable('status_components').set({ status: next, set_by: 'probe', updated_at: now }).where('id', '=', componentId).execute();
    await tx.insertInto('status_component_changes').values({ id: uuidv7(clock, random), component_id: componentId, status: next, changed_at: now }).execute();
    await record(tx, SYSTEM, 'status.component_probed', { type: 'status_component', id: componentId }, { from: component.status, to: next });
  };

  return {
    list: () => inPlatform((tx) => tx.selectFrom('status_checks').selectAll().orderBy('component_id').orderBy('created_at').limit(500).execute()),

    add: async (ctx: AuditContext, input: CheckInput): Promise<StatusChecksTable> => {
      if (!available(input.kind)) throw new AppError('probe_not_available');
      if (input.kind !== 'http' && input.url !== undefined) throw new AppError('invalid_request', { detail: 'Only an HTTP check has a URL.' });
      const url = input.kind === 'http' ? await checkUrl(input.url) : null;
      const now = clock.now();
      const row: StatusChecksTable = {
        id: uuidv7(clock, random), component_id: input.componentId, kind: input.kind, name: input.name, url, interval_seconds: input.intervalSeconds ?? 60, failures_before_outage: input.failuresBeforeOutage ?? 2,
        enabled: true, next_check_at: now, last_checked_at: null, last_ok: null, last_error: null, last_latency_ms: null, consecutive_failures: 0, created_at: now,
      };
      await inPlatform(async (tx) => {
        const component = await tx.selectFrom('status_components').select('id').where('id', '=', input.componentId).executeTakeFirst();
        if (component === undefined) throw new AppError('unknown_component');
        await tx.insertInto('status_checks').values(row).execute();
        await record(tx, ctx, 'status.check_changed', { type: 'status_check', id: row.id }, { change: 'added', kind: row.kind, component: row.component_id });
      });
      return row;
    },

    /** Turns a check on or off; off, it no longer counts for its component. */
    setEnabled: (ctx: AuditContext, id: string, enabled: boolean) =>
      inPlatform(async (tx) => {
        const row = await tx.updateTable('status_checks').set({ enabled, next_check_at: clock.now(), consecutive_failures: 0 }).where('id', '=', id).returning('component_id').executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        await record(tx, ctx, 'status.check_changed', { type: 'status_check', id }, { change: enabled ? 'enabled' : 'disabled' });
        await settle(tx, row.component_id);
      }),

    remove: (ctx: AuditContext, id: string) =>
      inPlatform(async (tx) => {
        const row = await tx.deleteFrom('status_checks').where('id', '=', id).returning('component_id').executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        await record(tx, ctx, 'status.check_changed', { type: 'status_check', id }, { change: 'removed' });
        await settle(tx, row.component_id);
      }),

    /** One leader pass: probes every due check once (whichever node claims it); returns how many it probed. */
    runDue: async (): Promise<number> => {
      const now = clock.now();
      const due = await inPlatform((tx) => tx.selectFrom('status_checks').selectAll().where('enabled', '=', true).where('next_check_at', '<=', now).orderBy('next_check_at').limit(BATCH).execute());
      let probed = 0;
      for (const check of due) {
        const claimed = await inPlatform((tx) =>
          tx.updateTable('status_checks').set({ next_check_at: new Date(now.getTime() + check.interval_seconds * 1000) }).where('id', '=', check.id).where('next_check_at', '=', check.next_check_at).where('enabled', '=', true).returning('id').executeTakeFirst(),
        );
        if (claimed === undefined) continue;
        probed += 1;
        const result = await probe(check);
        if (!result.ok) deps.logger.warn({ check: check.id, kind: check.kind, error: result.error }, 'status check failed');
        await inPlatform(async (tx) => {
          await tx.updateTable('status_checks').set({
            last_checked_at: clock.now(), last_ok: result.ok, last_error: result.ok ? null : result.error.slice(0, 200), last_latency_ms: result.latencyMs,
            consecutive_failures: result.ok ? 0 : sql<number>`consecutive_failures + 1`,
          }).where('id', '=', check.id).execute();
          await settle(tx, check.component_id);
        });
      }
      return probed;
    },
  };
}

export type StatusChecks = ReturnType<typeof createStatusChecks>;
