// Benchmark: API key verification (AUTH-7; targets in docs/benchmarks.md).
//
// 1. Warm verification: `verifier.verify(key)` over 1,000 keys already in the in-process cache
//    (shape and checksum, SHA-256 of the key, one Map lookup, expiry check). Baseline, same run:
//    SHA-256 of the same keys alone, the part no cache can skip.
// 2. Cold verification: the same call with the key dropped from the cache first, on PGlite and on
//    the PostgreSQL server: one SECURITY DEFINER lookup of the key's organization by id, then the
//    key read by primary key inside that organization's context. Statements are counted (server)
//    and both lookups' plans printed.
// 3. A route: GET /api/v1/organizations/:orgId/api-keys/current (no database work) through the full
//    app with `Authorization: Bearer prk_…` (authenticated, authorized, recorded as api.request)
//    against the same route, same schema and body on a server from the same createHttpServer with
//    no authentication (PGlite, requests through inject, no sockets).
import { hash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { grantCreator } from '../src/modules/access/access-store.ts';
import { insertKey, type ApiKeyRow } from '../src/modules/api-keys/api-keys-store.ts';
import { formatApiKey } from '../src/modules/api-keys/key-format.ts';
import { createKeyVerifier } from '../src/modules/api-keys/key-verifier.ts';
import { createPasswordHasher, createRowIntegrity } from '../src/modules/identity/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom, uuidv7 } from '../src/platform/crypto/random.ts';
import { errorResponses, Strict, Timestamp, Uuid } from '../src/platform/http/schemas.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { BENCH_KEYRING, openBenchDatabase, postgresSkipReason, type BenchDatabase } from './databases.ts';
import { bareHttpServer, countPgRoundTrips, formatRate, formatRatio, measureRounds, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

/** The application's row MACs (issue 13), under the bench keyring like the app's. */
const BENCH_INTEGRITY = createRowIntegrity(BENCH_KEYRING.derive('row-integrity'));

const SETTINGS = { keysPerTenant: 200, warmKeys: 1_000, warmOps: 300_000, coldOps: 1_000, routeRequests: 4_000, concurrency: 10, rounds: 5 };
const TARGETS = { warm: 300_000, routeRatio: 0.85 };

/** Inserts `perTenant` active keys in each of the first `tenants` organizations; returns the full keys. */
async function seedKeys(bench: BenchDatabase, perTenant: number): Promise<{ key: string; tenantId: string }[]> {
  const tenants = await bench.bare.selectFrom('organizations').select('id').orderBy('id').execute();
  const now = new Date();
  const keys: { key: string; tenantId: string }[] = [];
  for (const { id: tenantId } of tenants) {
    await bench.transactor.withTenant(tenantId, async (tx) => {
      for (let i = 0; i < perTenant; i++) {
        const id = uuidv7(systemClock, systemRandom);
        const key = formatApiKey('live', id, systemRandom(32));
        const row: ApiKeyRow = {
          tenant_id: tenantId,
          id,
          name: `bench ${i}`,
          mode: 'live',
          secret_hash: hash('sha256', key, 'buffer'),
          role: null,
          permissions: ['organization.read', 'projects.read'],
          project_id: null,
          environment_id: null,
          signing_secret_sealed: null,
          created_by_type: 'user',
          created_by: bench.target.userId,
          created_at: now,
          expires_at: new Date(now.getTime() + 86_400_000),
          rotated_to: null,
          rotated_from: null,
          retires_at: null,
          revoked_at: null,
          revoked_by: null,
          last_used_at: null,
          last_used_ip: null,
          integrity_mac: null,
        };
        await insertKey(tx, BENCH_INTEGRITY, row);
        keys.push({ key, tenantId });
      }
    });
  }
  await sql`analyze api_keys`.execute(bench.bare);
  return keys;
}

async function plans(bench: BenchDatabase, key: { key: string; tenantId: string }, out: (line: string) => void): Promise<void> {
  const row = await bench.bare.selectFrom('api_keys').select('id').where('secret_hash', '=', hash('sha256', key.key, 'buffer')).executeTakeFirstOrThrow();
  for (const [label, query] of [
    ['tenant lookup (body of parapet_api_key_tenant)', sql`explain select k.tenant_id from api_keys k where k.id = ${row.id} and k.secret_hash = ${hash('sha256', key.key, 'buffer')}`],
    ['key read inside withTenant', sql`explain select * from api_keys where tenant_id = ${key.tenantId} and id = ${row.id}`],
  ] as const) {
    const result = await query.execute(bench.bare);
    out(`  plan, ${label}: ${(result.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN'].trim()).join(' / ')}`);
  }
}

async function verification(kind: 'pglite' | 'postgres', out: (line: string) => void): Promise<Verdict[]> {
  const bench = await openBenchDatabase(kind, { tenants: 10, projectsPerTenant: 2 });
  try {
    const keys = await seedKeys(bench, SETTINGS.keysPerTenant);
    out(`${kind}: ${keys.length.toLocaleString('en-US')} keys in ${keys.length / SETTINGS.keysPerTenant} organizations`);
    const verifier = createKeyVerifier({ transactor: bench.transactor, clock: systemClock, fields: { decryptField: () => Promise.reject(new Error('the benchmark keys do not sign')) }, feed: undefined, integrity: BENCH_INTEGRITY });
    const warm = keys.slice(0, SETTINGS.warmKeys).map((k) => k.key);
    for (const key of warm) await verifier.verify(key);
    const verdicts: Verdict[] = [];
    if (kind === 'pglite') {
      const result = await measureRounds({
        baseline: {
          label: 'SHA-256 only',
          run: async (ops) => {
            let sink = 0;
            for (let i = 0; i < ops; i++) sink += hash('sha256', warm[i % warm.length]!, 'base64').length;
            if (sink === 0) throw new Error('unreachable');
          },
        },
        subjects: [
          {
            label: 'warm verify',
            run: async (ops) => {
              for (let i = 0; i < ops; i++) if (verifier.verifyWarm(warm[i % warm.length]!) === undefined) throw new Error('not warm');
            },
          },
          {
            label: 'verify() (async)',
            run: async (ops) => {
              for (let i = 0; i < ops; i++) await verifier.verify(warm[i % warm.length]!);
            },
          },
        ],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.warmOps,
        warmupOps: SETTINGS.warmOps,
        out,
      });
      const measured = result.subjects[0]!;
      const viaPromise = result.subjects[1]!;
      for (const line of table(
        ['side', 'per second (median)', 'ratio to SHA-256 alone'],
        [
          ['SHA-256 of the key', formatRate(result.baseline.medianOpsPerSecond), '1'],
          ['warm verification (verifyWarm, what the authenticator calls first)', formatRate(measured.medianOpsPerSecond), formatRatio(measured.ratios)],
          ['warm verification through the async verify()', formatRate(viaPromise.medianOpsPerSecond), formatRatio(viaPromise.ratios)],
        ],
      )) out(line);
      verdicts.push({ measure: 'warm API key verifications per second', value: formatRate(measured.medianOpsPerSecond), target: `>= ${TARGETS.warm.toLocaleString('en-US')}/s`, met: measured.medianOpsPerSecond >= TARGETS.warm });
    }
    // Cold: each verification starts with the key dropped from the cache.
    const cold = keys.slice(SETTINGS.warmKeys);
    let next = 0;
    const coldVerify = async () => {
      const key = cold[next++ % cold.length]!.key;
      const found = await verifier.verify(key);
      verifier.drop(found.principal.keyId);
    };
    if (kind === 'postgres') {
      const trips = (await countPgRoundTrips(async () => {
        for (let i = 0; i < 20; i++) await coldVerify();
      })) / 20;
      out(`  round trips per cold verification: ${trips} (two transactions: BEGIN + context + one statement + COMMIT each)`);
    }
    await plans(bench, cold[0]!, out);
    const started = performance.now();
    await runConcurrently(SETTINGS.coldOps, SETTINGS.concurrency, coldVerify);
    const coldRate = SETTINGS.coldOps / ((performance.now() - started) / 1000);
    out(`  cold verifications, ${SETTINGS.concurrency} in flight: ${formatRate(coldRate)}`);
    verdicts.push({ measure: `cold API key verifications per second, ${kind}`, value: formatRate(coldRate), target: 'one indexed lookup per step', met: undefined });
    verifier.close();
    return verdicts;
  } finally {
    await bench.close();
  }
}

// The same shape as GET …/api-keys/current (src/modules/api-keys/api-keys-routes.ts).
const OrgParams = Strict({ orgId: Uuid });
const Mode = Type.Union([Type.Literal('live'), Type.Literal('test')]);
const CurrentKey = Strict({
  id: Uuid,
  organization_id: Uuid,
  name: Type.String(),
  mode: Mode,
  permissions: Type.Array(Type.String()),
  project_id: Type.Union([Uuid, Type.Null()]),
  environment_id: Type.Union([Uuid, Type.Null()]),
  signing: Type.Union([Type.Literal('required'), Type.Literal('none')]),
  expires_at: Timestamp,
  retires_at: Type.Union([Timestamp, Type.Null()]),
});

async function bareServer(config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>, body: object): Promise<FastifyInstance> {
  const http = await bareHttpServer(config, logger);
  http.get('/api/v1/organizations/:orgId/api-keys/current', { schema: { params: OrgParams, response: { 200: CurrentKey, ...errorResponses(400, 401, 404) } }, handler: async () => body });
  await http.ready();
  return http;
}

async function route(out: (line: string) => void): Promise<Verdict[]> {
  const bench = await openBenchDatabase('pglite', { tenants: 2, projectsPerTenant: 2 });
  const config = loadConfig({ env: { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn' } });
  const logger = createLogger(config.logLevel);
  const hasher = await createPasswordHasher();
  const app = await buildApp({ config, logger, db: bench.db, transactor: bench.transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
  // The same app with api.request records off, to show what recording every call costs here.
  const quietConfig = loadConfig({ env: { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn', PARAPET_AUDIT_API_SAMPLING: '0' } });
  const quiet = await buildApp({ config: quietConfig, logger, db: bench.db, transactor: bench.transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
  try {
    const { tenantId, userId } = bench.target;
    // The seeded owner becomes Tenant Admin, so the key can be made through the service's checks.
    await bench.transactor.withTenant(tenantId, async (tx) => {
      await grantCreator(tx, BENCH_INTEGRITY, tenantId, userId, new Date(), uuidv7(systemClock, systemRandom));
      await app.services.access.changed(tx, tenantId);
    });
    const principal = { kind: 'user' as const, userId, sessionId: userId, email: 'bench@example.com', displayName: 'bench', isPlatformAdmin: false, authMethods: ['pwd'], authenticatedAt: new Date() };
    const actor = { principal, userId, actor: { type: 'user' as const, id: userId, display_name: 'bench' }, source: { ip: '127.0.0.1', user_agent: null, request_id: null } };
    const { key } = await app.services.apiKeys.service.create(actor, tenantId, { name: 'bench', permissions: ['organization.read'], signing: false });
    const url = `/api/v1/organizations/${tenantId}/api-keys/current`;
    const first = await app.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    if (first.statusCode !== 200) throw new Error(`GET ${url} answered ${first.statusCode}: ${first.body}`);
    const bare = await bareServer(config, logger, first.json());
    const load = (http: FastifyInstance, headers: Record<string, string>) => (n: number) =>
      runConcurrently(n, SETTINGS.concurrency, async () => {
        const response = await http.inject({ method: 'GET', url, headers });
        if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body}`);
      });
    // The recorded side's round ends when its api.request events are written (as in user-tokens),
    // so the writes its requests caused are charged to it and not to whichever side runs next.
    const loadRecorded = async (n: number) => {
      await load(app.http, { authorization: `Bearer ${key}` })(n);
      await app.services.audit.apiCalls.flush();
    };
    try {
      const result = await measureRounds({
        baseline: { label: 'unauthenticated', run: load(bare, {}) },
        subjects: [
          { label: 'API key', run: loadRecorded },
          { label: 'API key, no api.request records', run: load(quiet.http, { authorization: `Bearer ${key}` }) },
        ],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.routeRequests,
        warmupOps: SETTINGS.routeRequests,
        out,
      });
      const measured = result.subjects[0]!;
      const unrecorded = result.subjects[1]!;
      for (const line of table(
        ['side', 'req/s (median)', 'ratio (median, range)'],
        [
          ['same route, no authentication (bare server)', formatRate(result.baseline.medianOpsPerSecond), '1'],
          ['full app, Bearer prk_… (authorized, api.request recorded)', formatRate(measured.medianOpsPerSecond), formatRatio(measured.ratios)],
          ['full app, Bearer prk_…, PARAPET_AUDIT_API_SAMPLING=0', formatRate(unrecorded.medianOpsPerSecond), formatRatio(unrecorded.ratios)],
        ],
      )) out(line);
      return [{ measure: 'GET …/api-keys/current with API key / unauthenticated', value: measured.medianRatio.toFixed(2), target: `>= ${TARGETS.routeRatio}`, met: measured.medianRatio >= TARGETS.routeRatio }];
    } finally {
      await bare.close();
    }
  } finally {
    await quiet.http.close();
    await app.http.close();
    await bench.close();
  }
}

export const apiKeys: Benchmark = {
  name: 'api-keys',
  description: 'API key verification warm (in process) and cold (PGlite, PostgreSQL), and a key-authenticated route vs the same route unauthenticated',
  run: async (out) => {
    const verdicts = [...(await verification('pglite', out))];
    const skip = await postgresSkipReason();
    if (skip === false) verdicts.push(...(await verification('postgres', out)));
    else out(`postgres cold verification skipped: ${skip}`);
    verdicts.push(...(await route(out)));
    return verdicts;
  },
};
