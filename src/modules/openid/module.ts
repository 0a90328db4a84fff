import type Provider from 'oidc-provider';
import { defineModule } from '../contract.ts';
import { OPENID_AUDIT_ACTIONS } from './audit-actions.ts';
import { createUserLookups } from '../identity/index.ts';
import { createArtifactAdapterFactory } from './artifact-adapter.ts';
import { createAddressGuard } from '../audit-streaming/index.ts';
import { createBackchannelLogout } from './backchannel-logout.ts';
import { registerApplicationsRoutes } from './applications-routes.ts';
import { APPLICATION_LOOKUP_ROW, createApplicationsService, upgradeApplicationLookups, type ApplicationsService } from './applications-service.ts';
import { createGrantSessions, type GrantSessions } from './grant-sessions.ts';
import { createResourceServers } from './resource-servers.ts';
import { registerResourceServerRoutes } from './resource-servers-routes.ts';
import { createBranding } from './branding.ts';
import { registerBrandingRoutes } from './branding-routes.ts';
import { createSignUp } from './sign-up.ts';
import { registerSignUpRoutes } from './sign-up-routes.ts';
import { registerHostedSignUp } from './hosted-sign-up.ts';
import { OPENID_ERRORS } from './errors.ts';
import { registerHostedSignIn } from './hosted-sign-in.ts';
import { mountProvider } from './mount-provider.ts';
import { buildProvider, clientMetadata } from './openid-provider.ts';
import { organizationClaims } from './organization-claims.ts';
import { policyBoundedLifetimes } from './policy-lifetimes.ts';
import { OPENID_OPTIONS } from './options.ts';
import { createRsaSigningKeys } from './rsa-signing-keys.ts';
import { createClientJwks } from './client-jwks.ts';
import { auditProviderEvents } from './provider-audit.ts';

/** Parapet as an OpenID Provider: applications, the provider, the hosted sign-in (issue 17). */
export interface OpenIdApi {
  readonly applications: ApplicationsService;
  readonly grants: GrantSessions;
}

declare module '../contract.ts' {
  interface ModuleApis {
    openid: OpenIdApi;
  }
}

