// Shared pieces of the audit-log benchmarks (bench/audit-*.ts): a fresh migrated database on the
import { schemaMigrations } from '../src/schema.ts';
// PostgreSQL server with a superuser pool on the same database for baselines and seeding,
// realistic event inputs drawn from the action catalogue, the sequenced form of an event (what the
// sequencer would store), percentiles and the machine facts each run prints.
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { AppTransactor, DB } from '../src/database.ts';
import '../src/modules/index.ts';
import { auditActions, type AuditAction } from '../src/modules/audit/actions.ts';
import type { AuditEvent, AuditEventInput } from '../src/modules/audit/audit-event.ts';
import { createAuditSigner, type AuditSigner } from '../src/modules/audit/audit-signer.ts';
import { urlKeyName } from '../src/modules/audit/log-identity.ts';
import { canonicalJson } from '../src/modules/audit/log/index.ts';
import { createContextSigner, createTransactor, migrate, openDatabase, type Database } from '../src/platform/db/index.ts';
import { createServerDatabase, PG_ADMIN_URL, postgresAvailable, TEST_KEYRING } from '../test/support/databases.ts';

/** The public URL whose host names the checkpoints' origin, as in the tests. */
export const BENCH_PUBLIC_URL = 'http://127.0.0.1:4000';
export const CONTEXT_KEY = TEST_KEYRING.derive('tenant-context-mac');

export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

export const silentLogger: Logger = pino({ level: 'silent' });

export function benchSigner(): AuditSigner {
  const keyName = urlKeyName(BENCH_PUBLIC_URL);
  return createAuditSigner(TEST_KEYRING, { keyName, keyNames: [keyName] });
}

/** Why the server benchmarks cannot run, or false when the server answers. */
export async function serverSkipReason(): Promise<string | false> {
  return (await postgresAvailable()) ? false : `PostgreSQL server not reachable at ${PG_ADMIN_URL}`;
}

/** nproc, CPU, node, load average, and the server's version when it answers. */
export async function machineFacts(): Promise<string> {
  let server = 'PostgreSQL server: not reachable';
  if (await postgresAvailable()) {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ v: string; sb: string; sc: string }>(
        "select current_setting('server_version') as v, current_setting('shared_buffers') as sb, current_setting('synchronous_commit') as sc",
      );
      server = `PostgreSQL ${rows[0]!.v} (shared_buffers ${rows[0]!.sb}, synchronous_commit ${rows[0]!.sc})`;
    } finally {
      await client.end();
    }
  }
  return `${new Date().toISOString()}; node ${process.version}; ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); load average ${loadAverage()}; ${server}`;
}

export const loadAverage = (): string => loadavg().map((n) => n.toFixed(2)).join(' ');

export interface ServerAuditDatabase {
  readonly name: string;
  readonly appUrl: string;
  readonly ownerUrl: string;
  /** The superuser on this database: row-level security does not apply (baselines, seeding, polling). */
  readonly superUrl: string;
  readonly db: Database<DB>;
  readonly transactor: AppTransactor;
  readonly superuser: Kysely<DB>;
  close(): Promise<void>;
}

/** A fresh database on the server, migrated, with an app pool of `poolSize` and a superuser pool. */
export async function openServerAuditDatabase(options: { poolSize: number; superPoolSize?: number }): Promise<ServerAuditDatabase> {
  const created = await createServerDatabase();
  const superUrl = new URL(PG_ADMIN_URL);
  superUrl.pathname = `/${created.name}`;
  const db = await openDatabase<DB>({ url: created.app, migrationUrl: created.owner, dataDir: '/tmp', poolSize: options.poolSize });
  const pool = new pg.Pool({ connectionString: superUrl.toString(), max: options.superPoolSize ?? 2 });
  pool.on('error', () => undefined);
  const superuser = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const close = async () => {
    await superuser.destroy().catch(() => undefined);
    await db.close().catch(() => undefined);
    await created.drop();
  };
  try {
    await migrate(db, CONTEXT_KEY, schemaMigrations());
  } catch (error) {
    await close();
    throw error;
  }
  return {
    name: created.name,
    appUrl: created.app,
    ownerUrl: created.owner,
    superUrl: superUrl.toString(),
    db,
    transactor: createTransactor<DB>(db.app, createContextSigner(CONTEXT_KEY)),
    superuser,
    close,
  };
}

