import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isLoopback, type Config } from './config/index.ts';
import type { AppTransactor, DB } from './database.ts';
import { registerConsoleRoutes } from './modules/console/index.ts';
import {
  createLoginService,
  createLoginThrottle,
  createSessionService,
  createSetupService,
  registerAuthentication,
  registerIdentityRoutes,
  registerUserAdminRoutes,
  recentAuthentication,
  sessionCookieFor,
  auditActor,
  requestSource,
  type PasswordHasher,
  type SessionService,
  type SetupService,
  type LoginThrottle,
} from './modules/identity/index.ts';
import {
  createApiCallBuffer,
  createAuditRecorder,
  createAuditService,
  createRetention,
  createAuditSigner,
  createSequencer,
  exportLines,
  PLATFORM_TENANT_ID,
  registerAuditMetrics,
  registerAuditRoutes,
  type ApiCallBuffer,
  type AuditRecorder,
  type AuditSigner,
  type Retention,
  type Sequencer,
} from './modules/audit/index.ts';
import { createAuditStreaming, registerAuditStreaming, type AuditStreaming } from './modules/audit/streaming/index.ts';
import { createTenantsService, registerTenantsRoutes, type TenantsService } from './modules/tenants/index.ts';
import {
  createAccessControl,
  createAccessService,
  createSecurityPolicyService,
  registerAccessRoutes,
  registerAuthorization,
  registerSecurityPolicyRoutes,
  type AccessControl,
  type AccessService,
} from './modules/access/index.ts';
import { grantCreator } from './modules/access/access-store.ts';
import {
  createAccessRequestsService,
  createRiskyWrites,
  createSecurityAlerts,
  registerAccessRequestRoutes,
  registerRiskyWriteRoutes,
  tenancyOperations,
  type AccessRequestsService,
  type RiskyWrites,
  type SecurityAlerts,
} from './modules/access-requests/index.ts';
import { apiKeysReview, createApiKeys, type ApiKeys } from './modules/api-keys/index.ts';
import { createBearerAuthenticator, createClientsService, createTokenService, oauthEndpoints, registerClientsRoutes, registerTokenRoutes } from './modules/oauth/index.ts';
import { createTokenKeys, registerJwksRoute, type TokenKeys } from './modules/tokens/index.ts';
import { createChangeFeed, type ChangeFeed } from './platform/notify/change-feed.ts';
import { createRedisChangeFeed } from './platform/notify/redis-change-feed.ts';
import { uuidv7 } from './platform/crypto/random.ts';
import type { Keyring } from './platform/crypto/keyring.ts';
import { createKeys, keyProviderFor, type KeyProvider, type Keys } from './platform/crypto/keys.ts';
import type { Clock } from './platform/clock.ts';
import type { Random } from './platform/crypto/random.ts';
import type { Database } from './platform/db/index.ts';
import { createHttpMetrics } from './platform/http/metrics.ts';
import { registerOpenApi, renderApiReference } from './platform/http/openapi.ts';
import { registerOpsRoutes } from './platform/http/ops-routes.ts';
import { createIpRateLimiter } from './platform/http/rate-limit.ts';
import { Problem } from './platform/http/schemas.ts';
import { createHttpServer } from './platform/http/server.ts';
import { tlsServerOptions, type TlsPair } from './platform/http/tls.ts';

export const VERSION = '0.1.0';

/** Modules whose credentials appear in the access review beside role bindings (API and CLI alike). */
export const REVIEW_CONTRIBUTORS = [apiKeysReview] as const;

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database<DB>;
  readonly transactor: AppTransactor;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly random: Random;
  readonly keyring: Keyring;
  /** The root key provider; defaults to the local provider over `keyring` (nothing persisted). */
  readonly keyProvider?: KeyProvider;
  /** Certificate and key (loaded by `loadTlsPair`): the app serves HTTPS itself. */
  readonly tls?: TlsPair;
}

