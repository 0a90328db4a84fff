import type { Redis } from 'ioredis';
import { mfaPersonalData } from './mfa/mfa-personal-data.ts';
import { isLoopback, type Config } from '../../config/options.ts';
import type { AuditActor, AuditSource } from '../../platform/http/request-context.ts';
import type { UserRow } from './identity-store.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { defineModule } from '../contract.ts';
import { IDENTITY_AUDIT_ACTIONS } from './audit-actions.ts';
import { IDENTITY_ERRORS } from './errors.ts';
import { registerAuthentication, sessionCookieFor, type Authenticator, type SessionCookie } from './authenticate.ts';
import { registerIdentityRoutes } from './identity-routes.ts';
import { createLoginService, type LoginService } from './login-service.ts';
import { createLoginThrottle, createThrottle, type LoginThrottle } from './login-throttle.ts';
import { createFirstFactorUpgrade, createMfa, pendingLoginCookieFor, registerMfaRoutes, type FirstFactorUpgrade, type Mfa } from './mfa/index.ts';
import { registerPasswordRoutes } from './password-routes.ts';
import { createFallbackThrottleStore } from './fallback-throttle-store.ts';
import { createRedisThrottleStore } from './redis-throttle-store.ts';
import { createSessionService, type SessionService } from './session-service.ts';
import { createSetupService, type SetupService } from './setup-service.ts';
import type { IssueApiClientTokens } from './sign-in-answer.ts';
import { registerStepUp } from './step-up.ts';
import { createPostgresThrottleStore } from './throttle-store.ts';
import { registerUserAdminRoutes } from './user-admin-routes.ts';
import { registerPlatformUsersRoutes } from './platform-users-routes.ts';
import { upgradeExistingOperators } from './identity-store.ts';
import { upgradeFactorMacs } from './mfa/mfa-store.ts';
import { keyExistingDigests, macExistingEmails, sealExistingPasswordHashes } from './secrets-upgrade.ts';
import { createRowIntegrity, type RowIntegrity } from './row-integrity.ts';
import { openUntimedConnection } from '../../platform/redis/connect-redis.ts';
import { IDENTITY_RETENTION } from './retention.ts';
import { IDENTITY_OPTIONS } from './options.ts';

/** Accounts, sign-in, sessions, second factors and the authentication of every request (AUTH-1, AUTH-2, AUTH-5, AUTH-6). */
export interface IdentityApi {
  readonly sessions: SessionService;
  /** MACs over the rows trusted for authentication (issue 13): sessions and the operator flag. */
  readonly integrity: RowIntegrity;
  readonly setup: SetupService;
  readonly login: LoginService;
  /** The password throttle (AUTH-6). */
  readonly throttle: LoginThrottle;
  /** Throttles of account mails and links, sharing the sign-in counters' store. */
  readonly throttles: { readonly login: LoginThrottle; readonly mailRequests: LoginThrottle; readonly links: LoginThrottle };
  readonly mfa: Mfa;
  readonly cookie: SessionCookie;
  readonly pendingCookie: SessionCookie;
  readonly firstFactorUpgrade: FirstFactorUpgrade;
  /** Answers an API client's sign-in with tokens, through whichever module `answerApiClientsWith` named. */
  readonly issueApiClientTokens: IssueApiClientTokens;
  /** A throttle over the sign-in counters for another kind of subject (passkeys count credential ids exactly). */
  newThrottle(options: { namespace: string; identifiers?: 'email' | 'exact' }): LoginThrottle;
  /** Adds a way to authenticate requests (API keys, bearer tokens); tried in the order added, before the cookie. */
  addAuthenticator(authenticator: Authenticator): void;
  /** Runs `listener` whenever a session ends on this node (caches keyed by session drop it). */
  onSessionRevoked(listener: (sessionId: string) => void): void;
  /** Sets how sign-in routes answer API clients with tokens (the tokens module supplies it). */
  answerApiClientsWith(issue: IssueApiClientTokens): void;
  /**
   * Adds a check every local (password or passkey) first-factor sign-in passes after its
   * credential verified and before any session opens; it throws to refuse (the sso module: enforced
   * SSO). Checks run in the order added.
   */
  addLocalSignInGuard(guard: LocalSignInGuard): void;
  /** Runs the local sign-in guards for `user` (the passkeys module calls it). */
  checkLocalSignIn: LocalSignInGuard;
  /** Ends every session of a user and records it in the platform log; returns how many ended. */
  endUserSessions(userId: string, reason: string, by: { readonly actor: AuditActor; readonly source: AuditSource }): Promise<number>;
}

/** A check of a local sign-in: the account whose credential verified, the method, where from. Throws to refuse. */
export type LocalSignInGuard = (user: UserRow, method: 'pwd' | 'passkey', source: AuditSource) => Promise<void>;

declare module '../contract.ts' {
  interface ModuleApis {
    identity: IdentityApi;
  }
}

