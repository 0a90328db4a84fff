import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createHash } from 'node:crypto';
import { htmlDocument, html, SafeHtml } from '../../platform/http/html.ts';
import type { TokenKeys } from '../tokens/index.ts';
import type { ApplicationRow } from './applications-service.ts';
import type { GrantSessions } from './grant-sessions.ts';
import type { ResourceServerRow } from './resource-servers.ts';
import type { RsaKeySet } from './rsa-signing-keys.ts';
import type { EndedGrant } from './backchannel-logout.ts';
import { CLIENT_ASSERTION_ALGS, type ClientJwks } from './client-jwks.ts';
import { ORGANIZATION_SCOPE, type OrganizationClaims } from './organization-claims.ts';
import { corsAllowed } from './web-origins.ts';
import { policyBoundedLifetimes, type TokenLifetimes } from './policy-lifetimes.ts';

/** Where the provider's endpoints live under the issuer (advertised in discovery). */
export const OIDC_ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/me',
  jwks: '/oidc/jwks',
  end_session: '/oidc/session/end',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
  pushed_authorization_request: '/oidc/request',
} as const;

/** The acr values Parapet sets (`acr` in the ID token). */
export const ACR_PWD = 'urn:parapet:acr:pwd';
export const ACR_MFA = 'urn:parapet:acr:mfa';
/** Phishing-resistant MFA: the password and a passkey or security key (WebAuthn binds its answer to Parapet's origin). */
export const ACR_PHR = 'urn:parapet:acr:phr';
/** acr_values an application may ask for to demand a second factor (step-up). */
export const MFA_ACRS: readonly string[] = [ACR_MFA, 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'];
/** acr_values an application may ask for to demand a phishing-resistant second factor (a passkey). */
export const PHISHING_RESISTANT_ACRS: readonly string[] = [ACR_PHR, 'http://schemas.openid.net/pape/policies/2007/06/phishing-resistant'];
/** RFC 8176 amr values that are a second factor (TOTP, recovery code, hardware or software key). */
const SECOND_FACTOR_AMR: readonly string[] = ['otp', 'rc', 'hwk', 'swk', 'mfa'];
/** RFC 8176 amr values of a WebAuthn credential (passkey or security key): proof of possession bound to the origin. */
const PHISHING_RESISTANT_AMR: readonly string[] = ['hwk', 'swk'];

function acrValuesOf(params: Record<string, unknown>): string[] {
  const acrValues = params['acr_values'];
  return typeof acrValues === 'string' ? acrValues.split(' ') : [];
}

/** Whether the authorization request's `acr_values` asks for a phishing-resistant second factor. */
export function demandsPhishingResistant(params: Record<string, unknown>): boolean {
  return acrValuesOf(params).some((value) => PHISHING_RESISTANT_ACRS.includes(value));
}

/** Whether the authorization request's `acr_values` asks for a second factor (a phishing-resistant one counts). */
export function demandsMfa(params: Record<string, unknown>): boolean {
  return acrValuesOf(params).some((value) => MFA_ACRS.includes(value)) || demandsPhishingResistant(params);
}

/** Whether `amr` shows a second factor. */
export function hasSecondFactor(amr: readonly string[] | undefined): boolean {
  return (amr ?? []).some((method) => SECOND_FACTOR_AMR.includes(method));
}

/** Whether `amr` shows a passkey or security key. */
export function hasPhishingResistantFactor(amr: readonly string[] | undefined): boolean {
  return (amr ?? []).some((method) => PHISHING_RESISTANT_AMR.includes(method));
}

/** Whether a sign-in with `amr` meets what the request's `acr_values` demand. */
export function meetsAcrDemand(params: Record<string, unknown>, amr: readonly string[] | undefined): boolean {
  if (demandsPhishingResistant(params) && !hasPhishingResistantFactor(amr)) return false;
  return !demandsMfa(params) || hasSecondFactor(amr);
}

/**
 * The `acr` of an ID token: the strongest level the sign-in reached, named as the application
 * asked for it when it asked for one it reached (so an app asking `urn:parapet:acr:mfa` reads that
 * back even after a passkey), else Parapet's own name for the level.
 */
export function acrFor(amr: readonly string[], params: Record<string, unknown>): string {
  const asked = acrValuesOf(params);
  const levels = [
    ...(hasPhishingResistantFactor(amr) ? [PHISHING_RESISTANT_ACRS] : []),
    ...(hasSecondFactor(amr) ? [MFA_ACRS] : []),
    [ACR_PWD],
  ];
  for (const level of levels) {
    const named = asked.find((value) => level.includes(value));
    if (named !== undefined) return named;
  }
  return levels[0]?.[0] ?? ACR_PWD;
}

/** The login check that asks for the hosted sign-in when MFA is demanded and the session has none. */
export const MFA_REQUIRED_CHECK = 'parapet_mfa_required';

/** The hosted sign-in's entry point: the provider sends the browser here for every interaction. */
export const INTERACTION_PATH = '/oidc/interaction';

export interface OpenIdAccounts {
  /** The user's email, or undefined when the account is gone. */
  email(userId: string): Promise<string | undefined>;
  /** Scope `organization`: the user's membership and roles in the organization of application `clientId`, or undefined. */
  organization(userId: string, clientId: string): Promise<OrganizationClaims | undefined>;
}

export interface OpenIdProviderDeps {
  readonly issuer: string;
  readonly keys: TokenKeys;
  /** The RS256 keys of the signing period (OIDC Core §15.1), current first. */
  readonly rsa: RsaKeySet;
  readonly cookieKey: Buffer;
  readonly adapter: (kind: string) => NonNullable<Configuration['adapter']> extends new (name: string) => infer A ? A : never;
  readonly application: (clientId: string) => Promise<ApplicationRow | undefined>;
  readonly grants: GrantSessions;
  readonly accounts: OpenIdAccounts;
  /** The resource server `identifier` names for application `clientId` (its environment's, or its own API), if any. */
  readonly resourceServer: (clientId: string, identifier: string) => Promise<ResourceServerRow | undefined>;
  /** Queues an application's back-channel logout notice in the durable outbox (RP-initiated logout). */
  readonly backchannel: (grant: EndedGrant) => Promise<void>;
}

/** Client metadata: the application's organization requires a second factor (its security policy). */
const MFA_REQUIRED_METADATA = 'urn:parapet:mfa_required';

/** Client metadata carrying an application's token lifetimes (seconds) into the provider's `ttl` functions. */
const TTL_METADATA = { AccessToken: 'urn:parapet:access_token_ttl', IdToken: 'urn:parapet:id_token_ttl', RefreshToken: 'urn:parapet:refresh_token_ttl' } as const;

/** An application's lifetime for `kind`, or `fallback` when the client carries none. */
function clientTtl(client: { metadata(): Record<string, unknown> } | undefined, kind: keyof typeof TTL_METADATA, fallback: number): number {
  const value = client?.metadata()[TTL_METADATA[kind]];
  return typeof value === 'number' ? value : fallback;
}

/** The client metadata oidc-provider sees for an application. */
export function clientMetadata(app: ApplicationRow, jwks?: ClientJwks, lifetimes: TokenLifetimes = policyBoundedLifetimes(app, undefined), mfaRequired = false): Record<string, unknown> {
  const auth =
    app.token_endpoint_auth_method === 'private_key_jwt' ? { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [...(jwks?.keys ?? [])] } }
    // Only the digest is stored: compareClientSecret (below) hashes what the client presents.
    : app.secret_hash !== null ? { client_secret: Buffer.from(app.secret_hash).toString('hex'), token_endpoint_auth_method: 'client_secret_basic' }
    : { token_endpoint_auth_method: 'none' };
  return {
    client_id: app.id,
    ...auth,
    redirect_uris: app.redirect_uris,
    post_logout_redirect_uris: app.post_logout_redirect_uris,
    grant_types: app.scopes.includes('offline_access') ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
    response_types: ['code'],
    scope: app.scopes.join(' '),
    id_token_signed_response_alg: app.id_token_signed_response_alg,
    ...(app.backchannel_logout_uri === null ? {} : { backchannel_logout_uri: app.backchannel_logout_uri, backchannel_logout_session_required: true }),
    require_pushed_authorization_requests: app.require_par,
    'urn:parapet:organization_id': app.tenant_id,
    'urn:parapet:first_party': app.first_party,
    [MFA_REQUIRED_METADATA]: mfaRequired,
    [TTL_METADATA.AccessToken]: lifetimes.accessToken,
    [TTL_METADATA.IdToken]: lifetimes.idToken,
    [TTL_METADATA.RefreshToken]: lifetimes.refreshToken,
  };
}

