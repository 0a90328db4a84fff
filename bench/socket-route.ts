// End to end over real sockets on the PostgreSQL server (issue 16): GET a project with a bearer
// access token, a session cookie and an API key, each through the full app listening on loopback,
// against the same route, params and response schema on a bare server (same createHttpServer hooks)
// whose handler runs getProject on a plain superuser pool: no authentication, no withTenant.
// Load: autocannon (devDependency), 10 connections, 5 s per side per round (bounded),
// 127.0.0.1 only; the sides alternate in rotating order each round. Prints req/s, p50/p99 latency,
// the ratio to the bare side per round (median and range), and statements per request counted at
// the driver (every pg query the process sends while 200 requests run, background work included).
// The peer (bench/peer-better-auth.ts): Better Auth's getSession behind a bearer token and a cookie,
// same server, same run, same rounds; the Parapet / Better Auth ratios are printed per round.
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { grantCreator } from '../src/modules/access/access-store.ts';
import { createPasswordHasher, createRowIntegrity } from '../src/modules/identity/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom, uuidv7 } from '../src/platform/crypto/random.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { bareServer as bareProjectServer } from './authenticated-route.ts';
import { BENCH_KEYRING, openBenchDatabase, postgresSkipReason } from './databases.ts';
import { startBetterAuthPeer, type Peer } from './peer-better-auth.ts';
import { countPgRoundTrips, median, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 3, seconds: 5, warmup: 300, connections: 10, poolSize: 10, target: 0.8 };
const PASSWORD = 'a perfectly fine passphrase';

interface Side {
  readonly label: string;
  readonly port: number;
  readonly headers: Record<string, string>;
  /** The path this side requests, when not the project's. */
  readonly path?: string;
}

