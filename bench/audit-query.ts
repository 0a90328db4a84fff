// Audit benchmark 4: a tenant's newest 100 events filtered by action, on a large log.
//
// Seeds audit_events on the PostgreSQL server with server-side SQL (see seedSql: events of 1,000
// tenants interleaved in time, canonical RFC 8785 bytes, actions from the catalogue with the mix of
// audit-support.ts), then measures, one query at a time against random tenants:
//   subject:  listEvents(tx, tenant, { actionPrefix: 'project.' }, undefined, 100) inside withTenant
//   baseline: listEvents(tx, tenant, {}, undefined, 100) inside withTenant — the newest 100, unfiltered
//   prototype (not in src): the subject's filter written as an index range (see byActionRange)
//
//   node_modules/.bin/node bench/audit-query.ts [--events N] [--budget-minutes M] [--quick]
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { DB, Tx } from '../src/database.ts';
import { listEvents } from '../src/modules/audit/audit-store.ts';
import { canonicalJson } from '../src/modules/audit/log/index.ts';
import { ACTION_TABLE, actionShare, fmt, loadAverage, machineFacts, openServerAuditDatabase, out, percentile, serverSkipReason, USER_AGENTS, type ServerAuditDatabase } from './audit-support.ts';
import { median, table } from './support.ts';

const argument = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const quick = process.argv.includes('--quick');

const SETTINGS = {
  tenants: 1000,
  events: Number(argument('--events') ?? (quick ? 200_000 : 10_000_000)),
  /** Seeding (rows, indexes, vacuum) stops adding rows when it would pass this. */
  budgetMs: Number(argument('--budget-minutes') ?? 10) * 60_000,
  chunk: 250_000,
  /** Concurrent seeding statements (one per core). */
  seeders: 2,
  rounds: 3,
  queries: quick ? 300 : 1000,
  warmupQueries: quick ? 100 : 300,
  targetP99Ms: 50,
};

