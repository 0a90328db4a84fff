import { sql } from 'kysely';
import type { Config } from '../../config/index.ts';
import { isLoopback } from '../../config/options.ts';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { postgresConnectionConfig } from '../../platform/db/postgres-tls.ts';
import type { LifecycleRun } from '../lifecycle/index.ts';
import { PURGE_SLACK_DAYS } from './checks-organization.ts';
import { fail, notApplicable, pass, type TrustCheck } from './checks/trust-check.ts';
import { overdueAccountDeletions } from '../lifecycle/index.ts';

const DAY = 86_400_000;

/** What PostgreSQL reports about our own backend's connection (`pg_stat_ssl`). */
export interface BackendTls {
  readonly ssl: boolean;
  readonly version: string | null;
  readonly cipher: string | null;
}

/** The TLS state of the application's own database connection, read from `pg_stat_ssl` for `pg_backend_pid()`. */
export async function backendTls(transactor: AppTransactor): Promise<BackendTls> {
  const { rows } = await transactor.withPlatform((tx) => sql<BackendTls>`select ssl, version, cipher from pg_stat_ssl where pid = pg_backend_pid()`.execute(tx));
  return rows[0] ?? { ssl: false, version: null, cipher: null };
}

/** The verification the configured URL asks for: `disable`, `verify-ca` or `verify-full` (`require` is verify-full, postgres-tls.ts). */
function configuredMode(url: string, caFile: string | undefined): 'disable' | 'verify-ca' | 'verify-full' {
  const { ssl } = postgresConnectionConfig(url, caFile);
  if (ssl === false) return 'disable';
  return ssl.checkServerIdentity === undefined ? 'verify-full' : 'verify-ca';
}

/**
 * ENC-7: the application's connection to PostgreSQL is encrypted and verified. PostgreSQL itself
 * says whether our backend's connection uses TLS (`pg_stat_ssl`, with its version and cipher); the
 * configured `sslmode` says whether the server's certificate was verified. Embedded PGlite has no
 * network connection (not applicable); so has a server on loopback without TLS (development).
 */
export function databaseTlsCheck(deps: { transactor: AppTransactor; config: Pick<Config, 'databaseUrl' | 'databaseCaFile'>; probe?: () => Promise<BackendTls> }): TrustCheck {
  return {
    id: 'enc.database-tls',
    claims: ['ENC-7'],
    title: 'The connection to the database uses TLS with the server certificate verified (sslmode verify-full), as PostgreSQL reports it.',
    run: async () => {
      const url = deps.config.databaseUrl;
      if (url === undefined) return notApplicable('The database is embedded in the server process (no network connection to protect).', 'PGlite');
      const mode = configuredMode(url, deps.config.databaseCaFile);
      const seen = await (deps.probe ?? (() => backendTls(deps.transactor)))();
      const host = decodeURIComponent(new URL(url).hostname).replace(/^\[|\]$/g, '');
      const found = `sslmode ${mode}; pg_stat_ssl: ssl ${String(seen.ssl)}, ${seen.version ?? 'no version'}, ${seen.cipher ?? 'no cipher'}`;
      if (!seen.ssl) {
        if (host === '' || host.startsWith('/') || isLoopback(host)) return notApplicable('The database is on the same host over loopback, without TLS (development).', found);
        return fail('The connection to the database is not encrypted.', `${host}: ${found}`);
      }
      if (mode === 'disable') return fail('The connection to the database is encrypted but the server certificate is not verified.', `${host}: ${found}`);
      if (seen.version !== 'TLSv1.2' && seen.version !== 'TLSv1.3') return fail('The connection to the database uses a TLS version older than 1.2.', `${host}: ${found}`);
      return pass(`The connection to the database uses ${seen.version} and the server certificate is verified (${mode}).`, `${host}: ${found}`);
    },
  };
}

/** DATA-1: retention runs every hour; two runs and a margin without one and the check fails. */
export const PURGE_MAX_AGE_MS = 2 * 3_600_000 + 5 * 60_000;

/**
 * DATA-1: the scheduled retention purge ran recently (the lifecycle job records every finished
 * run, migration 0075). Fails when it never ran on this database or last finished too long ago.
 */
export function lastPurgeCheck(deps: { runs: () => Promise<readonly LifecycleRun[]>; clock: Clock }): TrustCheck {
  return {
    id: 'data.last-purge',
    claims: ['DATA-1'],
    title: 'The scheduled retention purge of every data type ran within the last two hours.',
    run: async () => {
      const last = (await deps.runs()).find((r) => r.job === 'retention');
      if (last === undefined) return fail('No scheduled retention purge has run on this deployment.', 'lifecycle_runs has no retention row');
      const age = deps.clock.now().getTime() - last.finished_at.getTime();
      const detail = `last retention run ${last.finished_at.toISOString()}, ${last.removed} row(s) removed`;
      if (age > PURGE_MAX_AGE_MS) return fail('The scheduled retention purge has not run recently.', detail);
      return pass(`The scheduled retention purge last ran ${Math.max(0, Math.round(age / 60_000))} minute(s) ago.`, detail);
    },
  };
}

/** DATA-3: no account deletion is past its grace period without having been carried out. */
export function accountDeletionGraceCheck(deps: { transactor: AppTransactor; clock: Clock }): TrustCheck {
  return {
    id: 'data.account-deletion-grace',
    claims: ['DATA-3'],
    title: 'No account deletion is past its grace period without having been carried out.',
    run: async () => {
      const before = new Date(deps.clock.now().getTime() - PURGE_SLACK_DAYS * DAY);
      const n = await deps.transactor.withPlatform((tx) => overdueAccountDeletions(tx, before));
      if (n > 0) return fail(`${n} account deletion(s) are past their grace period and were not carried out.`, `${n} user_deletions rows with purge_after before ${before.toISOString()}`);
      return pass('No account deletion is past its grace period.');
    },
  };
}