/** A transactor on another pool to the same database (the sequencer's node, a writer node). */
export async function openAppConnection(appUrl: string, poolSize: number): Promise<{ db: Database<DB>; transactor: AppTransactor }> {
  const db = await openDatabase<DB>({ url: appUrl, migrationUrl: undefined, dataDir: '/tmp', poolSize });
  return { db, transactor: createTransactor<DB>(db.app, createContextSigner(CONTEXT_KEY)) };
}

/**
 * How often each action occurs in the generated load, per 1,000 events (roughly a busy API).
 * Actions of the catalogue not listed here get 1; `api.request` takes the rest (about 74 %), so
 * the catalogue may grow without changing the mix. `project.*` is 4 % of all events.
 */
const ACTION_WEIGHTS: Readonly<Partial<Record<AuditAction, number>>> = {
  'session.created': 60,
  'session.revoked': 40,
  'session.login_failed': 30,
  'authz.denied': 30,
  'project.created': 20,
  'project.renamed': 15,
  'project.deleted': 5,
  'environment.created': 20,
  'environment.updated': 15,
  'environment.deleted': 5,
  'organization.created': 4,
  'organization.renamed': 4,
  'organization.deleted': 1,
  'audit.exported': 5,
  'audit.retention_changed': 2,
  'audit.retention_applied': 2,
  'setup.completed': 1,
};

/** The actions repeated by weight (1,000 entries): entry `n % 1000` is event n's action. */
export const ACTION_TABLE: readonly AuditAction[] = (() => {
  const others = [...auditActions().keys()].filter((a) => a !== 'api.request');
  const table: AuditAction[] = [];
  for (const action of others) for (let i = 0; i < (ACTION_WEIGHTS[action] ?? 1); i++) table.push(action);
  while (table.length < 1000) table.push('api.request');
  // Spread each action over the table (a fixed permutation) so consecutive events vary.
  return Array.from({ length: 1000 }, (_, i) => table[(i * 617) % 1000]!);
})();

/** Share of events whose action starts with `prefix`. */
export function actionShare(prefix: string): number {
  return ACTION_TABLE.filter((a) => a.startsWith(prefix)).length / ACTION_TABLE.length;
}

/** Browser sign-ins carry a browser's user agent; API calls mostly come from SDKs and scripts. */
export const USER_AGENTS: readonly string[] = ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'parapet-sdk-js/1.4.2', 'curl/8.5.0', 'python-requests/2.32.3'];

const ROUTES: readonly string[] = ['/api/v1/organizations/:orgId/projects', '/api/v1/organizations/:orgId/projects/:projectId', '/api/v1/organizations/:orgId/audit/events'];

