// Benchmark 2: GET /api/v1/organizations/:orgId/projects/:projectId with a signed-in session,
// against the same store query behind a bare route, on the PostgreSQL server.
//
// Subject: the real app from buildApp, with a session cookie: the authentication hook resolves the
// session (withPlatform), the service checks membership and reads the project (withTenant).
// Baseline: a server from the same createHttpServer (same hooks: request id, security headers,
// rate limit, metrics, cookie parsing) with one route, same path, params and response schema,
// whose handler runs getProject on the superuser pool: no authentication, no withTenant.
// Requests go through Fastify's inject (in process, no sockets), so socket noise is left out of
// both sides and the ratio shows only what authentication and tenancy cost.
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import type { Tx } from '../src/database.ts';
import { createPasswordHasher } from '../src/modules/identity/index.ts';
import { getProject } from '../src/modules/tenants/tenants-store.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom } from '../src/platform/crypto/random.ts';
import { AppError } from '../src/platform/http/errors.ts';
import { errorResponses, Strict, Timestamp, Uuid } from '../src/platform/http/schemas.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { BENCH_KEYRING, openBenchDatabase, postgresSkipReason, type BenchDatabase } from './databases.ts';
import { bareHttpServer, countPgRoundTrips, formatRate, formatRatio, measureRounds, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 3, requests: 3_000, warmupRequests: 500, concurrency: 10, poolSize: 10, target: 0.8 };
const PASSWORD = 'a perfectly fine passphrase';

// The same shapes as the tenancy routes (src/modules/tenants/tenants-routes.ts), which keeps them private.
const ProjectParams = Strict({ orgId: Uuid, projectId: Uuid });
const Project = Strict({ id: Uuid, organization_id: Uuid, name: Type.String(), created_at: Timestamp, updated_at: Timestamp });

export async function bareServer(bench: BenchDatabase, config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>): Promise<FastifyInstance> {
  const http = await bareHttpServer(config, logger);
  // getProject only builds a select; the bare builder stands in for a transaction here.
  const bare = bench.bare as unknown as Tx;
  http.get('/api/v1/organizations/:orgId/projects/:projectId', {
    schema: { params: ProjectParams, response: { 200: Project, ...errorResponses(400, 404) } },
    handler: async (request) => {
      const { orgId, projectId } = request.params as Static<typeof ProjectParams>;
      const row = await getProject(bare, orgId, projectId);
      if (row === undefined) throw new AppError('not_found');
      return { id: row.id, organization_id: row.tenant_id, name: row.name, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
    },
  });
  await http.ready();
  return http;
}

/** Sends `n` GETs with `concurrency` in flight; any answer but 200 stops the benchmark. */
function load(http: FastifyInstance, url: string, cookie: string) {
  return (n: number) =>
    runConcurrently(n, SETTINGS.concurrency, async () => {
      const response = await http.inject({ method: 'GET', url, headers: { cookie } });
      if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body}`);
    });
}

export const authenticatedRoute: Benchmark = {
  name: 'authenticated-route',
  description: 'GET a project with a session (full app) vs the same query behind a bare route, PostgreSQL',
  run: async (out) => {
    const measure = 'GET project with session / bare route, PostgreSQL';
    const target = `>= ${SETTINGS.target}`;
    const skip = await postgresSkipReason();
    if (skip !== false) {
      out(`skipped: ${skip}`);
      return [{ measure, value: 'skipped', target, met: undefined }];
    }
    const hasher = await createPasswordHasher();
    const bench = await openBenchDatabase('postgres', { poolSize: SETTINGS.poolSize, passwordHash: await hasher.hash(PASSWORD) });
    // Rate limits high enough that the benchmark's one client IP is never limited; logs at warn.
    const config = loadConfig({ env: { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn' } });
    const logger = createLogger(config.logLevel);
    const app = await buildApp({ config, logger, db: bench.db, transactor: bench.transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
    const bare = await bareServer(bench, config, logger);
    try {
      const login = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@example.com', password: PASSWORD } });
      const session = login.cookies.find((c) => c.name === 'parapet_session');
      if (login.statusCode !== 200 || session === undefined) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
      const cookie = `${session.name}=${session.value}`;
      const url = `/api/v1/organizations/${bench.target.tenantId}/projects/${bench.target.projectId}`;
      const subject = load(app.http, url, cookie);
      const baseline = load(bare, url, cookie);

      const trips = async (send: (n: number) => Promise<void>) => (await countPgRoundTrips(() => send(20))) / 20;
      out(`PostgreSQL server, pool of ${SETTINGS.poolSize}, ${SETTINGS.concurrency} requests in flight through inject (no sockets), ${SETTINGS.rounds} rounds x ${SETTINGS.requests.toLocaleString('en-US')} requests per side`);
      out(`database round trips per request: bare route ${await trips(baseline)}, with session ${await trips(subject)}`);
      const result = await measureRounds({
        baseline: { label: 'bare route', run: baseline },
        subjects: [{ label: 'with session', run: subject }],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.requests,
        warmupOps: SETTINGS.warmupRequests,
        out,
      });
      const measured = result.subjects[0]!;
      for (const line of table(
        ['side', 'req/s (median)', 'ratio to bare (median, range)'],
        [
          ['bare route, getProject on superuser pool', formatRate(result.baseline.medianOpsPerSecond), '1'],
          ['full app, session cookie', formatRate(measured.medianOpsPerSecond), formatRatio(measured.ratios)],
        ],
      )) out(line);
      const verdict: Verdict = { measure, value: measured.medianRatio.toFixed(2), target, met: measured.medianRatio >= SETTINGS.target };
      return [verdict];
    } finally {
      await bare.close();
      await app.http.close();
      await bench.close();
    }
  },
};
