// OAuth client credentials (AUTH-7), on the PostgreSQL server (PGlite when the server is absent).
//
// 1. GET a project with a service-account bearer token (subject) against the same GET with a
//    console session cookie (baseline), same app, alternating rounds. Both credentials are served
//    from in-process caches in the steady state; the ratio shows what the bearer path costs.
// 2. POST /oauth/token (client_secret_basic) against the same session GET: what issuing a token
//    costs (tenant lookup, client read, audit insert, Ed25519 signature) next to one plain read.
// 3. Revocation: a token cached on node 2; node 1 deletes its client; the time until node 2
//    refuses it (target: within 1 s), over 20 rounds. Two apps, each with its own pool and LISTEN
//    connection on the same database.
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { createPasswordHasher } from '../src/modules/identity/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom } from '../src/platform/crypto/random.ts';
import { createContextSigner, createTransactor, openDatabase } from '../src/platform/db/index.ts';
import type { DB } from '../src/database.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { BENCH_CONTEXT_KEY, BENCH_KEYRING, openBenchDatabase, postgresSkipReason, type BenchDatabase } from './databases.ts';
import { countPgRoundTrips, formatRate, formatRatio, measureRounds, median, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 5, requests: 2_000, tokenRequests: 500, warmup: 300, concurrency: 10, poolSize: 10, revocationRounds: 20, revocationTargetMs: 1000 };
const PASSWORD = 'a perfectly fine passphrase';

async function expectStatus(response: { statusCode: number; body: string }, status: number, what: string): Promise<void> {
  if (response.statusCode !== status) throw new Error(`${what} answered ${response.statusCode}: ${response.body}`);
}