/**
 * The provider's prompts, plus one login check: a provider session whose grant for this client
 * belongs to an ended Parapet session is no session (prompt=none then answers login_required).
 */
function loginPolicy(grants: GrantSessions) {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('parapet_session_ended', 'The Parapet session behind this sign-in has ended.', 'login_required', async (ctx) => {
      const grantId = ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      return grantId !== undefined && !(await grants.live(grantId)) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  // Step-up: acr_values asking for MFA (or a passkey), or an organization whose policy requires MFA,
  // over a session signed in without it sends the
  // browser to the hosted sign-in (prompt=none answers login_required) instead of issuing a code.
  policy.get('login')?.checks.add(
    new interactionPolicy.Check(MFA_REQUIRED_CHECK, 'The application asks for a second factor.', 'login_required', (ctx) =>
      meetsAcrDemand(ctx.oidc.params as Record<string, unknown>, ctx.oidc.session?.amr) && (ctx.oidc.client?.metadata()[MFA_REQUIRED_METADATA] !== true || hasSecondFactor(ctx.oidc.session?.amr))
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT,
    ),
  );
  return policy;
}

function errorPage(title: string, detail: string): string {
  return htmlDocument({ title, body: html`<main><h1>${title}</h1><p>${detail}</p></main>` });
}

/**
 * Builds oidc-provider for the current signing key. Keys rotate by period (tokens module), so the
 * caller rebuilds the provider when `keys.signingKey().kid` changes; the artifacts live in the
 * database, so nothing is lost.
 */
export function buildProvider(deps: OpenIdProviderDeps): Provider {
  const signing = deps.keys.signingKey();
  // The current key of each algorithm comes first: oidc-provider signs with the first key that fits.
  const jwks = [
    ...[signing, ...deps.keys.published().filter((key) => key.kid !== signing.kid)].map((key) => ({ ...(key.privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: key.kid, alg: 'EdDSA', use: 'sig' })),
    ...[deps.rsa.current, ...deps.rsa.others].map((key) => ({ ...(key.privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: key.kid, alg: 'RS256', use: 'sig' })),
  ];
  const signingKid: Record<ResourceServerRow['access_token_signing_alg'], string> = { EdDSA: signing.kid, RS256: deps.rsa.current.kid };
  const configuration: Configuration = {
    adapter: deps.adapter,
    jwks: { keys: jwks },
    cookies: { keys: [deps.cookieKey.toString('base64url')], long: { signed: true, httpOnly: true, sameSite: 'lax' }, short: { signed: true, httpOnly: true, sameSite: 'lax' } },
    routes: OIDC_ROUTES,
    acrValues: [ACR_PWD, ...MFA_ACRS, ...PHISHING_RESISTANT_ACRS],
    scopes: ['openid', 'offline_access', 'email', 'profile', ORGANIZATION_SCOPE],
    // amr (RFC 8176 values) and acr in every ID token, so an app can see whether a second factor was used.
    claims: { acr: null, sid: null, auth_time: null, iss: null, amr: null, openid: ['sub', 'amr', 'acr'], email: ['email', 'email_verified'], profile: [], [ORGANIZATION_SCOPE]: ['org_id', 'org_roles'] },
    // OIDC Core 3.1.2.1 / RFC 9700 §2.1.1: PKCE (S256, the only method oidc-provider supports) for
    // every client, public and confidential alike.
    pkce: { required: () => true },
    // Only asymmetric algorithms, and never `none` (RFC 8725 §3.1): no HMAC key exists to confuse
    // with a public key, and a token naming another algorithm than its key's is refused.
    enabledJWA: { idTokenSigningAlgValues: ['EdDSA', 'RS256'], userinfoSigningAlgValues: ['EdDSA', 'RS256'], requestObjectSigningAlgValues: ['EdDSA', 'ES256', 'RS256', 'PS256'], clientAuthSigningAlgValues: [...CLIENT_ASSERTION_ALGS] },
    clientDefaults: { id_token_signed_response_alg: 'EdDSA', grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    extraClientMetadata: { properties: ['urn:parapet:organization_id', 'urn:parapet:first_party', MFA_REQUIRED_METADATA, ...Object.values(TTL_METADATA)] },
    responseTypes: ['code'],
    // CORS for single-page apps: only the application's own web origins (web-origins.ts).
    clientBasedCORS: (ctx, origin, client) => corsAllowed(ctx.oidc.route, origin, client as unknown as { redirectUris: readonly string[]; clientAuthMethod: string }),
    // Scope claims (email) in the ID token too, as most providers do, so an app needs no userinfo call.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // No script: the site-wide CSP forbids inline script, so the confirmation is a plain form.
        logoutSource: async (ctx, form) => {
          ctx.body = htmlDocument({ title: 'Sign out', body: html`<main><h1>Sign out?</h1>${new SafeHtml(form.replace('</form>', '<input type="hidden" name="logout" value="yes"><button type="submit">Sign out</button></form>'))}</main>` });
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = errorPage('Signed out', 'You have signed out of the application.');
        },
      },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: false },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      claimsParameter: { enabled: false },
      requestObjects: { enabled: false },
      registration: { enabled: false },
      userinfo: { enabled: true },
      // RFC 8707 + RFC 9068: an access token for a registered API is a JWT (`typ: at+jwt`) signed
      // with the current key, `aud` = the API's identifier, scoped to the API's scopes the user
      // granted. Only the APIs of the application's own environment exist for it; any other
      // `resource` is invalid_target. Without `resource` the access token stays opaque (userinfo).
      resourceIndicators: {
        enabled: true,
        // No implicit audience: a JWT is issued only for a `resource` named in the token request.
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, identifier, client) => {
          const api = await deps.resourceServer(client.clientId, identifier);
          if (api === undefined) throw new errors.InvalidTarget();
          return { scope: api.scopes.join(' '), audience: api.identifier, accessTokenTTL: api.access_token_ttl_seconds, accessTokenFormat: 'jwt', jwt: { sign: { alg: api.access_token_signing_alg, kid: signingKid[api.access_token_signing_alg] } } };
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`, policy: loginPolicy(deps.grants) },
    // The application's lifetimes (within the platform's bounds, checked at registration); a JWT
    // access token lives no longer than its resource server allows either.
    ttl: {
      AccessToken: (_ctx, token, client) => Math.min(clientTtl(client, 'AccessToken', 900), token.resourceServer?.accessTokenTTL ?? Number.POSITIVE_INFINITY),
      AuthorizationCode: 60,
      IdToken: (_ctx, _token, client) => clientTtl(client, 'IdToken', 900),
      Interaction: 600,
      Grant: 14 * 86_400,
      Session: 14 * 86_400,
      RefreshToken: (_ctx, _token, client) => clientTtl(client, 'RefreshToken', 7 * 86_400),
    },
    // Refresh tokens rotate at every use; a reused one revokes its grant (oidc-provider's reuse detection).
    // A refresh naming a `resource` the refresh token does not hold, or whose resource server is
    // gone, is refused here — before the rotation consumes the token (oidc-provider checks the
    // resource only after rotating, so the client would lose its refresh token to a refused request).
    rotateRefreshToken: async (ctx) => {
      const resource: unknown = ctx.oidc.params?.['resource'];
      if (resource === undefined) return true;
      const token = ctx.oidc.entities.RefreshToken;
      const clientId = ctx.oidc.client?.clientId;
      if (typeof resource !== 'string' || token === undefined || clientId === undefined || !token.resourceIndicators.has(resource)) throw new errors.InvalidTarget();
      if ((await deps.resourceServer(clientId, resource)) === undefined) throw new errors.InvalidTarget();
      return true;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Tokens live as long as the Parapet session they came from (checked in findAccount), not the provider's cookie.
    expiresWithSession: async () => false,
    // A grant whose Parapet session ended is no grant: prompt=none then answers login_required.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      if (grantId === undefined || !(await deps.grants.live(grantId))) return undefined;
      return ctx.oidc.provider.Grant.find(grantId);
    },
    findAccount: async (ctx, sub, token) => {
      // Every use of a code, refresh token or access token re-checks the Parapet session behind its grant.
      if (token !== undefined && (typeof token.grantId !== 'string' || !(await deps.grants.live(token.grantId)))) return undefined;
      const email = await deps.accounts.email(sub);
      if (email === undefined) return undefined;
      const clientId = ctx.oidc.client?.clientId;
      return {
        accountId: sub,
        claims: async (_use, scope) => {
          // Computed at every issue from the application's own organization: a role removed since the
          // sign-in is gone from the next ID token, refresh or userinfo answer.
          const organization = clientId !== undefined && scope.split(' ').includes(ORGANIZATION_SCOPE) ? await deps.accounts.organization(sub, clientId) : undefined;
          return { sub, email, email_verified: true, ...organization };
        },
      };
    },
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in could not continue', typeof out.error === 'string' ? out.error : 'error');
    },
  };
  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = true;
  // Only the SHA-256 of a client secret is stored: compare digests (constant time in oidc-provider).
  const clientPrototype = provider.Client.prototype as unknown as { compareClientSecret: (this: unknown, actual: string) => Promise<boolean> | boolean };
  const compare = clientPrototype.compareClientSecret;
  // RP-initiated logout's back-channel notices go through Parapet's outbox (address guard, durable
  // retries) instead of oidc-provider's own one-shot sender.
  const logoutPrototype = provider.Client.prototype as unknown as { backchannelLogout: (this: { clientId: string }, sub: string, sid: string) => Promise<void> };
  logoutPrototype.backchannelLogout = function (this: { clientId: string }, sub: string, sid: string) {
    return deps.backchannel({ clientId: this.clientId, userId: sub, sid });
  };
  clientPrototype.compareClientSecret = function (this: unknown, actual: string) {
    return compare.call(this, createHashHex(actual));
  };
  return provider;
}

function createHashHex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The provider's Node handler, with a body Fastify already parsed handed over. */
export type ProviderHandler = (req: IncomingMessage, res: ServerResponse) => void;
