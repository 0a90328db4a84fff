// Database bytes per recorded read call (issue 16: target <= 400 B): the full app on the PostgreSQL
// server answers N bearer GETs of a project, each recorded as `api.request`; the buffered records
// are flushed and sequenced (inbox -> events, Merkle tree nodes, tree head, checkpoints), and the
// growth of pg_total_relation_size (table, indexes and TOAST) of the audit tables over the N calls
// is divided by N. Printed twice: right after sequencing (the inbox's deleted rows still take
// their pages) and after VACUUM (their space reusable; the relations do not shrink).
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { createPasswordHasher } from '../src/modules/identity/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom } from '../src/platform/crypto/random.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { BENCH_KEYRING, openBenchDatabase, postgresSkipReason } from './databases.ts';
import { runConcurrently, table, type Benchmark } from './support.ts';

const SETTINGS = { calls: 5_000, warmup: 500, concurrency: 10, target: 400 };
const PASSWORD = 'a perfectly fine passphrase';
const TABLES = ['audit_events', 'audit_inbox', 'audit_tree_nodes', 'audit_tree_heads', 'audit_checkpoints'] as const;

export const apiRequestBytes: Benchmark = {
  name: 'api-request-bytes',
  description: 'database bytes per recorded bearer GET (api.request: inbox, events, tree, checkpoints), PostgreSQL',
  onlyWhenNamed: true,
  run: async (out) => {
    const measure = 'database bytes per recorded read call';
    const skip = await postgresSkipReason();
    if (skip !== false) {
      out(`skipped: ${skip}`);
      return [{ measure, value: 'skipped', target: `<= ${SETTINGS.target} B`, met: undefined }];
    }
    const hasher = await createPasswordHasher();
    const bench = await openBenchDatabase('postgres', { passwordHash: await hasher.hash(PASSWORD) });
    const config = loadConfig({ env: { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn' } });
    const app = await buildApp({ config, logger: createLogger(config.logLevel), db: bench.db, transactor: bench.transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
    try {
      const { tenantId, projectId } = bench.target;
      const login = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@example.com', password: PASSWORD, response_type: 'token' } });
      if (login.statusCode !== 200) throw new Error(`token login failed: ${login.statusCode} ${login.body}`);
      const headers = { authorization: `Bearer ${login.json<{ access_token: string }>().access_token}`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' };
      const url = `/api/v1/organizations/${tenantId}/projects/${projectId}`;
      const calls = async (n: number) => {
        await runConcurrently(n, SETTINGS.concurrency, async () => {
          const response = await app.http.inject({ method: 'GET', url, headers });
          if (response.statusCode !== 200) throw new Error(`GET project: ${response.statusCode}`);
        });
        await app.services.audit.apiCalls.flush();
        await app.services.audit.sequencer.drain();
      };
      const sizes = async () => {
        const rows = await sql<{ name: string; bytes: string }>`select c.relname as name, pg_total_relation_size(c.oid)::text as bytes from pg_class c where c.relname in (${sql.join(TABLES.map((t) => sql.lit(t)))}) and c.relkind = 'r'`.execute(bench.bare);
        return new Map(rows.rows.map((r) => [r.name, Number(r.bytes)]));
      };
      await calls(SETTINGS.warmup);
      await sql`vacuum`.execute(bench.bare);
      const before = await sizes();
      await calls(SETTINGS.calls);
      const events = await sql<{ n: string }>`select count(*)::text as n from audit_events where tenant_id = ${tenantId}::uuid and action = 'api.request'`.execute(bench.bare);
      const sequenced = await sizes();
      await sql`vacuum`.execute(bench.bare);
      const vacuumed = await sizes();
      const perCall = (after: Map<string, number>, name: string) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / SETTINGS.calls;
      out(`${SETTINGS.calls.toLocaleString('en-US')} bearer GETs (after ${SETTINGS.warmup} warm-up calls); api.request events in the tenant's log: ${events.rows[0]?.n ?? '?'}`);
      const rows = TABLES.map((name) => [name, perCall(sequenced, name).toFixed(0), perCall(vacuumed, name).toFixed(0)]);
      const total = (after: Map<string, number>) => TABLES.reduce((sum, name) => sum + perCall(after, name), 0);
      rows.push(['total', total(sequenced).toFixed(0), total(vacuumed).toFixed(0)]);
      for (const line of table(['relation (with indexes, TOAST)', 'B per call, after sequencing', 'B per call, after VACUUM'], rows)) out(line);
      const value = total(sequenced);
      return [{ measure, value: `${value.toFixed(0)} B`, target: `<= ${SETTINGS.target} B`, met: value <= SETTINGS.target }];
    } finally {
      await app.http.close();
      await bench.close();
    }
  },
};