export interface App {
  readonly http: FastifyInstance;
  readonly services: {
    readonly sessions: SessionService;
    readonly setup: SetupService;
    readonly throttle: LoginThrottle;
    readonly tenants: TenantsService;
    readonly access: AccessControl;
    readonly accessService: AccessService;
    readonly accessRequests: AccessRequestsService;
    readonly riskyWrites: RiskyWrites;
    readonly alerts: SecurityAlerts;
    readonly feed: ChangeFeed;
    readonly tokenKeys: TokenKeys;
    readonly auditStreaming: AuditStreaming;
    readonly apiKeys: ApiKeys;
    readonly keys: Keys;
    readonly audit: { readonly recorder: AuditRecorder; readonly sequencer: Sequencer; readonly signer: AuditSigner; readonly retention: Retention; readonly apiCalls: ApiCallBuffer };
  };
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
    ...(deps.tls === undefined ? {} : { https: tlsServerOptions(deps.tls) }),
    hstsIncludeSubdomains: config.hstsIncludeSubdomains,
    limiter: createIpRateLimiter(config.rateLimitPerMinute, 'ip'),
    authLimiter: createIpRateLimiter(config.authRateLimitPerMinute, 'auth'),
    metrics,
  });
  http.addSchema(Problem);
  await registerOpenApi(http, VERSION);

  const audit = createAuditRecorder({ clock, random });
  const signer = createAuditSigner(deps.keyring, config.publicUrl);
  const sequencer = createSequencer({ transactor, clock, signer, logger: deps.logger });
  const retention = createRetention({ transactor, clock, signer, audit, defaultDays: config.auditRetentionDays });
  registerAuditMetrics(metrics.registry, { transactor, logger: deps.logger });
  const feed = config.redisUrl === undefined ? await createChangeFeed(deps.db) : await createRedisChangeFeed({ url: config.redisUrl, logger: deps.logger });
  const sessions = createSessionService({
    feed,
    transactor,
    clock,
    random,
    audit,
    timeouts: {
      memberIdleMinutes: config.sessionIdleMinutes,
      memberAbsoluteHours: config.sessionAbsoluteHours,
      operatorIdleMinutes: config.operatorSessionIdleMinutes,
      operatorAbsoluteHours: config.operatorSessionAbsoluteHours,
    },
  });
  const setup = createSetupService({ transactor, hasher, clock, random, passwordMinLength: config.passwordMinLength, audit });
  const throttle = createLoginThrottle({ transactor, clock, key: deps.keyring.derive('login-throttle'), threshold: config.lockoutThreshold, lockMinutes: config.lockoutMinutes });
  const login = createLoginService({ transactor, hasher, sessions, clock, audit, throttle });
  const access = createAccessControl({ transactor, clock, audit, feed, logger: deps.logger });
  const tenants = createTenantsService({
    transactor,
    clock,
    random,
    audit,
    access: { changed: (tx, tenantId) => access.changed(tx, tenantId), grantCreator: (tx, tenantId, userId, now) => grantCreator(tx, tenantId, userId, now, uuidv7(clock, random)) },
  });
  const cookie = sessionCookieFor(config.publicUrl);
  const tokenKeys = createTokenKeys({ keyring: deps.keyring, clock, rotationDays: config.tokenKeyRotationDays });
  const endpoints = oauthEndpoints(config.publicUrl);
  const bearer = createBearerAuthenticator({ keys: tokenKeys, issuer: endpoints.issuer, audience: endpoints.apiAudience, clock, transactor, feed });

  const apiKeys = createApiKeys({ transactor, clock, random, keyring: deps.keyring, audit, access, feed, logger: deps.logger, maxDays: config.apiKeyMaxDays });

  registerAuthentication(http, { sessions, cookie, allowedOrigins: allowedOrigins(config), authenticators: [apiKeys.authenticator, (request) => bearer.authenticate(request)] });
  registerAuthorization(http, { access, actorOf: auditActor, sourceOf: requestSource });
  registerOpsRoutes(http, {
    ready: async () => {
      await sql`select 1`.execute(deps.db.app);
    },
    metrics,
    metricsToken: config.metricsToken,
  });
  registerIdentityRoutes(http, { login, sessions, setup, cookie });
  registerUserAdminRoutes(http, { transactor, clock, audit, sessions });
  registerSecurityPolicyRoutes(http, {
    service: createSecurityPolicyService({ transactor, clock, audit, access }),
    access,
    revokeUserSessions: (userId, reason, by) => sessions.revokeAllForUser(userId, reason, by),
    requireRecentAuthentication: recentAuthentication(clock),
    actorOf: auditActor,
    sourceOf: requestSource,
  });
  const riskyWrites = createRiskyWrites({ transactor, clock, random, audit, access });
  for (const operation of tenancyOperations(tenants)) riskyWrites.register(operation);
  registerTenantsRoutes(http, tenants, riskyWrites.gate);
  apiKeys.register(http);
  const accessService = createAccessService({ transactor, clock, random, audit, access, reviewContributors: REVIEW_CONTRIBUTORS });
  registerAccessRoutes(http, { service: accessService, access, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
  const alerts = createSecurityAlerts({ transactor, clock, random, audit, logger: deps.logger });
  const accessRequests = createAccessRequestsService({ transactor, clock, random, audit, access, accessService, alerts, logger: deps.logger, maxMinutes: config.jitMaxHours * 60 });
  registerAccessRequestRoutes(http, { service: accessRequests, alerts, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
  registerRiskyWriteRoutes(http, { riskyWrites, actorOf: auditActor, sourceOf: requestSource });
  registerJwksRoute(http, tokenKeys);
  const revoked = (tenantId: string): void => {
    bearer.invalidate(tenantId);
  };
  registerClientsRoutes(http, createClientsService({ transactor, clock, random, audit, access, feed, revoked }));
  await registerTokenRoutes(http, {
    service: createTokenService({ transactor, clock, random, audit, access, keys: tokenKeys, endpoints }),
    endpoints,
    documentation: `${config.publicUrl}/docs/api`,
  });
  registerAuditRoutes(http, {
    service: createAuditService({ transactor, signer }),
    exportLines: (tenantId) => exportLines({ transactor, signer, clock }, tenantId),
    recordExport: async (ctx, tenantId, format) => {
      await transactor.withTenant(tenantId, (tx) =>
        audit.record(tx, tenantId, { action: 'audit.exported', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: tenantId }], metadata: { format } }),
      );
    },
    retention: {
      get: (tenantId) => retention.retentionDays(tenantId),
      set: (ctx, tenantId, days) => retention.setRetentionDays(tenantId, days, ctx),
    },
  });
  const keys = createKeys({ config, transactor, provider: deps.keyProvider ?? keyProviderFor(config, deps.keyring, { persist: false }), keyring: deps.keyring, clock, random, audit });
  const auditStreaming = createAuditStreaming({
    transactor,
    clock,
    random,
    fields: keys.fields,
    audit,
    signer,
    logger: deps.logger,
    publicUrl: config.publicUrl,
    allowedNetworks: config.auditStreamAllowedNetworks,
  });
  registerAuditStreaming(http, { service: auditStreaming.service });
  const apiCalls = createApiCallBuffer({ transactor, recorder: audit, logger: deps.logger });
  recordApiCalls(http, { buffer: apiCalls, clock, sampling: config.auditApiSampling, random });
  http.addHook('onClose', async () => {
    await apiCalls.close();
    await apiKeys.close();
    await access.close();
    bearer.close();
    await feed.close();
  });
  registerConsoleRoutes(http);

  http.get('/openapi.json', { config: { auth: 'public' } }, async () => http.swagger());
  http.get('/docs/api', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderApiReference(http.swagger() as unknown as Parameters<typeof renderApiReference>[0])),
  );

  await http.ready();
  return { http, services: { sessions, setup, throttle, tenants, access, accessService, accessRequests, riskyWrites, alerts, feed, apiKeys, keys, tokenKeys, auditStreaming, audit: { recorder: audit, sequencer, signer, retention, apiCalls } } };
}

