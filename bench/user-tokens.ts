// Benchmark: user access tokens for API clients (AUTH-5; targets from issue 3, results in docs/benchmarks.md).
//
// 1. Warm verification in process: a token already verified, through the bearer authenticator's
//    `authenticate(request)` (what every request calls: header regex, one Map lookup, exp check,
//    scope check) and its synchronous `warm(token)`, and through the SDK verifier (`verify`, `warm`).
//    Baseline, same rounds: a bare `Map.get` of the same token strings. For scale, the cold path
//    (EdDSA signature check by jose) is timed once as well.
// 2. A route: GET /api/v1/auth/session (reads only the principal, no database work) through the full
//    app with `Authorization: Bearer <user access token>`, against the same route, schema and body
//    on a server from the same createHttpServer with no authentication. Twice: with every call
//    recorded as `api.request` (the default; each round ends when its events are written) and with
//    PARAPET_AUDIT_API_SAMPLING=0. Besides requests per second, the CPU time spent per request is
//    compared, which the other work on a shared machine disturbs less.
// 3. Database work per authenticated request in the steady state: transactions opened (counted at
//    the transactor) during 1,000 warm bearer requests, with and without api.request recording.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import type { AppTransactor } from '../src/database.ts';
import { createPasswordHasher, createRowIntegrity } from '../src/modules/identity/index.ts';
import { createBearerAuthenticator, createUserTokenKind, createVerifiedTokenCache, signAccessToken, verifyAccessToken } from '../src/modules/tokens/index.ts';
import { createTokenVerifier } from '../src/sdk/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom } from '../src/platform/crypto/random.ts';
import { errorResponses, Strict, Timestamp, Uuid } from '../src/platform/http/schemas.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { BENCH_KEYRING, openBenchDatabase } from './databases.ts';
import { bareHttpServer, formatRate, formatRatio, measureRounds, median, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { tokens: 1_000, warmOps: 300_000, coldOps: 1_000, routeRequests: 4_000, concurrency: 10, rounds: 5, routeRounds: 11, countedRequests: 1_000 };
const TARGETS = { warm: 200_000, routeRatio: 0.85 };
const PASSWORD = 'a perfectly fine passphrase';

/** Counts the transactions a transactor opens (every database access of the app goes through one). */
function countingTransactor(inner: AppTransactor): AppTransactor & { count: number } {
  const counter = {
    count: 0,
    withTenant: ((tenantId, fn, actorId) => {
      counter.count++;
      return inner.withTenant(tenantId, fn, actorId);
    }) as AppTransactor['withTenant'],
    withActor: ((actorId, fn) => {
      counter.count++;
      return inner.withActor(actorId, fn);
    }) as AppTransactor['withActor'],
    withPlatform: ((fn) => {
      counter.count++;
      return inner.withPlatform(fn);
    }) as AppTransactor['withPlatform'],
    withJobs: ((fn) => {
      counter.count++;
      return inner.withJobs(fn);
    }) as AppTransactor['withJobs'],
  };
  return counter;
}

// The same shape as GET /api/v1/auth/session (src/modules/identity/identity-routes.ts).
const User = Strict({ id: Uuid, email: Type.String(), display_name: Type.String(), is_platform_admin: Type.Boolean() });
const SessionBody = Strict({ user: User, session: Strict({ id: Uuid, auth_methods: Type.Array(Type.String()), authenticated_at: Timestamp }) });

async function bareServer(config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>, body: object): Promise<FastifyInstance> {
  const http = await bareHttpServer(config, logger);
  http.get('/api/v1/auth/session', { schema: { response: { 200: SessionBody, ...errorResponses(401) } }, handler: async () => body });
  await http.ready();
  return http;
}

export const userTokens: Benchmark = {
  name: 'user-tokens',
  description: 'user access tokens: warm verification in process (server and SDK), a bearer-authenticated route vs the same route unauthenticated, database work per request',
  run: async (out) => {
    const hasher = await createPasswordHasher();
    const bench = await openBenchDatabase('pglite', { tenants: 2, projectsPerTenant: 2, passwordHash: await hasher.hash(PASSWORD) });
    const env = { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn' };
    const config = loadConfig({ env });
    const quietConfig = loadConfig({ env: { ...env, PARAPET_AUDIT_API_SAMPLING: '0' } });
    const logger = createLogger(config.logLevel);
    const counted = countingTransactor(bench.transactor);
    const quietCounted = countingTransactor(bench.transactor);
    const open = (c: typeof config, transactor: AppTransactor): Promise<App> => buildApp({ config: c, logger, db: bench.db, transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
    const app = await open(config, counted);
    const quiet = await open(quietConfig, quietCounted);
    const verdicts: Verdict[] = [];
    try {
      const login = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@example.com', password: PASSWORD, response_type: 'token' } });
      if (login.statusCode !== 200) throw new Error(`login answered ${login.statusCode}: ${login.body}`);
      const accessToken = login.json<{ access_token: string }>().access_token;
      const claims = await verifyAccessToken(app.services.tokenKeys, accessToken, { issuer: config.publicUrl, audience: `${config.publicUrl}/api`, now: new Date() });
      const issuer = config.publicUrl;
      const audience = `${config.publicUrl}/api`;

      // 1. Warm verification: many distinct tokens of one live session, each verified once.
      const tokens: string[] = [];
      for (let i = 0; i < SETTINGS.tokens; i++) {
        const signed = await signAccessToken(app.services.tokenKeys, { issuer, aud: audience, sub: claims.sub, jti: crypto.randomUUID(), now: new Date(), ttlSeconds: 900, extra: { sid: String(claims['sid']), amr: ['pwd'] } });
        tokens.push(signed.token);
      }
      const cache = createVerifiedTokenCache({ clock: systemClock });
      const authenticator = createBearerAuthenticator({ keys: app.services.tokenKeys, issuer, audience, clock: systemClock, cache });
      const users = createUserTokenKind({ clock: systemClock, transactor: bench.transactor, integrity: createRowIntegrity(BENCH_KEYRING.derive('row-integrity')), feed: undefined, cache });
      authenticator.accept(users.kind);
      const requests = tokens.map((token) => ({ headers: { authorization: `Bearer ${token}` }, params: {} }) as unknown as FastifyRequest);
      const coldStarted = performance.now();
      for (const request of requests) await authenticator.authenticate(request);
      const coldRate = SETTINGS.tokens / ((performance.now() - coldStarted) / 1000);
      const jwks = { keys: app.services.tokenKeys.published().map((key) => key.jwk) };
      const { createLocalJWKSet } = await import('jose');
      const sdk = createTokenVerifier({ issuer, audience, jwksUrl: 'http://127.0.0.1:9/unused', keys: createLocalJWKSet(jwks) });
      const sdkColdStarted = performance.now();
      for (const token of tokens) await sdk.verify(token);
      const sdkColdRate = SETTINGS.tokens / ((performance.now() - sdkColdStarted) / 1000);
      const map = new Map(tokens.map((token) => [token, token.length]));
      const n = tokens.length;
      // Every side starts from the header string, as a request brings it: the token is sliced out
      // anew each time, so no side profits from a string hash V8 cached on a reused string.
      const headerValues = requests.map((request) => request.headers.authorization ?? '');
      const warm = await measureRounds({
        baseline: {
          label: 'Map.get',
          run: async (ops) => {
            let sink = 0;
            for (let i = 0; i < ops; i++) sink += map.get(headerValues[i % n]!.slice(7)) ?? 0;
            if (sink === 0) throw new Error('unreachable');
          },
        },
        subjects: [
          {
            label: 'authenticate()',
            run: async (ops) => {
              for (let i = 0; i < ops; i++) if ((await authenticator.authenticate(requests[i % n]!)) === undefined) throw new Error('not warm');
            },
          },
          {
            label: 'SDK verifyAuthorization()',
            run: async (ops) => {
              for (let i = 0; i < ops; i++) await sdk.verifyAuthorization(headerValues[i % n]);
            },
          },
        ],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.warmOps,
        warmupOps: SETTINGS.warmOps,
        out,
      });
      const [viaAuthenticate, viaSdk] = warm.subjects;
      for (const line of table(
        ['side', 'per second (median)', 'ratio to Map.get'],
        [
          [`Map.get of the token sliced from the header (${n} tokens)`, formatRate(warm.baseline.medianOpsPerSecond), '1'],
          ['server: authenticate(request), warm (what each request calls)', formatRate(viaAuthenticate!.medianOpsPerSecond), formatRatio(viaAuthenticate!.ratios)],
          ['SDK: verifyAuthorization(header), warm', formatRate(viaSdk!.medianOpsPerSecond), formatRatio(viaSdk!.ratios)],
          ['server: cold (EdDSA verify + one session query on PGlite), once per token', formatRate(coldRate), ''],
          ['SDK: cold (EdDSA verify), once per token', formatRate(sdkColdRate), ''],
        ],
      )) out(line);
      verdicts.push({ measure: 'warm user access-token verifications per second (authenticate)', value: formatRate(viaAuthenticate!.medianOpsPerSecond), target: `>= ${TARGETS.warm.toLocaleString('en-US')}/s`, met: viaAuthenticate!.medianOpsPerSecond >= TARGETS.warm });
      verdicts.push({ measure: 'warm verifications per second, SDK verifyAuthorization()', value: formatRate(viaSdk!.medianOpsPerSecond), target: `>= ${TARGETS.warm.toLocaleString('en-US')}/s`, met: viaSdk!.medianOpsPerSecond >= TARGETS.warm });
      users.close();

      // 2. The route, bearer vs unauthenticated.
      const url = '/api/v1/auth/session';
      const headers = { authorization: `Bearer ${accessToken}` };
      const first = await app.http.inject({ method: 'GET', url, headers });
      if (first.statusCode !== 200) throw new Error(`GET ${url} answered ${first.statusCode}: ${first.body}`);
      const bare = await bareServer(config, logger, first.json());
      const load = (http: FastifyInstance, h: Record<string, string>) => (count: number) =>
        runConcurrently(count, SETTINGS.concurrency, async () => {
          const response = await http.inject({ method: 'GET', url, headers: h });
          if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body}`);
        });
      // The recorded side's round ends when its api.request events are written, so the writes its
      // requests caused are charged to it and not to whichever side runs next.
      const loadRecorded = async (count: number) => {
        await load(app.http, headers)(count);
        await app.services.audit.apiCalls.flush();
      };
      try {
        await load(quiet.http, headers)(1);
        // 3. Transactions per warm request, counted before the timed rounds.
        await app.services.audit.apiCalls.flush();
        counted.count = 0;
        quietCounted.count = 0;
        await load(quiet.http, headers)(SETTINGS.countedRequests);
        const quietTransactions = quietCounted.count;
        await load(app.http, headers)(SETTINGS.countedRequests);
        await app.services.audit.apiCalls.flush();
        const recordedTransactions = counted.count;
        out(`transactions during ${SETTINGS.countedRequests} warm bearer requests: ${quietTransactions} with api.request recording off; ${recordedTransactions} with it on (all of them api.request batch flushes)`);
        verdicts.push({ measure: 'database transactions per warm bearer request (recording off)', value: String(quietTransactions / SETTINGS.countedRequests), target: '0', met: quietTransactions === 0 });

        const result = await measureRounds({
          baseline: { label: 'unauthenticated', run: load(bare, {}) },
          subjects: [
            { label: 'bearer', run: loadRecorded },
            { label: 'bearer, no api.request', run: load(quiet.http, headers) },
          ],
          rounds: SETTINGS.routeRounds,
          ops: SETTINGS.routeRequests,
          warmupOps: SETTINGS.routeRequests,
          out,
        });
        const [recorded, unrecorded] = result.subjects;
        const cpu = (side: { cpuMicrosPerOp: readonly number[] }) => `${median(side.cpuMicrosPerOp).toFixed(1)} µs`;
        for (const line of table(
          ['side', 'req/s (median)', 'ratio (median, range)', 'CPU per request (median)', 'CPU ratio (median, range)'],
          [
            ['same route, no authentication (bare server)', formatRate(result.baseline.medianOpsPerSecond), '1', cpu(result.baseline), '1'],
            ['full app, Bearer <user access token> (api.request recorded)', formatRate(recorded!.medianOpsPerSecond), formatRatio(recorded!.ratios), cpu(recorded!), formatRatio(recorded!.cpuRatios)],
            ['full app, Bearer <user access token>, PARAPET_AUDIT_API_SAMPLING=0', formatRate(unrecorded!.medianOpsPerSecond), formatRatio(unrecorded!.ratios), cpu(unrecorded!), formatRatio(unrecorded!.cpuRatios)],
          ],
        )) out(line);
        verdicts.push({ measure: 'GET /auth/session with user token / unauthenticated (recorded)', value: recorded!.medianRatio.toFixed(2), target: `>= ${TARGETS.routeRatio}`, met: recorded!.medianRatio >= TARGETS.routeRatio });
        verdicts.push({ measure: 'GET /auth/session with user token / unauthenticated (not recorded)', value: unrecorded!.medianRatio.toFixed(2), target: `>= ${TARGETS.routeRatio}`, met: unrecorded!.medianRatio >= TARGETS.routeRatio });
      } finally {
        await bare.close();
      }
      return verdicts;
    } finally {
      await quiet.http.close();
      await app.http.close();
      await bench.close();
    }
  },
};