/** Origins whose browsers may send unsafe requests: the public URL, plus its localhost twin in development. */
export function allowedOrigins(config: Pick<Config, 'publicUrl'>): string[] {
  const origins = [config.publicUrl];
  const url = new URL(config.publicUrl);
  if (url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''))) {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) origins.push(`http://${host}${url.port === '' ? '' : `:${url.port}`}`);
  }
  return [...new Set(origins)];
}

const PENDING_PURGE_MS = 3_600_000;
/** How long a sign-in counter command may take before it is late (fallback-throttle-store.ts). */
const COUNTERS_DEADLINE_MS = 500;
const openCountersConnection = (client: Redis) => openUntimedConnection(client, 'parapet-sign-in-counters');

export const identityModule = defineModule({
  name: 'identity',
  summary: 'Users, password sign-in with lockout, sessions, setup link, step-up, TOTP and recovery codes, request authentication.',
  dependsOn: ['audit', 'keys'],
  tables: {
    users: { scope: 'platform', reason: 'Accounts are platform-level: one person may belong to several organizations.' },
    sessions: { scope: 'platform', reason: 'Sessions belong to users, not organizations.' },
    setup_tokens: { scope: 'platform', reason: 'The one-time link that creates the first platform administrator.' },
    login_throttle: { scope: 'platform', reason: 'Failed sign-in counters keyed by an HMAC of the email: no tenant data (AUTH-6).' },
    totp_factors: { scope: 'platform', reason: "A user's second factors (TOTP seeds, encrypted) belong to the platform-level account (AUTH-2)." },
    mfa_recovery_codes: { scope: 'platform', reason: 'Recovery-code digests of a platform-level account (AUTH-2).' },
    mfa_pending_logins: { scope: 'platform', reason: 'Sign-ins waiting for their second factor, for five minutes (AUTH-2).' },
    identity_operator_upgrade: { scope: 'platform', reason: 'Operators that predate row MACs (migration 0030), MAC\'d once at start.' },
    totp_factors_mac_upgrade: { scope: 'platform', reason: 'TOTP factors that predate row MACs (migration 0082), copied by the owner and MAC\'d once at start in the jobs context.' },
    mfa_recovery_codes_mac_upgrade: { scope: 'platform', reason: 'Unused recovery codes that predate row MACs (migration 0082), copied by the owner and MAC\'d once at start in the jobs context.' },
    users_password_upgrade: { scope: 'platform', reason: 'Password hashes that predate sealing (migration 0094), copied by the owner and sealed once at start in the jobs context.' },
    users_email_upgrade: { scope: 'platform', reason: "Users' addresses that predate their MAC (migration 0122), copied by the owner and MAC'd once at start in the jobs context." },
  },
  migrations: new URL('./migrations/', import.meta.url),
  retention: IDENTITY_RETENTION,
  errors: IDENTITY_ERRORS,
  auditActions: IDENTITY_AUDIT_ACTIONS,
  personalData: (ctx) => [mfaPersonalData(ctx)],
  options: IDENTITY_OPTIONS,
  create: async (ctx, { audit, keys }) => {
    const { config, transactor, clock, random, hasher } = ctx;
    const integrity = createRowIntegrity(ctx.keyring.derive('row-integrity'), ctx.logger);
    await transactor.withPlatform((tx) => upgradeExistingOperators(tx, integrity));
    await upgradeFactorMacs(transactor, integrity);
    // Issue 13, property 2: password hashes sealed, token digests keyed (migrations 0094, 0095).
    await sealExistingPasswordHashes(transactor, integrity);
    await keyExistingDigests(transactor, integrity, clock.now());
    // Issue 13, property 1: addresses under the user row's MAC (migration 0122).
    await macExistingEmails(transactor, integrity);
    const recorder = audit.recorder;
    const throttleKey = ctx.keyring.derive('login-throttle');
    // AUTH-6: with Redis, sign-in counters are shared by every node; during a Redis outage they
    // fall back to the PostgreSQL store, which every Redis check also merges in (issue 15).
    // The counters get a connection of their own without ioredis's command timeout: their deadline
    // is `answeredWithin`'s, which never mistakes a reply delayed by a busy event loop for a lost
    // one (a late answer is refused, not moved to PostgreSQL: fallback-throttle-store.ts).
    const counters = ctx.redis === undefined ? undefined : await openCountersConnection(ctx.redis.client);
    const store =
      ctx.redis === undefined || counters === undefined
        ? createPostgresThrottleStore(transactor)
        : createFallbackThrottleStore({
            redis: createRedisThrottleStore({ client: counters, keyPrefix: `${ctx.redis.prefix}throttle:`, deadlineMs: COUNTERS_DEADLINE_MS }),
            postgres: createPostgresThrottleStore(transactor),
            health: ctx.redis.health,
          });
    const lockout = { threshold: config.lockoutThreshold, lockMinutes: config.lockoutMinutes };
    const revokedListeners: ((sessionId: string) => void)[] = [];
    const sessions = createSessionService({
      feed: ctx.feed,
      revoked: (sessionId) => {
        for (const listener of revokedListeners) listener(sessionId);
      },
      transactor,
      clock,
      random,
      audit: recorder,
      integrity,
      timeouts: {
        memberIdleMinutes: config.sessionIdleMinutes,
        memberAbsoluteHours: config.sessionAbsoluteHours,
        operatorIdleMinutes: config.operatorSessionIdleMinutes,
        operatorAbsoluteHours: config.operatorSessionAbsoluteHours,
      },
    });
    const passwordRules = { minLength: config.passwordMinLength, minScore: config.passwordMinScore };
    const setup = createSetupService({ transactor, hasher, clock, random, passwordRules, audit: recorder, integrity });
    const throttle = createLoginThrottle({ store, clock, key: throttleKey, ...lockout });
    const mfa = createMfa({
      transactor,
      clock,
      random,
      audit: recorder,
      sessions,
      hasher,
      // AUTH-2: TOTP seeds are field-encrypted.
      fields: keys.fields,
      passwordThrottle: throttle,
      throttleStore: store,
      throttleKey,
      lockout,
      issuer: `Parapet (${new URL(config.publicUrl).hostname})`,
      integrity,
    });
    const localSignInGuards: LocalSignInGuard[] = [];
    const checkLocalSignIn: LocalSignInGuard = async (user, method, source) => {
      for (const guard of localSignInGuards) await guard(user, method, source);
    };
    const login = createLoginService({ transactor, hasher, integrity, sessions, clock, audit: recorder, throttle, mfa: mfa.login, lockoutThreshold: config.lockoutThreshold, localSignIn: checkLocalSignIn });
    const throttles = {
      login: throttle,
      mailRequests: createThrottle({ store, clock, key: throttleKey, ...lockout, namespace: 'mail-request', refusal: 'Too many requests for this account.' }),
      links: createThrottle({ store, clock, key: throttleKey, ...lockout, namespace: 'link', refusal: 'Too many invalid links from this address.' }),
    };
    const cookie = sessionCookieFor(config.publicUrl);
    const pendingCookie = pendingLoginCookieFor(cookie);
    const firstFactorUpgrade = createFirstFactorUpgrade({ transactor, sessions, registry: mfa.registry, cookie });
    const authenticators: Authenticator[] = [];
    let issueTokens: IssueApiClientTokens | undefined;
    const answerWithTokens: IssueApiClientTokens = (sessionId, options) => {
      if (issueTokens === undefined) throw new Error('no module answers API clients with tokens');
      return issueTokens(sessionId, options);
    };
    const api: IdentityApi = {
      sessions,
      integrity,
      setup,
      login,
      throttle,
      throttles,
      mfa,
      cookie,
      pendingCookie,
      firstFactorUpgrade,
      issueApiClientTokens: answerWithTokens,
      newThrottle: (options) => createLoginThrottle({ store, clock, key: throttleKey, ...lockout, ...options }),
      addAuthenticator: (authenticator) => {
        authenticators.push(authenticator);
      },
      addLocalSignInGuard: (guard) => {
        localSignInGuards.push(guard);
      },
      checkLocalSignIn,
      onSessionRevoked: (listener) => {
        revokedListeners.push(listener);
      },
      answerApiClientsWith: (issue) => {
        issueTokens = issue;
      },
      endUserSessions: (userId, reason, by) =>
        transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
          const ended = await sessions.revokeAllForUser(tx, userId, reason);
          await recorder.record(tx, PLATFORM_TENANT_ID, { action: 'session.revoked', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'user', id: userId }], metadata: { reason, count: ended.length } });
          return ended.length;
        }),
    };
    return {
      api,
      hooks: (root) => {
        registerAuthentication(root, { sessions, cookie, allowedOrigins: allowedOrigins(config), authenticators });
        registerStepUp(root, { clock, maxAgeMinutes: config.stepUpMinutes });
      },
      routes: (http) => {
        registerIdentityRoutes(http, { login, sessions, setup, cookie, pendingCookie, issueTokens: answerWithTokens });
        registerMfaRoutes(http, { mfa: mfa.login, enrolment: mfa.enrolment, registry: mfa.registry, reauth: mfa.reauth, sessions, cookie, pendingCookie, upgrade: firstFactorUpgrade, issueTokens: answerWithTokens });
        registerPasswordRoutes(http, { rules: passwordRules });
        registerUserAdminRoutes(http, { transactor, clock, audit: recorder, sessions });
        registerPlatformUsersRoutes(http, { transactor, integrity });
      },
      jobs: [
        {
          // Pending second-factor sign-ins past their 5 minutes are dropped hourly.
          name: 'pending MFA sign-in purge',
          start: () => {
            const timer = setInterval(() => {
              mfa.purgeExpired().catch((error: unknown) => {
                ctx.logger.error({ err: error }, 'pending MFA sign-in purge failed');
              });
            }, PENDING_PURGE_MS);
            timer.unref();
            return async () => {
              clearInterval(timer);
            };
          },
        },
      ],
      close: async () => {
        await counters?.quit().catch(() => {
          counters.disconnect();
        });
      },
    };
  },
});
