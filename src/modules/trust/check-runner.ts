import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { canonicalJson, PLATFORM_TENANT_ID, SYSTEM_ACTOR, type AuditRecorder } from '../audit/index.ts';
import type { SecurityAlerts } from '../alerts/index.ts';
import { insertResults, latestResults, pruneResults, type CheckResultRow } from './check-results.ts';
import { fail, type CheckOutcome, type TrustCheck } from './checks/trust-check.ts';

/** Results are kept this long (each check's newest is kept whatever its age). */
const RESULT_RETENTION_MS = 90 * 86_400_000;
/** A check that has not answered in this long fails (a hung KMS or TLS endpoint is itself a finding). */
const CHECK_TIMEOUT_MS = 60_000;

const NO_SOURCE = { ip: null, user_agent: null, request_id: null } as const;

export interface CheckRunner {
  readonly checks: readonly TrustCheck[];
  /** Runs every check once, records the results and reports transitions; returns the new rows. */
  runAll(): Promise<CheckResultRow[]>;
  latest(): Promise<CheckResultRow[]>;
}

async function runOne(check: TrustCheck): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.run(),
      new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(() => {
          resolve(fail('The check did not complete in time.', `no answer within ${CHECK_TIMEOUT_MS / 1000} s`));
        }, CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    // An error is a failure: a check that cannot look cannot vouch. The message stays private.
    return fail('The check could not complete.', error instanceof Error ? error.message.slice(0, 1000) : 'error');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the trust center's checks (TR-4) and records each result. The digest of every run's results
 * goes into the platform audit log (`trust.checks_ran`), so a result edited in the table no longer
 * matches the tamper-evident log. A check that turns from passing to failing is recorded
 * (`trust.check_failed`), logged at error level and, when an alert organization is configured,
 * raised there as a security alert; recovery is recorded too.
 */
/** Checks that verify audit logs (AUD-2): their failure also raises `audit_verification_failed`. */
const AUDIT_VERIFICATION_CHECKS: ReadonlySet<string> = new Set(['aud.platform-log', 'aud.organization-logs']);

export function createCheckRunner(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  logger: Pick<Logger, 'error' | 'info'>;
  audit: Pick<AuditRecorder, 'record'>;
  alerts: Pick<SecurityAlerts, 'raise'>;
  alertOrganization: string | undefined;
  checks: readonly TrustCheck[];
  /** Called after every run that recorded results (the page cache listens). */
  onResults?: () => void;
}): CheckRunner {
  const { transactor, clock, random, logger, audit } = deps;
  const latest = () => transactor.withTenant(PLATFORM_TENANT_ID, latestResults);
  return {
    checks: deps.checks,
    latest,
    runAll: async () => {
      const before = new Map((await latest()).map((row) => [row.check_id, row.status]));
      const rows: CheckResultRow[] = [];
      for (const check of deps.checks) {
        const started = clock.now();
        const outcome = await runOne(check);
        rows.push({ id: uuidv7(clock, random), check_id: check.id, claims: [...check.claims], status: outcome.status, statement: outcome.statement.slice(0, 500), detail: outcome.detail.slice(0, 2000), started_at: started, finished_at: clock.now() });
      }
      const failedNow = rows.filter((row) => row.status === 'fail' && before.get(row.check_id) !== 'fail');
      const recovered = rows.filter((row) => row.status !== 'fail' && before.get(row.check_id) === 'fail');
      const digest = createHash('sha256')
        .update(canonicalJson(rows.map((row) => ({ id: row.id, check_id: row.check_id, status: row.status, statement: row.statement, finished_at: row.finished_at.toISOString() }))))
        .digest('hex');
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        await insertResults(tx, rows);
        await pruneResults(tx, new Date(clock.now().getTime() - RESULT_RETENTION_MS));
        await audit.record(tx, PLATFORM_TENANT_ID, {
          action: 'trust.checks_ran',
          actor: SYSTEM_ACTOR,
          outcome: rows.some((r) => r.status === 'fail') ? 'failure' : 'success',
          source: NO_SOURCE,
          targets: [],
          metadata: { checks: rows.length, failing: rows.filter((r) => r.status === 'fail').length, results_sha256: digest },
        });
        for (const row of [...failedNow, ...recovered]) {
          await audit.record(tx, PLATFORM_TENANT_ID, {
            action: row.status === 'fail' ? 'trust.check_failed' : 'trust.check_recovered',
            actor: SYSTEM_ACTOR,
            outcome: row.status === 'fail' ? 'failure' : 'success',
            source: NO_SOURCE,
            targets: [{ type: 'trust_check_result', id: row.id }],
            metadata: { check: row.check_id, claims: row.claims.join(' ') },
          });
        }
      });
      for (const row of failedNow) {
        logger.error({ check: row.check_id, claims: row.claims, detail: row.detail }, 'trust check failing');
        const org = deps.alertOrganization;
        if (org === undefined) continue;
        await transactor
          .withTenant(org, (tx) =>
            deps.alerts.raise(tx, org, { userId: '', actor: SYSTEM_ACTOR, source: NO_SOURCE }, {
              kind: 'trust_check_failed',
              severity: 'high',
              summary: `Trust center check ${row.check_id} (${row.claims.join(', ')}) is failing: the public control is shown as failing.`,
              actorId: null,
              subject: { type: 'trust_check_result', id: row.id },
            }),
          )
          .catch((error: unknown) => {
            logger.error({ err: error, check: row.check_id }, 'trust check alert could not be raised');
          });
        // IR-5: an audit log that fails verification is an alert rule of its own (critical by default).
        if (AUDIT_VERIFICATION_CHECKS.has(row.check_id)) {
          await transactor
            .withTenant(org, (tx) =>
              deps.alerts.raise(tx, org, { userId: '', actor: SYSTEM_ACTOR, source: NO_SOURCE }, {
                kind: 'audit_verification_failed',
                summary: `An audit log failed verification against its hash chain and signed checkpoints (trust center check ${row.check_id}): run parapet audit verify to find the damaged entries.`,
                actorId: null,
                subject: { type: 'trust_check_result', id: row.id },
              }),
            )
            .catch((error: unknown) => {
              logger.error({ err: error, check: row.check_id }, 'audit verification alert could not be raised');
            });
        }
      }
      deps.onResults?.();
      return rows;
    },
  };
}