/**
 * AUD-1: every API call becomes an `api.request` event (method, route template, status, latency),
 * in the organization's log when the route names one and the call succeeded, else the platform's.
 */
function recordApiCalls(http: FastifyInstance, deps: { buffer: ApiCallBuffer; clock: Clock; sampling: number; random: Random }): void {
  http.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/v1/') !== true) return;
    if (deps.sampling < 1 && deps.random(4).readUInt32BE(0) / 2 ** 32 >= deps.sampling) return;
    const orgId = (request.params as { orgId?: unknown } | undefined)?.orgId;
    const tenantId = typeof orgId === 'string' && reply.statusCode < 400 ? orgId.toLowerCase() : PLATFORM_TENANT_ID;
    const grantId = request.authorized?.grantId;
    deps.buffer.add(tenantId, {
      action: 'api.request',
      actor: auditActor(request.principal),
      outcome: reply.statusCode < 400 ? 'success' : reply.statusCode === 401 || reply.statusCode === 403 ? 'denied' : 'failure',
      source: { ip: request.ip, user_agent: request.headers['user-agent'] ?? null, request_id: request.id },
      metadata: { method: request.method, route, status: reply.statusCode, latency_ms: Math.round(reply.elapsedTime * 10) / 10, ...(grantId === undefined ? {} : { grant_id: grantId }) },
      occurredAt: deps.clock.now(),
    });
  });
}