export const openidModule = defineModule({
  name: 'openid',
  summary: "OpenID Provider (oidc-provider): an environment's applications, authorization code + PKCE, ID tokens, userinfo, refresh, logout, the hosted sign-in.",
  dependsOn: ['access', 'audit', 'identity', 'tokens'],
  tables: {
    oidc_applications: { scope: 'tenant' },
    oidc_resource_servers: { scope: 'tenant' },
    oidc_branding: { scope: 'tenant' },
    oidc_sign_up_settings: { scope: 'tenant' },
    oidc_sign_ups: { scope: 'tenant' },
    oidc_artifacts: { scope: 'platform', reason: "The provider's codes, grants, tokens and interactions exist before any organization is known; rows are MAC'd and keyed by digest (docs/openid-provider.md)." },
    oidc_grant_sessions: { scope: 'platform', reason: 'Ties a grant to the platform-level Parapet session it came from.' },
    oidc_backchannel_outbox: { scope: 'platform', reason: 'Back-channel logout notices owed when a platform-level Parapet session ends (fed by oidc_grant_sessions): application id, user id and sid, no token; deleted once delivered or given up.' },
    oidc_applications_lookup_upgrade: { scope: 'platform', reason: 'The (tenant, id) of applications that predate lookup MACs (migration 0093), copied by the owner and given their MAC once at start in the jobs context.' },
    oidc_rsa_signing_keys: { scope: 'platform', reason: "The issuer's RS256 signing keys (sealed under the keyring), not any organization's data." },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: OPENID_ERRORS,
  auditActions: OPENID_AUDIT_ACTIONS,
  options: OPENID_OPTIONS,
  create: async (ctx, { access, audit, identity, tokens }) => {
    const { transactor, clock, random, config } = ctx;
    const lookup = (clientId: string) => identity.integrity.rowMac(APPLICATION_LOOKUP_ROW, [clientId.toLowerCase()]);
    await upgradeApplicationLookups(transactor, lookup);
    const applications = createApplicationsService({ transactor, clock, random, audit: audit.recorder, lookup });
    const resourceServers = createResourceServers({ transactor, clock, random, audit: audit.recorder });
    const resourceServer = async (clientId: string, identifier: string) => {
      const app = await applications.byClientId(clientId);
      return app === undefined ? undefined : resourceServers.forApplication(app, identifier);
    };
    const branding = createBranding({ transactor, clock, audit: audit.recorder });
    const environmentIn = async (tenantId: string, projectId: string, environmentId: string) => (await access.control.snapshot(tenantId))?.environmentProjects.get(environmentId) === projectId;
    const signUp = createSignUp({ transactor, environmentIn, clock, random, hasher: ctx.hasher, integrity: identity.integrity, audit: audit.recorder, mailer: ctx.mail, passwordRules: { minLength: config.passwordMinLength, minScore: config.passwordMinScore }, throttles: identity.throttles });
    const grants = createGrantSessions({ transactor, clock, sessions: identity.sessions });
    const lookups = createUserLookups(transactor);
    const outboundGuard = createAddressGuard(config.oidcBackchannelAllowedNetworks);
    const clientJwks = createClientJwks({ guard: outboundGuard, clock, logger: ctx.logger });
    const artifacts = createArtifactAdapterFactory({ transactor, clock, macKey: ctx.keyring.derive('oidc-artifact-mac') });
    // The Client model reads applications; every other model is an artifact row.
    class Adapter {
      readonly #inner: ReturnType<typeof artifacts> | undefined;
      readonly #kind: string;
      constructor(kind: string) {
        this.#kind = kind;
        this.#inner = kind === 'Client' ? undefined : artifacts(kind);
      }
      async find(id: string) {
        if (this.#inner === undefined) {
          const app = await applications.byClientId(id);
          if (app === undefined) return undefined;
          // Token lifetimes within the organization's session policy, read at every lookup.
          const policy = await access.securityPolicy.get(app.tenant_id);
          return clientMetadata(app, await clientJwks(app), policyBoundedLifetimes(app, policy), policy.mfaRequired);
        }
        return this.#inner.find(id);
      }
      async upsert(id: string, payload: never, expiresIn: number) {
        await this.#inner?.upsert(id, payload, expiresIn);
        // The code names the provider's sid for its client: kept with the grant for back-channel logout.
        const { sid, grantId } = payload as { sid?: unknown; grantId?: unknown };
        if (this.#kind === 'AuthorizationCode' && typeof sid === 'string' && typeof grantId === 'string') await grants.recordSid(grantId, sid);
      }
      findByUid(uid: string) {
        return this.#inner?.findByUid(uid) ?? Promise.resolve(undefined);
      }
      findByUserCode() {
        return Promise.resolve(undefined);
      }
      consume(id: string) {
        return this.#inner?.consume(id) ?? Promise.resolve();
      }
      destroy(id: string) {
        return this.#inner?.destroy(id) ?? Promise.resolve();
      }
      revokeByGrantId(grantId: string) {
        return this.#inner?.revokeByGrantId(grantId) ?? Promise.resolve();
      }
    }
    /** Scope `organization`: the user's standing in the organization that registered the application. */
    const organization = async (userId: string, clientId: string) => {
      const app = await applications.byClientId(clientId);
      return app === undefined ? undefined : organizationClaims(await access.control.snapshot(app.tenant_id), app, userId, clock.now());
    };
    const cookieKey = ctx.keyring.derive('oidc-cookies');
    const rsaKeys = createRsaSigningKeys({ transactor, clock, sealingKey: ctx.keyring.derive('oidc-rsa-key-sealing'), periodMs: tokens.keys.periodMs, logger: ctx.logger });
    let current: { kids: string; provider: Provider } | undefined;
    // Rebuilt when the signing period changes or the next period's RSA key joins the JWKS (the
    // artifacts are in the database: nothing is lost).
    const provider = async (): Promise<Provider> => {
      const signing = tokens.keys.signingKey();
      const rsa = await rsaKeys.forPeriod(signing.period);
      const kids = [signing.kid, rsa.current.kid, ...rsa.others.map((key) => key.kid)].join(' ');
      if (current?.kids !== kids) {
        const built = buildProvider({ issuer: tokens.endpoints.issuer, keys: tokens.keys, rsa, cookieKey, adapter: Adapter as never, application: (id) => applications.byClientId(id), grants, accounts: { email: (userId) => lookups.email(userId), organization }, resourceServer, backchannel: (grant) => backchannel.notify([grant]) });
        auditProviderEvents(built, { application: (id) => applications.byClientId(id), audit: audit.recorder, transactor, logger: ctx.logger });
        current = { kids, provider: built };
      }
      return current.provider;
    };
    const backchannel = createBackchannelLogout({
      issuer: tokens.endpoints.issuer,
      // Logout tokens are signed like the application's ID tokens, so its verifier takes both.
      signingKey: async (app) => {
        const signing = tokens.keys.signingKey();
        if (app.id_token_signed_response_alg === 'EdDSA') return { alg: 'EdDSA', kid: signing.kid, privateKey: signing.privateKey };
        const { current: rsa } = await rsaKeys.forPeriod(signing.period);
        return { alg: 'RS256', kid: rsa.kid, privateKey: rsa.privateKey };
      },
      guard: outboundGuard,
      application: (id) => applications.byClientId(id),
      transactor,
      clock,
      random,
      logger: ctx.logger,
      feed: ctx.feed,
    });
    identity.onSessionRevoked((sessionId) => {
      // Sign-out, revocation, member removal, password change: the apps that had a grant on this
      // session hear of it (OpenID Back-Channel Logout 1.0).
      grants.endSession(sessionId).then((ended) => backchannel.notify(ended)).catch((error: unknown) => {
        ctx.logger.error({ err: error }, 'ending the OpenID grants of a session failed');
      });
    });
    return {
      api: { applications, grants },
      jobs: [{ name: 'openid back-channel logout outbox', start: () => backchannel.startJob(ctx.db) }],
      routes: (http) => {
        registerApplicationsRoutes(http, applications);
        registerResourceServerRoutes(http, resourceServers);
        registerSignUpRoutes(http, signUp);
        registerBrandingRoutes(http, branding);
        registerHostedSignUp(http, { provider, application: (id) => applications.byClientId(id), branding: (tenantId) => branding.read(tenantId), signUp });
        mountProvider(http, provider);
        registerHostedSignIn(http, { provider, identity, email: (userId) => lookups.email(userId), mfaRequired: async (tenantId) => (await access.securityPolicy.get(tenantId)).mfaRequired, organization, resourceServer, branding: (tenantId) => branding.read(tenantId), signUp, application: (id) => applications.byClientId(id), grants, audit: audit.recorder, transactor, secureCookies: new URL(config.publicUrl).protocol === 'https:' });
      },
    };
  },
});