const hexUuid = (n: number, salt: number): string => {
  const hex = ((n * 2654435761 + salt * 40503) >>> 0).toString(16).padStart(8, '0');
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(5, 8)}-${hex}${hex.slice(0, 4)}`;
};

/**
 * Event n as a writer would record it, shaped like the app's: `api.request` (three in four events)
 * carries method, route template, status and latency and no target, as `recordApiCalls` in
 * src/app.ts records it; other actions name a target after the action's noun. Canonical events
 * come to about 400–520 bytes (`canonicalSizes`).
 */
export function benchEventInput(n: number): AuditEventInput {
  const action = ACTION_TABLE[n % 1000]!;
  const noun = action.split('.')[0]!;
  const user = n % 37;
  const api = action === 'api.request';
  return {
    action,
    actor: { type: 'user', id: hexUuid(user, 1), display_name: `User ${user}` },
    ...(api ? {} : { targets: [{ type: noun, id: hexUuid(n % 101, 2), name: `${noun} ${n % 101}` }] }),
    outcome: action === 'authz.denied' ? 'denied' : action === 'session.login_failed' ? 'failure' : 'success',
    source: { ip: `203.0.113.${n % 250}`, user_agent: USER_AGENTS[noun === 'session' ? 0 : 1 + (n % 3)]!, request_id: `req-${n.toString(36)}` },
    metadata: api ? { method: n % 4 === 0 ? 'POST' : 'GET', route: ROUTES[n % 3]!, status: 200, latency_ms: (n % 500) / 10 } : {},
  };
}

/** A UUIDv7-shaped id from a time and a counter (unique per counter). */
export function uuidFromParts(ms: number, counter: number): string {
  const hex = `${ms.toString(16).padStart(12, '0')}7${counter.toString(16).padStart(18, '0')}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-8${hex.slice(16, 19)}-${hex.slice(19, 31)}`;
}

/** The event the sequencer would store for input `n` at `seq` (same shape as the recorder's plus seq and recorded_at). */
export function sequencedEvent(tenantId: string, n: number, seq: number, at: Date): AuditEvent {
  const input = benchEventInput(n);
  return {
    v: 1,
    id: uuidFromParts(at.getTime(), seq),
    tenant_id: tenantId,
    occurred_at: at.toISOString(),
    actor: input.actor,
    action: input.action,
    targets: input.targets ?? [],
    outcome: input.outcome,
    source: { ip: input.source?.ip ?? null, user_agent: input.source?.user_agent ?? null },
    request_id: input.source?.request_id ?? null,
    metadata: input.metadata ?? {},
    seq,
    recorded_at: at.toISOString(),
  };
}

/** The audit_events row of a sequenced event (canonical bytes; leaf hash supplied by the caller). */
export function eventRow(event: AuditEvent, canonical: Uint8Array, leaf: Uint8Array) {
  return {
    tenant_id: event.tenant_id,
    seq: event.seq,
    id: event.id,
    occurred_at: new Date(event.occurred_at),
    recorded_at: new Date(event.recorded_at),
    action: event.action,
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    outcome: event.outcome,
    ip: event.source.ip,
    target_ids: event.targets.map((t) => t.id),
    canonical: Buffer.from(canonical),
    leaf_hash: Buffer.from(leaf),
  };
}

/** Size range of canonical events over inputs 0..999. */
export function canonicalSizes(): { min: number; max: number; mean: number } {
  const sizes = Array.from({ length: 1000 }, (_, n) => canonicalJson(sequencedEvent('0190a6f2-3c4d-7e5f-8a6b-7c8d9e0f1a2b', n, 1_000_000 + n, new Date())).length);
  return { min: Math.min(...sizes), max: Math.max(...sizes), mean: sizes.reduce((a, b) => a + b, 0) / sizes.length };
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * CPU time (microseconds) of each server backend connected to `database`, by pid, with its
 * application_name, read from /proc (the server runs on this machine). Autovacuum, the WAL writer
 * and the checkpointer are not counted.
 */
export async function backendCpu(superuser: Kysely<DB>, database: string): Promise<Map<number, { app: string; micros: number }>> {
  const { rows } = await sql<{ pid: number; application_name: string }>`
    select pid, application_name from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`.execute(superuser);
  const backends = new Map<number, { app: string; micros: number }>();
  for (const row of rows) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${row.pid}/stat`, 'utf8');
    } catch {
      continue; // the backend ended in between
    }
    // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    backends.set(row.pid, { app: row.application_name, micros: (ticks * 1_000_000) / CLOCK_TICKS });
  }
  return backends;
}

/** CPU used between two `backendCpu` snapshots, by application_name. */
export function backendCpuSince(before: Map<number, { app: string; micros: number }>, after: Map<number, { app: string; micros: number }>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [pid, now] of after) totals.set(now.app, (totals.get(now.app) ?? 0) + now.micros - (before.get(pid)?.micros ?? 0));
  return totals;
}

/** Linux USER_HZ (`getconf CLK_TCK`), 100 on every mainstream kernel. */
const CLOCK_TICKS = 100;

/** `url` with an application_name, so the server's CPU can be told apart by role. */
export function withApplicationName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

/** Events sequenced so far in every tenant's log (the sum of the tree heads' sizes), and when read. */
export async function sequencedTotal(db: Kysely<DB>): Promise<{ events: number; at: number }> {
  const { rows } = await sql<{ n: string }>`select coalesce(sum(size), 0) as n from audit_tree_heads`.execute(db);
  return { events: Number(rows[0]!.n), at: Date.now() };
}