interface Round {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * One bounded autocannon run: `amount` requests, or for `seconds` when given (rates are counted
 * that way: autocannon ends an `amount` run on its one-second tick, so 5,000 requests done in 2.4 s
 * read as 1,667/s). Any non-2xx answer or socket error fails the benchmark.
 */
async function fire(side: Side, path: string, amount: number, seconds?: number): Promise<Round> {
  const load = seconds === undefined ? { amount } : { duration: seconds };
  const result = await autocannon({ url: `http://127.0.0.1:${side.port}${side.path ?? path}`, headers: side.headers, connections: SETTINGS.connections, timeout: 30, ...load });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) throw new Error(`${side.label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return { rps: result.requests.total / (seconds ?? (result.duration || 1)), p50: result.latency.p50, p99: result.latency.p99 };
}

export const socketRoute: Benchmark = {
  name: 'socket-route',
  description: 'GET a project over loopback sockets (autocannon): bearer, cookie, API key vs a bare route, PostgreSQL',
  onlyWhenNamed: true,
  run: async (out) => {
    const skip = await postgresSkipReason();
    if (skip !== false) {
      out(`skipped: ${skip}`);
      return [{ measure: 'socket GET project / bare', value: 'skipped', target: `>= ${SETTINGS.target}`, met: undefined }];
    }
    const hasher = await createPasswordHasher();
    const bench = await openBenchDatabase('postgres', { poolSize: SETTINGS.poolSize, passwordHash: await hasher.hash(PASSWORD) });
    const config = loadConfig({ env: { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn' } });
    const logger = createLogger(config.logLevel);
    const app = await buildApp({ config, logger, db: bench.db, transactor: bench.transactor, hasher, clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
    const bare = await bareProjectServer(bench, config, logger);
    const servers: FastifyInstance[] = [app.http, bare];
    let peer: Peer | string = 'not started';
    try {
      const { tenantId, projectId, userId } = bench.target;
      const path = `/api/v1/organizations/${tenantId}/projects/${projectId}`;
      const cookieLogin = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@example.com', password: PASSWORD } });
      const session = cookieLogin.cookies.find((c) => c.name === 'parapet_session');
      if (cookieLogin.statusCode !== 200 || session === undefined) throw new Error(`login failed: ${cookieLogin.statusCode} ${cookieLogin.body}`);
      const tokenLogin = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@example.com', password: PASSWORD, response_type: 'token' } });
      if (tokenLogin.statusCode !== 200) throw new Error(`token login failed: ${tokenLogin.statusCode} ${tokenLogin.body}`);
      // Access tokens live 15 minutes at most and a loaded machine can take longer: one per round.
      const freshToken = async () => {
        const response = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@example.com', password: PASSWORD, response_type: 'token' } });
        if (response.statusCode !== 200) throw new Error(`token login failed: ${response.statusCode} ${response.body}`);
        return `Bearer ${response.json<{ access_token: string }>().access_token}`;
      };
      const accessToken = tokenLogin.json<{ access_token: string }>().access_token;
      await bench.transactor.withTenant(tenantId, async (tx) => {
        await grantCreator(tx, createRowIntegrity(BENCH_KEYRING.derive('row-integrity')), tenantId, userId, new Date(), uuidv7(systemClock, systemRandom));
        await app.services.access.changed(tx, tenantId);
      });
      const principal = { kind: 'user' as const, userId, sessionId: userId, email: 'bench@example.com', displayName: 'bench', isPlatformAdmin: false, authMethods: ['pwd'], authenticatedAt: new Date() };
      const actor = { principal, userId, actor: { type: 'user' as const, id: userId, display_name: 'bench' }, source: { ip: '127.0.0.1', user_agent: null, request_id: null } };
      const { key } = await app.services.apiKeys.service.create(actor, tenantId, { name: 'bench', permissions: ['projects.read'], signing: false });

      const appPort = await listen(app.http);
      const barePort = await listen(bare);
      const baseline: Side = { label: 'bare route, plain pool query', port: barePort, headers: {} };
      const bearer: Side = { label: 'bearer access token', port: appPort, headers: { authorization: `Bearer ${accessToken}` } };
      const subjects: Side[] = [
        bearer,
        { label: 'session cookie', port: appPort, headers: { cookie: `${session.name}=${session.value}` } },
        { label: 'API key', port: appPort, headers: { authorization: `Bearer ${key}` } },
      ];
      peer = await startBetterAuthPeer(SETTINGS.poolSize);
      const peerSides: Side[] =
        typeof peer === 'string'
          ? []
          : [
              { label: 'Better Auth bearer getSession', port: peer.port, path: peer.path, headers: peer.bearerHeaders },
              { label: 'Better Auth cookie getSession', port: peer.port, path: peer.path, headers: peer.cookieHeaders },
            ];
      if (typeof peer === 'string') out(`peer (Better Auth): skipped: ${peer}`);
      else out(`peer: Better Auth ${peer.version} (organization + bearer plugins), getSession on node:http, its own database on the same server, pool of ${SETTINGS.poolSize}`);
      const sides = [baseline, ...subjects, ...peerSides];
      for (const side of sides) await fire(side, path, SETTINGS.warmup);
      const statements = new Map<string, number>();
      for (const side of sides) statements.set(side.label, (await countPgRoundTrips(async () => {
        await fire(side, path, 200);
      })) / 200);
      out(`PostgreSQL server, pool of ${SETTINGS.poolSize}; autocannon ${SETTINGS.connections} connections over 127.0.0.1; ${SETTINGS.rounds} rounds x ${SETTINGS.seconds} s per side`);
      const rounds = new Map<string, Round[]>(sides.map((s) => [s.label, []]));
      for (let round = 0; round < SETTINGS.rounds; round++) {
        bearer.headers['authorization'] = await freshToken();
        const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
        for (const side of order) rounds.get(side.label)?.push(await fire(side, path, 0, SETTINGS.seconds));
        out(`  round ${round + 1}: ${order.map((s) => `${s.label} ${Math.round(rounds.get(s.label)?.[round]?.rps ?? 0)}/s`).join(', ')}`);
      }
      const base = rounds.get(baseline.label) ?? [];
      const verdicts: Verdict[] = [];
      const rows = sides.map((side) => {
        const r = rounds.get(side.label) ?? [];
        const ratios = r.map((x, i) => x.rps / (base[i]?.rps ?? Number.NaN));
        const ratio = side === baseline ? '1' : `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
        if (side !== baseline && !peerSides.includes(side)) verdicts.push({ measure: `socket GET project, ${side.label} / bare, PostgreSQL`, value: median(ratios).toFixed(2), target: `>= ${SETTINGS.target}`, met: median(ratios) >= SETTINGS.target });
        return [side.label, `${Math.round(median(r.map((x) => x.rps)))}/s`, `${median(r.map((x) => x.p50))} ms`, `${median(r.map((x) => x.p99))} ms`, ratio, peerSides.includes(side) ? 'not counted (its own pg)' : (statements.get(side.label) ?? 0).toFixed(2)];
      });
      for (const line of table(['side', 'req/s (median)', 'p50', 'p99', 'ratio to bare (median, range)', 'statements/request'], rows)) out(line);
      // Parapet over the peer, per round: bearer over bearer, cookie over cookie (target >= 3).
      for (const [ours, theirs] of [
        ['bearer access token', 'Better Auth bearer getSession'],
        ['session cookie', 'Better Auth cookie getSession'],
      ] as const) {
        const mine = rounds.get(ours) ?? [];
        const peerRounds = rounds.get(theirs);
        if (peerRounds === undefined) {
          verdicts.push({ measure: `socket GET, Parapet ${ours} / Better Auth`, value: 'skipped', target: '>= 3', met: undefined });
          continue;
        }
        const ratios = mine.map((x, i) => x.rps / (peerRounds[i]?.rps ?? Number.NaN));
        out(`Parapet ${ours} / ${theirs}: ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) by round`);
        verdicts.push({ measure: `socket GET, Parapet ${ours} / Better Auth`, value: median(ratios).toFixed(2), target: '>= 3', met: median(ratios) >= 3 });
      }
      return verdicts;
    } finally {
      if (typeof peer !== 'string') await peer.close();
      for (const server of servers) await server.close();
      await bench.close();
    }
  },
};

async function listen(server: FastifyInstance): Promise<number> {
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
