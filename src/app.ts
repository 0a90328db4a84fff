import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { AppContext, AppOptions, ModuleApis } from './modules/contract.ts';
import { MODULES } from './modules/index.ts';
import { createHttpMetrics } from './platform/http/metrics.ts';
import { registerOpenApi, renderApiReference } from './platform/http/openapi.ts';
import { registerOpsRoutes } from './platform/http/ops-routes.ts';
import { createIpRateLimiter } from './platform/http/rate-limit.ts';
import { Problem } from './platform/http/schemas.ts';
import { createHttpServer } from './platform/http/server.ts';
import { tlsServerOptions, type TlsPair } from './platform/http/tls.ts';
import { createMailer, outboxPath, outboxTransport, smtpTransport } from './platform/mail/index.ts';
import { composeModules, type BackgroundJob } from './platform/module.ts';
import { createChangeFeed } from './platform/notify/change-feed.ts';
import { createRedisChangeFeed } from './platform/notify/redis-change-feed.ts';
import { connectRedis } from './platform/redis/connect-redis.ts';
import { createRedisHealth } from './platform/redis/redis-health.ts';
import { servicesOf, type AppServices } from './app-services.ts';

export const VERSION = '0.1.0';

/** What `buildApp` is given: the shared machinery modules are created with, and the optional parts. */
export interface AppDeps extends AppOptions, Pick<AppContext, 'config' | 'logger' | 'db' | 'transactor' | 'hasher' | 'clock' | 'random' | 'keyring'> {
  /** Waits between mail delivery attempts (tests shorten them). */
  readonly mailRetryDelaysMs?: readonly number[];
  /** Certificate and key (loaded by `loadTlsPair`): the app serves HTTPS itself. */
  readonly tls?: TlsPair;
  /** Prefix of the Redis keys and feed channel (default `config.redisPrefix`; tests isolate their runs). */
  readonly redisKeyPrefix?: string;
}

export interface App {
  readonly http: FastifyInstance;
  /** Each module's API, by module name. */
  readonly modules: ModuleApis;
  /** The modules' APIs under the names tests and tools have long used. */
  readonly services: AppServices;
  /** Every module's background loops; `serve` starts them (start.ts). */
  readonly jobs: readonly BackgroundJob[];
}

/** Builds the HTTP application from the module list (src/modules/index.ts). Listens on nothing. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, logger } = deps;
  const metrics = createHttpMetrics();
  // AUTH-6: with Redis, per-IP limits and sign-in counters are shared by every node, over one
  // connection of their own (the change feed keeps its own).
  // Issue 15: a Redis outage degrades to PostgreSQL counters and per-node limits, logged once.
  const health = createRedisHealth({ logger, registry: metrics.registry });
  const counters = config.redisUrl === undefined ? undefined : await connectRedis({ url: config.redisUrl, logger, connectionName: 'parapet-counters', health });
  const redis = counters === undefined ? undefined : { client: counters.client, prefix: deps.redisKeyPrefix ?? config.redisPrefix, health };
  const sharedLimits = redis === undefined ? undefined : { client: redis.client, keyPrefix: `${redis.prefix}rate:`, logger, health };
  const http = await createHttpServer({
    logger,
    bodyLimit: config.bodyLimit,
    headersTimeoutMs: config.headersTimeoutSeconds * 1000,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    trustProxy: config.trustProxy,
    tls: new URL(config.publicUrl).protocol === 'https:',
    ...(deps.tls === undefined ? {} : { https: tlsServerOptions(deps.tls) }),
    hstsIncludeSubdomains: config.hstsIncludeSubdomains,
    limiter: createIpRateLimiter(config.rateLimitPerMinute, 'ip', sharedLimits),
    authLimiter: createIpRateLimiter(config.authRateLimitPerMinute, 'auth', sharedLimits),
    metrics,
  });
  http.addSchema(Problem);
  await registerOpenApi(http, VERSION);
  const feed = config.redisUrl === undefined ? await createChangeFeed(deps.db, logger) : await createRedisChangeFeed({ url: config.redisUrl, logger, health, channel: `${deps.redisKeyPrefix ?? config.redisPrefix}changes` });
  const mail = createMailer({
    transport: config.smtpHost === undefined ? outboxTransport(outboxPath(config.dataDir)) : smtpTransport({ host: config.smtpHost, port: config.smtpPort, tls: config.smtpTls, user: config.smtpUser, password: config.smtpPassword, caFile: config.smtpCaFile }),
    from: config.mailFrom,
    publicUrl: config.publicUrl,
    transactor: deps.transactor,
    clock: deps.clock,
    random: deps.random,
    logger,
    ...(deps.mailRetryDelaysMs === undefined ? {} : { retryDelaysMs: deps.mailRetryDelaysMs }),
  });
  const ctx: AppContext = {
    ...deps,
    metrics,
    feed,
    mail,
    redis,
    options: deps,
    contributions: { reviewContributors: MODULES.flatMap((m) => m.reviewContributors ?? []), personalData: MODULES.flatMap((m) => m.personalData?.(deps) ?? []), retention: MODULES.flatMap((m) => m.retention ?? []) },
  };
  const composed = await composeModules(ctx, MODULES);
  const ready = async (): Promise<void> => {
    await sql`select 1`.execute(deps.db.app);
  };
  registerOpsRoutes(http, { ready, degraded: () => (health.degraded() ? ['redis'] : []), metrics, metricsToken: config.metricsToken });
  await composed.registerRoutes(http);
  http.addHook('onClose', async () => {
    await composed.close();
    await mail.close();
    await feed.close();
    await counters?.close();
  });
  http.get('/openapi.json', { config: { auth: 'public' } }, async () => http.swagger());
  http.get('/docs/api', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderApiReference(http.swagger() as unknown as Parameters<typeof renderApiReference>[0])),
  );
  await http.ready();
  const modules = Object.fromEntries(composed.apis) as unknown as ModuleApis;
  return { http, modules, services: servicesOf(modules, mail, feed), jobs: composed.jobs };
}