/** Tenant t's id, as seedSql computes it: md5('tenant-' || t) read as a uuid. */
export function tenantId(t: number): string {
  const hex = createHash('md5').update(`tenant-${t}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Rows [from, to) of the seeded log, all in one INSERT … SELECT. Event n belongs to tenant
 * n mod T at seq n div T (so tenants interleave in the heap, as in a busy deployment), is recorded
 * 3 s after event n−1 (`recorded_at` rises with seq; the log spans about a year at 10M events),
 * takes action ACTION_TABLE[(seq·7919 + t·104729) mod 1000] (each tenant sees the whole mix, 4 %
 * `project.*`), and stores the canonical JSON that the sequencer would write for it, keys in
 * RFC 8785 order, with leaf_hash = SHA-256(0x00 ‖ canonical). Ids are UUIDv7-shaped (time, then n).
 */
export function seedSql(from: number, to: number, tenants: number, start: Date) {
  return sql`
    insert into audit_events (tenant_id, seq, id, occurred_at, recorded_at, action, actor_type, actor_id, outcome, ip, target_ids, canonical, leaf_hash)
    select tenant_id, seq, id, occurred_at, recorded_at, action, 'user', actor_id, outcome, ip, target_ids, canonical, sha256('\\x00'::bytea || canonical)
    from (
      select e.*, convert_to(
        '{"action":"' || action || '","actor":{"display_name":"User ' || u || '","id":"' || actor_id || '","type":"user"},"id":"' || id ||
        '","metadata":' || case when action = 'api.request' then '{"latency_ms":' || (n % 250) || ',"method":"' || case when n % 4 = 0 then 'POST' else 'GET' end ||
          '","route":"/api/v1/organizations/:orgId/projects","status":200}' else '{}' end ||
        ',"occurred_at":"' || to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
        '","outcome":"' || outcome || '","recorded_at":"' || to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
        '","request_id":"req-' || to_hex(n) || '","seq":' || seq || ',"source":{"ip":"' || ip || '","user_agent":"' || user_agent || '"},"targets":' ||
        case when action = 'api.request' then '[]' else '[{"id":"' || target_ids[1] || '","name":"' || noun || ' ' || (n % 101) || '","type":"' || noun || '"}]' end ||
        ',"tenant_id":"' || tenant_id || '","v":1}', 'UTF8') as canonical
      from (
        select r.*,
               split_part(action, '.', 1) as noun,
               case action when 'authz.denied' then 'denied' when 'session.login_failed' then 'failure' else 'success' end as outcome,
               case when action = 'api.request' then '{}'::text[] else array[md5('target-' || t || '-' || (n % 101))::uuid::text] end as target_ids,
               case when action like 'session.%' then ${USER_AGENTS[0]!} else (${USER_AGENTS.slice(1)}::text[])[(1 + n % 3)::int] end as user_agent
        from (
          select n, t, seq, u, recorded_at, recorded_at - interval '40 milliseconds' as occurred_at,
                 md5('tenant-' || t)::uuid as tenant_id,
                 md5('user-' || t || '-' || u)::uuid::text as actor_id,
                 (lpad(to_hex((extract(epoch from recorded_at) * 1000)::bigint), 12, '0') || '7' || substr(lpad(to_hex(n), 18, '0'), 1, 3) || '8' || substr(lpad(to_hex(n), 18, '0'), 4, 15))::uuid as id,
                 (${[...ACTION_TABLE]}::text[])[(1 + (seq * 7919 + t * 104729) % 1000)::int] as action,
                 '203.0.113.' || (n % 250) as ip
          from (
            select n, n % ${tenants} as t, n / ${tenants} as seq, (n * 31 + n / 7) % 37 as u,
                   ${start}::timestamptz + n * interval '3 seconds' as recorded_at
            from generate_series(${from}::bigint, ${to - 1}::bigint) as n
            offset 0
          ) g
          offset 0
        ) r
        offset 0
      ) e
      offset 0
    ) c`;
}

interface Definitions {
  readonly constraints: { name: string; definition: string }[];
  readonly indexes: string[];
}

/** Drops audit_events' indexes (keeping their exact definitions) so rows load without index maintenance. */
async function dropIndexes(db: Kysely<DB>): Promise<Definitions> {
  const constraints = (
    await sql<{ name: string; definition: string }>`
      select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
      where conrelid = 'audit_events'::regclass and contype in ('p', 'u')`.execute(db)
  ).rows;
  const indexes = (
    await sql<{ name: string; definition: string }>`
      select indexname as name, indexdef as definition from pg_indexes
      where tablename = 'audit_events' and indexname not in (select conname from pg_constraint where conrelid = 'audit_events'::regclass)`.execute(db)
  ).rows;
  for (const c of constraints) await sql`alter table audit_events drop constraint ${sql.ref(c.name)}`.execute(db);
  for (const i of indexes) await sql`drop index ${sql.ref(i.name)}`.execute(db);
  return { constraints, indexes: indexes.map((i) => i.definition) };
}

async function restoreIndexes(url: string, definitions: Definitions, parallel: number): Promise<void> {
  const statements = [...definitions.constraints.map((c) => `alter table audit_events add constraint ${c.name} ${c.definition}`), ...definitions.indexes];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query("set maintenance_work_mem = '512MB'");
        while (next < statements.length) await client.query(statements[next++]!);
      } finally {
        await client.end();
      }
    }),
  );
}

async function seed(server: ServerAuditDatabase): Promise<{ events: number; seconds: { rows: number; indexes: number; vacuum: number }; bytes: string }> {
  const started = performance.now();
  const start = new Date(Date.now() - SETTINGS.events * 3000 - 86_400_000);
  const definitions = await dropIndexes(server.superuser);
  let next = 0;
  let loaded = 0;
  let stopped = false;
  // Rows take most of the budget; index builds and vacuum took about as long again in trial runs.
  const rowBudget = SETTINGS.budgetMs * 0.55;
  await Promise.all(
    Array.from({ length: SETTINGS.seeders }, async () => {
      const client = new pg.Client({ connectionString: server.superUrl });
      await client.connect();
      try {
        while (next < SETTINGS.events && !stopped) {
          if (performance.now() - started > rowBudget) {
            stopped = true;
            break;
          }
          const from = next;
          const to = Math.min(SETTINGS.events, from + SETTINGS.chunk);
          next = to;
          const compiled = seedSql(from, to, SETTINGS.tenants, start).compile(server.superuser);
          await client.query(compiled.sql, [...compiled.parameters]);
          loaded += to - from;
          if (loaded % 1_000_000 < SETTINGS.chunk) out(`  seeded ${fmt(loaded)} rows in ${fmt((performance.now() - started) / 1000)} s | load ${loadAverage()}`);
        }
      } finally {
        await client.end();
      }
    }),
  );
  // Every chunk that started finished, so the rows are exactly n in [0, loaded): no tenant has a gap.
  const rowsDone = performance.now();
  await restoreIndexes(server.superUrl, definitions, 2);
  const indexesDone = performance.now();
  await sql`vacuum (analyze) audit_events`.execute(server.superuser);
  const done = performance.now();
  const size = await sql<{ total: string }>`select pg_size_pretty(pg_total_relation_size('audit_events')) as total`.execute(server.superuser);
  return { events: loaded, seconds: { rows: (rowsDone - started) / 1000, indexes: (indexesDone - rowsDone) / 1000, vacuum: (done - indexesDone) / 1000 }, bytes: size.rows[0]!.total };
}

/** Checks seeded rows against the library: canonical bytes round-trip through canonicalJson. */
async function checkCanonical(db: Kysely<DB>): Promise<string> {
  const rows = await sql<{ canonical: Buffer; len: number }>`select canonical, length(canonical) as len from audit_events tablesample system (0.1) limit 200`.execute(db);
  for (const row of rows.rows) {
    if (!Buffer.from(canonicalJson(JSON.parse(row.canonical.toString('utf8')))).equals(row.canonical)) throw new Error(`seeded event is not canonical: ${row.canonical.toString('utf8')}`);
  }
  const lengths = rows.rows.map((r) => r.len);
  return `${rows.rows.length} sampled events are RFC 8785 canonical, ${Math.min(...lengths)}–${Math.max(...lengths)} bytes`;
}

/** One way of reading a tenant's newest events. */
type Read = (tx: Tx, tenant: string) => Promise<unknown[]>;

const unfiltered: Read = (tx, tenant) => listEvents(tx, tenant, {}, undefined, 100);
const byAction: Read = (tx, tenant) => listEvents(tx, tenant, { actionPrefix: 'project.' }, undefined, 100);
/**
 * Prototype (not in src): the same filter as a range in the index's own operator class. `~>=~` and
 * `~<~` are leakproof, so row-level security lets the planner use them as index conditions on
 * audit_events_action_idx; `LIKE` (textlike) is not leakproof, so under RLS it can only filter
 * rows already fetched.
 */
const byActionRange: Read = (tx, tenant) =>
  tx
    .selectFrom('audit_events')
    .selectAll()
    .where('tenant_id', '=', tenant)
    .where(sql<boolean>`action ~>=~ ${'project.'} and action ~<~ ${'project/'}`)
    .orderBy('seq', 'desc')
    .limit(101)
    .execute();

/**
 * EXPLAIN (ANALYZE, BUFFERS) of exactly the statement listEvents sends, with its parameters, in a
 * withTenant transaction (so with the row-level security predicate): the statement text is
 * prefixed on its way into node-postgres.
 */
async function explain(server: ServerAuditDatabase, tenant: string, read: Read): Promise<string[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function explained(this: unknown, ...args: unknown[]): unknown {
    if (typeof args[0] === 'string' && args[0].startsWith('select * from "audit_events"')) args[0] = `explain (analyze, buffers, costs off) ${args[0]}`;
    return original.apply(this, args);
  };
  try {
    const rows = await server.transactor.withTenant(tenant, (tx) => read(tx, tenant));
    return rows.map((row) => (row as Record<string, string>)['QUERY PLAN'] ?? '');
  } finally {
    proto.query = original;
  }
}

async function latencies(server: ServerAuditDatabase, read: Read, count: number, tenants: number, seed: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const tenant = tenantId((seed + i * 7919) % tenants);
    const started = performance.now();
    const rows = await server.transactor.withTenant(tenant, (tx) => read(tx, tenant));
    times.push(performance.now() - started);
    if (rows.length === 0) throw new Error(`no events for tenant ${tenant}`);
  }
  return times;
}

async function main(): Promise<void> {
  out(await machineFacts());
  out(`== audit query: newest 100 events of a tenant filtered by action prefix 'project.' (${(100 * actionShare('project.')).toFixed(0)} % of events), ${fmt(SETTINGS.events)} events over ${fmt(SETTINGS.tenants)} tenants wanted`);
  const reason = await serverSkipReason();
  if (reason !== false) {
    out(`skipped: ${reason}`);
    return;
  }
  const server = await openServerAuditDatabase({ poolSize: 2, superPoolSize: 2 });
  try {
    const seeded = await seed(server);
    out(`seeded ${fmt(seeded.events)} events (${seeded.bytes} with indexes): rows ${fmt(seeded.seconds.rows)} s, indexes ${fmt(seeded.seconds.indexes)} s, vacuum analyze ${fmt(seeded.seconds.vacuum)} s`);
    out(await checkCanonical(server.superuser));
    const tenants = Math.min(SETTINGS.tenants, seeded.events);
    const sides = [
      { label: 'baseline: listEvents, unfiltered', read: unfiltered },
      { label: "subject: listEvents, actionPrefix 'project.'", read: byAction },
      { label: 'prototype: action ~>=~ / ~<~ range (not in src)', read: byActionRange },
    ];
    for (const side of sides) {
      out(`plan of ${side.label.split(':')[0]} as the app runs it (withTenant, parameters bound):`);
      for (const line of await explain(server, tenantId(7), side.read)) out(`  ${line}`);
    }
    for (const side of sides) await latencies(server, side.read, SETTINGS.warmupQueries, tenants, 1);
    const results = sides.map(() => [] as number[][]);
    for (let round = 0; round < SETTINGS.rounds; round++) {
      for (let k = 0; k < sides.length; k++) {
        const i = (k + round) % sides.length;
        results[i]!.push(await latencies(server, sides[i]!.read, SETTINGS.queries, tenants, 1000 + round * 37 + i));
      }
      out(`  round ${round + 1}/${SETTINGS.rounds}: ${sides.map((s, i) => `${s.label.split(':')[0]} p50 ${percentile(results[i]![round]!, 50).toFixed(1)} ms p99 ${percentile(results[i]![round]!, 99).toFixed(1)} ms`).join(' | ')} | load ${loadAverage()}`);
    }
    const stat = (i: number, p: number) => median(results[i]!.map((r) => percentile(r, p)));
    const p99Ratios = results[1]!.map((r, round) => percentile(r, 99) / percentile(results[0]![round]!, 99));
    for (const line of table(
      ['side (median of rounds)', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target', ''],
      sides.map((s, i) => [
        s.label,
        stat(i, 50).toFixed(1),
        stat(i, 90).toFixed(1),
        stat(i, 99).toFixed(1),
        Math.max(...results[i]!.map((r) => percentile(r, 100))).toFixed(1),
        i > 0 ? `p99 <= ${SETTINGS.targetP99Ms}` : '',
        i > 0 ? (stat(i, 99) <= SETTINGS.targetP99Ms ? 'met' : 'MISSED') : '',
      ]),
    )) out(line);
    const prototypeRatios = results[2]!.map((r, round) => percentile(r, 99) / percentile(results[0]![round]!, 99));
    out(`p99 / baseline p99 (median of rounds): subject ${median(p99Ratios).toFixed(2)}, prototype ${median(prototypeRatios).toFixed(2)}; ${fmt(SETTINGS.queries)} queries per side per round, one at a time, each a withTenant transaction`);
  } finally {
    await server.close();
    out('database dropped');
  }
}

if (import.meta.main) await main();
