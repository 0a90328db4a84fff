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
  requireRecentAuthentication,
  sessionCookieFor,
  auditActor,
  requestSource,
  type PasswordHasher,
  type SessionService,
  type SetupService,
  type LoginThrottle,
  createPostgresThrottleStore,
  createRedisThrottleStore,
  registerPasswordRoutes,
  registerStepUp,
} from './modules/identity/index.ts';
import { createFirstFactorUpgrade, createMfa, pendingLoginCookieFor, registerMfaRoutes, type Mfa } from './modules/identity/mfa/index.ts';
import type { IssueApiClientTokens } from './modules/identity/sign-in-answer.ts';
import {
  apiCallSampler,
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
import { createTokenKeys, createUserTokenAuthenticator, createUserTokens, createVerifiedTokenCache, registerJwksRoute, registerUserTokenRoutes, type TokenKeys, type UserTokens } from './modules/tokens/index.ts';
import { createSecrets, type SecretsService } from './modules/secrets/index.ts';
import {
  builtInContributors,
  createDeletionService,
  createExportService,
  createRetentionForConfig,
  mailDeletionNotifier,
  registerLifecycleRoutes,
  type DeletionNotifier,
  type DeletionService,
  type PersonalDataContributor,
  type RetentionService,
} from './modules/lifecycle/index.ts';
import type { ShredRegister } from './platform/crypto/shred-register.ts';
import { createAccountsService, createInvitationsService, registerAccountsRoutes, type AccountsService, type InvitationsService } from './modules/accounts/index.ts';
import { createThrottle } from './modules/identity/index.ts';
import { createMailer, outboxPath, outboxTransport, smtpTransport, type Mailer } from './platform/mail/index.ts';
import { createPasskeys, registerPasskeyRoutes, relyingPartyFor, type Passkeys } from './modules/passkeys/index.ts';
import { passkeySecondFactor } from './modules/passkeys/passkey-second-factor.ts';
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
import { connectRedis } from './platform/redis/connect-redis.ts';
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
  /** Waits between mail delivery attempts (tests shorten them). */
  readonly mailRetryDelaysMs?: readonly number[];
  /** Certificate and key (loaded by `loadTlsPair`): the app serves HTTPS itself. */
  readonly tls?: TlsPair;
  /** Tenants whose keys were destroyed, kept outside the database (start.ts: a file beside the keyring). */
  readonly shredRegister?: ShredRegister;
  /** Delivers account and organization deletion notices (DATA-3); by default the mailer (SMTP or the development outbox). */
  readonly deletionNotifier?: DeletionNotifier;
  /** Prefix of the Redis keys for shared counters (default `parapet:`; tests isolate their runs). */
  readonly redisKeyPrefix?: string;
}