async function openApp(bench: BenchDatabase, hasher: Awaited<ReturnType<typeof createPasswordHasher>>, second: boolean): Promise<App & { close(): Promise<void> }> {
  const config = loadConfig({ env: { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn' } });
  const logger = createLogger(config.logLevel);
  if (!second || bench.appUrl === undefined) {
    const app = await buildApp({ config, logger, db: bench.db, transactor: bench.transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
    return { ...app, close: () => app.http.close() };
  }
  // A second node: its own pool and its own LISTEN connection on the same server database.
  const db = await openDatabase<DB>({ url: bench.appUrl, migrationUrl: undefined, dataDir: '/tmp', poolSize: SETTINGS.poolSize });
  const transactor = createTransactor<DB>(db.app, createContextSigner(BENCH_CONTEXT_KEY));
  const app = await buildApp({ config, logger, db, transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
  return {
    ...app,
    close: async () => {
      await app.http.close();
      await db.close();
    },
  };
}

export const oauthTokens: Benchmark = {
  name: 'oauth-tokens',
  description: 'bearer-token GET vs session GET, token issuance, revocation reaching a second node',
  run: async (out) => {
    const kind = (await postgresSkipReason()) === false ? 'postgres' : 'pglite';
    const hasher = await createPasswordHasher();
    const bench = await openBenchDatabase(kind, { poolSize: SETTINGS.poolSize, tenants: 10, projectsPerTenant: 20, passwordHash: await hasher.hash(PASSWORD) });
    const node1 = await openApp(bench, hasher, false);
    const node2 = await openApp(bench, hasher, true);
    try {
      const login = await node1.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@example.com', password: PASSWORD } });
      await expectStatus(login, 200, 'login');
      const session = login.cookies.find((c) => c.name === 'parapet_session');
      const cookie = `parapet_session=${session?.value ?? ''}`;
      const org = await node1.http.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'oauth bench' }, headers: { cookie } });
      await expectStatus(org, 201, 'create organization');
      const orgId = org.json<{ id: string }>().id;
      const project = await node1.http.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects`, payload: { name: 'p' }, headers: { cookie } });
      const projectId = project.json<{ id: string }>().id;
      const serviceAccountId = crypto.randomUUID();
      await bench.transactor.withTenant(orgId, async (tx) => {
        await tx.insertInto('service_accounts').values({ tenant_id: orgId, id: serviceAccountId, name: 'bench robot', description: '', created_by: null, created_at: new Date(), disabled_at: null }).execute();
        await node1.services.access.insertBinding(tx, { tenant_id: orgId, id: crypto.randomUUID(), principal_type: 'service_account', principal_id: serviceAccountId, built_in_role: 'viewer', custom_role_id: null, project_id: null, environment_id: null, conditions: null, expires_at: null, grant_id: null, created_by: null, created_at: new Date(), last_used_at: null });
        await node1.services.access.changed(tx, orgId);
      });
      const clientsUrl = `/api/v1/organizations/${orgId}/service-accounts/${serviceAccountId}/clients`;
      const newClient = async () => {
        const created = await node1.http.inject({ method: 'POST', url: clientsUrl, payload: { name: 'bench' }, headers: { cookie } });
        await expectStatus(created, 201, 'create client');
        const body = created.json<{ client_id: string; client_secret: string }>();
        return { id: body.client_id, basic: `Basic ${Buffer.from(`${body.client_id}:${body.client_secret}`).toString('base64')}` };
      };
      const tokenFor = async (client: { basic: string }) => {
        const response = await node1.http.inject({ method: 'POST', url: '/oauth/token', payload: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: client.basic } });
        await expectStatus(response, 200, 'token');
        return response.json<{ access_token: string }>().access_token;
      };
      const client = await newClient();
      const token = await tokenFor(client);
      const url = `/api/v1/organizations/${orgId}/projects/${projectId}`;
      const get = (headers: Record<string, string>) => (n: number) =>
        runConcurrently(n, SETTINGS.concurrency, async () => {
          await expectStatus(await node1.http.inject({ method: 'GET', url, headers }), 200, 'GET project');
        });
      const withSession = get({ cookie });
      const withBearer = get({ authorization: `Bearer ${token}` });
      const issue = (n: number) =>
        runConcurrently(n, SETTINGS.concurrency, async () => {
          await tokenFor(client);
        });

      out(`${kind === 'postgres' ? 'PostgreSQL server' : 'PGlite (server not reachable)'}, pool of ${SETTINGS.poolSize}, ${SETTINGS.concurrency} requests in flight through inject, ${SETTINGS.rounds} rounds`);
      await withBearer(1);
      if (kind === 'postgres') {
        const trips = async (send: (n: number) => Promise<void>, n: number) => (await countPgRoundTrips(() => send(n))) / n;
        out(`database round trips per request (warm caches): session GET ${await trips(withSession, 20)}, bearer GET ${await trips(withBearer, 20)}, token request ${await trips(issue, 20)}`);
      }
      const reads = await measureRounds({ baseline: { label: 'session', run: withSession }, subjects: [{ label: 'bearer', run: withBearer }], rounds: SETTINGS.rounds, ops: SETTINGS.requests, warmupOps: SETTINGS.warmup, out });
      const issuing = await measureRounds({ baseline: { label: 'session GET', run: withSession }, subjects: [{ label: 'token request', run: issue }], rounds: SETTINGS.rounds, ops: SETTINGS.tokenRequests, warmupOps: 50, out });

      // Revocation: each round a fresh client and token, cached on node 2, then deleted on node 1.
      const latencies: number[] = [];
      for (let round = 0; round < SETTINGS.revocationRounds; round++) {
        const doomed = await newClient();
        const doomedToken = await tokenFor(doomed);
        const onNode2 = () => node2.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${doomedToken}` } });
        await expectStatus(await onNode2(), 200, 'node 2 before deletion');
        // From sending the DELETE (an upper bound: the change commits before it answers).
        const started = performance.now();
        const deleted = await node1.http.inject({ method: 'DELETE', url: `${clientsUrl}/${doomed.id}`, headers: { cookie } });
        await expectStatus(deleted, 204, 'delete client');
        while ((await onNode2()).statusCode !== 401) {
          if (performance.now() - started > 10_000) throw new Error('node 2 kept accepting a deleted client’s token for 10 s');
          await new Promise((resolve) => setImmediate(resolve));
        }
        latencies.push(performance.now() - started);
      }
      const sorted = [...latencies].sort((x, y) => x - y);
      for (const line of table(
        ['measure', 'value'],
        [
          ['session GET project, req/s (median)', formatRate(reads.baseline.medianOpsPerSecond)],
          ['bearer GET project, req/s (median)', formatRate(reads.subjects[0]!.medianOpsPerSecond)],
          ['bearer / session (median, range)', formatRatio(reads.subjects[0]!.ratios)],
          ['token requests/s (median)', formatRate(issuing.subjects[0]!.medianOpsPerSecond)],
          ['token request / session GET (median, range)', formatRatio(issuing.subjects[0]!.ratios)],
          [`revocation reaches node 2, ms (median / max of ${SETTINGS.revocationRounds}, from sending the DELETE)`, `${median(latencies).toFixed(1)} / ${(sorted.at(-1) ?? 0).toFixed(1)}`],
        ],
      )) out(line);
      const verdicts: Verdict[] = [
        { measure: `revocation on a second node, max ms (${kind})`, value: (sorted.at(-1) ?? 0).toFixed(1), target: `<= ${SETTINGS.revocationTargetMs}`, met: (sorted.at(-1) ?? Infinity) <= SETTINGS.revocationTargetMs },
      ];
      return verdicts;
    } finally {
      await node2.close();
      await node1.close();
      await bench.close();
    }
  },
};
