import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isLoopback, type Config } from './config/index.ts';
import type { AppTransactor, DB } from './database.ts';
import { registerConsoleRoutes } from './modules/console/index.ts';
import {
  createLoginService,
  createSessionService,
  createSetupService,
  registerAuthentication,
  registerIdentityRoutes,
  sessionCookieFor,
  type PasswordHasher,
  type SessionService,
  type SetupService,
} from './modules/identity/index.ts';
import { createTenantsService, registerTenantsRoutes, type TenantsService } from './modules/tenants/index.ts';
import type { Clock } from './platform/clock.ts';
import type { Random } from './platform/crypto/random.ts';
import type { Database } from './platform/db/index.ts';
import { createHttpMetrics } from './platform/http/metrics.ts';
import { registerOpenApi, renderApiReference } from './platform/http/openapi.ts';
import { registerOpsRoutes } from './platform/http/ops-routes.ts';
import { createIpRateLimiter } from './platform/http/rate-limit.ts';
import { Problem } from './platform/http/schemas.ts';
import { createHttpServer } from './platform/http/server.ts';

export const VERSION = '0.1.0';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database<DB>;
  readonly transactor: AppTransactor;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly random: Random;
}

export interface App {
  readonly http: FastifyInstance;
  readonly services: { readonly sessions: SessionService; readonly setup: SetupService; readonly tenants: TenantsService };
}

/** Origins whose browsers may send unsafe requests: the public URL, plus its localhost twin in development. */
function allowedOrigins(config: Config): string[] {
  const origins = [config.publicUrl];
  const url = new URL(config.publicUrl);
  if (url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''))) {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) origins.push(`http://${host}${url.port === '' ? '' : `:${url.port}`}`);
  }
  return [...new Set(origins)];
}

/** Builds the HTTP application with every module registered. Listens on nothing. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, transactor, clock, random, hasher } = deps;
  const metrics = createHttpMetrics();
  const http = await createHttpServer({
    logger: deps.logger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    tls: new URL(config.publicUrl).protocol === 'https:',
    limiter: createIpRateLimiter(config.rateLimitPerMinute, 'ip'),
    authLimiter: createIpRateLimiter(config.authRateLimitPerMinute, 'auth'),
    metrics,
  });
  http.addSchema(Problem);
  await registerOpenApi(http, VERSION);

  const sessions = createSessionService({
    transactor,
    clock,
    random,
    timeouts: {
      memberIdleMinutes: config.sessionIdleMinutes,
      memberAbsoluteHours: config.sessionAbsoluteHours,
      operatorIdleMinutes: config.operatorSessionIdleMinutes,
      operatorAbsoluteHours: config.operatorSessionAbsoluteHours,
    },
  });
  const setup = createSetupService({ transactor, hasher, clock, random, passwordMinLength: config.passwordMinLength });
  const login = createLoginService({ transactor, hasher, sessions, clock });
  const tenants = createTenantsService({ transactor, clock, random });
  const cookie = sessionCookieFor(config.publicUrl);

  registerAuthentication(http, { sessions, cookie, allowedOrigins: allowedOrigins(config) });
  registerOpsRoutes(http, {
    ready: async () => {
      await sql`select 1`.execute(deps.db.app);
    },
    metrics,
    metricsToken: config.metricsToken,
  });
  registerIdentityRoutes(http, { login, sessions, setup, cookie });
  registerTenantsRoutes(http, tenants);
  registerConsoleRoutes(http);

  http.get('/openapi.json', { config: { auth: 'public' } }, async () => http.swagger());
  http.get('/docs/api', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderApiReference(http.swagger() as unknown as Parameters<typeof renderApiReference>[0])),
  );

  await http.ready();
  return { http, services: { sessions, setup, tenants } };
}