export interface App {
  readonly http: FastifyInstance;
  readonly services: {
    readonly sessions: SessionService;
    readonly setup: SetupService;
    readonly throttle: LoginThrottle;
    readonly mfa: Mfa;
    readonly tenants: TenantsService;
    readonly access: AccessControl;
    readonly accessService: AccessService;
    readonly accessRequests: AccessRequestsService;
    readonly riskyWrites: RiskyWrites;
    readonly alerts: SecurityAlerts;
    readonly feed: ChangeFeed;
    readonly tokenKeys: TokenKeys;
    readonly userTokens: UserTokens;
    readonly auditStreaming: AuditStreaming;
    readonly apiKeys: ApiKeys;
    readonly keys: Keys;
    readonly secrets: SecretsService;
    /** DATA-1/2/3. Modules add retention types (`retention.registry.register`) and personal data sections (`personalData.push`). */
    readonly lifecycle: { readonly retention: RetentionService; readonly deletions: DeletionService; readonly personalData: PersonalDataContributor[] };
    readonly mail: Mailer;
    readonly accounts: AccountsService;
    readonly invitations: InvitationsService;
    readonly passkeys: Passkeys;
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
  // AUTH-6: with Redis, per-IP limits and sign-in counters are shared by every node, over one
  // connection of their own (the change feed keeps its own).
  const counters = config.redisUrl === undefined ? undefined : await connectRedis({ url: config.redisUrl, logger: deps.logger, connectionName: 'parapet-counters' });
  const redisPrefix = deps.redisKeyPrefix ?? 'parapet:';
  const sharedLimits = counters === undefined ? undefined : { client: counters.client, keyPrefix: `${redisPrefix}rate:`, logger: deps.logger };
  const throttleStore = counters === undefined ? createPostgresThrottleStore(transactor) : createRedisThrottleStore({ client: counters.client, keyPrefix: `${redisPrefix}throttle:` });
  const http = await createHttpServer({
    logger: deps.logger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    tls: new URL(config.publicUrl).protocol === 'https:',
    ...(deps.tls === undefined ? {} : { https: tlsServerOptions(deps.tls) }),
    hstsIncludeSubdomains: config.hstsIncludeSubdomains,
    headersTimeoutMs: config.headersTimeoutSeconds * 1000,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    limiter: createIpRateLimiter(config.rateLimitPerMinute, 'ip', sharedLimits),
    authLimiter: createIpRateLimiter(config.authRateLimitPerMinute, 'auth', sharedLimits),
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
    revoked: (sessionId) => { userBearer.ended(sessionId); },
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
  const setup = createSetupService({ transactor, hasher, clock, random, passwordRules: { minLength: config.passwordMinLength, minScore: config.passwordMinScore }, audit });
  const throttle = createLoginThrottle({ store: throttleStore, clock, key: deps.keyring.derive('login-throttle'), threshold: config.lockoutThreshold, lockMinutes: config.lockoutMinutes });
  // Created before identity: TOTP seeds are field-encrypted (AUTH-2).
  const keys = createKeys({
    config,
    transactor,
    provider: deps.keyProvider ?? keyProviderFor(config, deps.keyring, { persist: false }),
    keyring: deps.keyring,
    clock,
    random,
    audit,
    ...(deps.shredRegister === undefined ? {} : { shredded: deps.shredRegister }),
  });
  const mfa = createMfa({
    transactor,
    clock,
    random,
    audit,
    sessions,
    hasher,
    fields: keys.fields,
    passwordThrottle: throttle,
    throttleStore,
    throttleKey: deps.keyring.derive('login-throttle'),
    lockout: { threshold: config.lockoutThreshold, lockMinutes: config.lockoutMinutes },
    issuer: `Parapet (${new URL(config.publicUrl).hostname})`,
  });
  const login = createLoginService({ transactor, hasher, sessions, clock, audit, throttle, mfa: mfa.login });
  const mail = createMailer({
    transport:
      config.smtpHost === undefined
        ? outboxTransport(outboxPath(config.dataDir))
        : smtpTransport({ host: config.smtpHost, port: config.smtpPort, tls: config.smtpTls, user: config.smtpUser, password: config.smtpPassword, caFile: config.smtpCaFile }),
    from: config.mailFrom,
    publicUrl: config.publicUrl,
    transactor,
    clock,
    random,
    logger: deps.logger,
    ...(deps.mailRetryDelaysMs === undefined ? {} : { retryDelaysMs: deps.mailRetryDelaysMs }),
  });
  const throttleKey = deps.keyring.derive('login-throttle');
  const accountThrottles = {
    login: throttle,
    mailRequests: createThrottle({ store: throttleStore, clock, key: throttleKey, threshold: config.lockoutThreshold, lockMinutes: config.lockoutMinutes, namespace: 'mail-request', refusal: 'Too many requests for this account.' }),
    links: createThrottle({ store: throttleStore, clock, key: throttleKey, threshold: config.lockoutThreshold, lockMinutes: config.lockoutMinutes, namespace: 'link', refusal: 'Too many invalid links from this address.' }),
  };
  const accounts = createAccountsService({ transactor, hasher, sessions, clock, random, audit, mailer: mail, passwordMinLength: config.passwordMinLength, throttles: accountThrottles });
  const access = createAccessControl({ transactor, clock, audit, feed, logger: deps.logger });
  const tenants = createTenantsService({
    transactor,
    clock,
    random,
    audit,
    access: { changed: (tx, tenantId) => access.changed(tx, tenantId), grantCreator: (tx, tenantId, userId, now) => grantCreator(tx, tenantId, userId, now, uuidv7(clock, random)) },
    creation: { creators: config.organizationCreators, perUser: config.organizationsPerUser },
  });
  const cookie = sessionCookieFor(config.publicUrl);
  const tokenKeys = createTokenKeys({ keyring: deps.keyring, clock, rotationDays: config.tokenKeyRotationDays });
  const endpoints = oauthEndpoints(config.publicUrl);
  // One cache of verified bearer tokens for both kinds: user access tokens and client credentials.
  const bearerTokens = createVerifiedTokenCache({ clock });
  const bearer = createBearerAuthenticator({ keys: tokenKeys, issuer: endpoints.issuer, audience: endpoints.apiAudience, clock, transactor, feed, cache: bearerTokens });
  const userBearer = createUserTokenAuthenticator({ keys: tokenKeys, issuer: endpoints.issuer, audience: endpoints.apiAudience, clock, transactor, feed, cache: bearerTokens });

  const apiKeys = createApiKeys({ transactor, clock, random, fields: keys.fields, audit, access, feed, logger: deps.logger, maxDays: config.apiKeyMaxDays });

  registerAuthentication(http, { sessions, cookie, allowedOrigins: allowedOrigins(config), authenticators: [apiKeys.authenticator, (request) => userBearer.authenticate(request), (request) => bearer.authenticate(request)] });
  registerAuthorization(http, { access, actorOf: auditActor, sourceOf: requestSource });
  registerOpsRoutes(http, {
    ready: async () => {
      await sql`select 1`.execute(deps.db.app);
    },
    metrics,
    metricsToken: config.metricsToken,
  });
  const pendingCookie = pendingLoginCookieFor(cookie);
  const issueTokens: IssueApiClientTokens = (sessionId, options) => userTokens.issueForSession(sessionId, options);
  const firstFactorUpgrade = createFirstFactorUpgrade({ transactor, sessions, registry: mfa.registry, cookie });
  registerIdentityRoutes(http, { login, sessions, setup, cookie, pendingCookie, issueTokens });
  registerStepUp(http, { clock, maxAgeMinutes: config.stepUpMinutes });
  registerMfaRoutes(http, { mfa: mfa.login, enrolment: mfa.enrolment, registry: mfa.registry, reauth: mfa.reauth, sessions, cookie, pendingCookie, upgrade: firstFactorUpgrade, issueTokens });
  registerPasswordRoutes(http, { rules: { minLength: config.passwordMinLength, minScore: config.passwordMinScore } });
  const personalData: PersonalDataContributor[] = builtInContributors({ transactor });
  const deletions = createDeletionService({
    transactor,
    clock,
    random,
    audit,
    logger: deps.logger,
    feed,
    graceDays: config.deletionGraceDays,
    batchSize: config.retentionBatchSize,
    tombstoneKey: deps.keyring.derive('account-tombstone'),
    sessions,
    access,
    keys: { destroy: (tenantId) => keys.destroy(tenantId) },
    contributors: () => personalData,
    notifier: deps.deletionNotifier ?? mailDeletionNotifier(mail),
  });
  const passkeys = createPasskeys({
    transactor,
    clock,
    random,
    audit,
    sessions,
    throttle: createLoginThrottle({ store: throttleStore, clock, key: deps.keyring.derive('login-throttle'), threshold: config.lockoutThreshold, lockMinutes: config.lockoutMinutes, namespace: 'passkey', identifiers: 'exact' }),
    relyingParty: relyingPartyFor(config.publicUrl),
  });
  registerPasskeyRoutes(http, { passkeys, sessions, cookie, upgrade: firstFactorUpgrade, issueTokens });
  mfa.registry.register(passkeySecondFactor(passkeys));
  registerUserAdminRoutes(http, { transactor, clock, audit, sessions });
  registerSecurityPolicyRoutes(http, {
    service: createSecurityPolicyService({ transactor, clock, audit, access }),
    access,
    revokeUserSessions: (userId, reason, by) =>
      transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const ended = await sessions.revokeAllForUser(tx, userId, reason);
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'session.revoked', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'user', id: userId }], metadata: { reason, count: ended.length } });
        return ended.length;
      }),
    requireRecentAuthentication,
    actorOf: auditActor,
    sourceOf: requestSource,
  });
  const riskyWrites = createRiskyWrites({ transactor, clock, random, audit, access });
  for (const operation of tenancyOperations(tenants, { scheduleOrganizationDeletion: deletions.requestOrganizationDeletionIn })) riskyWrites.register(operation);
  registerTenantsRoutes(http, tenants, riskyWrites.gate);
  apiKeys.register(http);
  const accessService = createAccessService({ transactor, clock, random, audit, access, reviewContributors: REVIEW_CONTRIBUTORS });
  registerAccessRoutes(http, { service: accessService, access, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
  const invitations = createInvitationsService({ transactor, hasher, clock, random, audit, mailer: mail, access, accessService, passwordMinLength: config.passwordMinLength, invitationDays: config.invitationDays, links: accountThrottles.links });
  registerAccountsRoutes(http, { accounts, invitations, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
  const alerts = createSecurityAlerts({ transactor, clock, random, audit, logger: deps.logger });
  const accessRequests = createAccessRequestsService({ transactor, clock, random, audit, access, accessService, alerts, logger: deps.logger, maxMinutes: config.jitMaxHours * 60 });
  registerAccessRequestRoutes(http, { service: accessRequests, alerts, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
  registerRiskyWriteRoutes(http, { riskyWrites, actorOf: auditActor, sourceOf: requestSource });
  registerJwksRoute(http, tokenKeys);
  const userTokens: UserTokens = createUserTokens({
    transactor,
    clock,
    random,
    audit,
    keys: tokenKeys,
    successorKey: deps.keyring.derive('refresh-token-successor'),
    familyLimits: (tx, user, family) => sessions.tokenFamilyLimits(tx, user, family),
    feed,
    alerts,
    endpoints: { issuer: endpoints.issuer, audience: endpoints.apiAudience },
    settings: { refreshDays: config.refreshTokenDays, graceSeconds: config.refreshReuseGraceSeconds, perMinute: config.refreshPerMinute },
    logger: deps.logger,
    revoked: (sessionId) => { userBearer.ended(sessionId); },
  });
  await registerUserTokenRoutes(http, { tokens: userTokens });
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
  const lifecycleRetention = createRetentionForConfig({ config, transactor, clock, audit, auditRetention: retention, metrics: metrics.registry });
  registerLifecycleRoutes(http, {
    retention: lifecycleRetention,
    deletions,
    exports: createExportService({ transactor, clock, audit, contributors: () => personalData }),
    access,
    transactor,
    clock,
    audit,
    cookie,
  });
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
  const secrets = createSecrets({ transactor, clock, random, keyring: deps.keyring, audit, fields: keys.fields });
  secrets.register(http);
  const apiCalls = createApiCallBuffer({ transactor, recorder: audit, logger: deps.logger, registry: metrics.registry });
  recordApiCalls(http, { buffer: apiCalls, clock, sampling: config.auditApiSampling, random });
  http.addHook('onClose', async () => {
    await mail.close();
    await apiCalls.close();
    await apiKeys.close();
    await access.close();
    bearer.close();
    userBearer.close();
    await feed.close();
    await counters?.close();
  });
  registerConsoleRoutes(http);

  http.get('/openapi.json', { config: { auth: 'public' } }, async () => http.swagger());
  http.get('/docs/api', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderApiReference(http.swagger() as unknown as Parameters<typeof renderApiReference>[0])),
  );

  await http.ready();
  return { http, services: { sessions, setup, throttle, mfa, mail, accounts, invitations, tenants, access, accessService, accessRequests, riskyWrites, alerts, feed, apiKeys, keys, passkeys, secrets: secrets.service, tokenKeys, userTokens, auditStreaming, audit: { recorder: audit, sequencer, signer, retention, apiCalls }, lifecycle: { retention: lifecycleRetention, deletions, personalData } } };
}

/**
 * AUD-1: every API call becomes an `api.request` event (method, route template, status, latency),
 * in the organization's log when the route names one and the call succeeded, else the platform's.
 */
function recordApiCalls(http: FastifyInstance, deps: { buffer: ApiCallBuffer; clock: Clock; sampling: number; random: Random }): void {
  if (deps.sampling <= 0) return;
  const sampled = apiCallSampler(deps.sampling, deps.random);
  http.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/v1/') !== true) return;
    if (!sampled()) return;
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
