import { ParapetError } from '../../platform/errors.ts';
import * as client from 'openid-client';

/** What the RP needs of an OIDC connection. */
export interface OidcConnection {
  readonly id: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly scopes: string;
}

/** What the callback proved: the IdP's subject, email, and how the user authenticated. */
export interface OidcIdentity {
  readonly subject: string;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  readonly amr: readonly string[];
  readonly acr: string | undefined;
  /** The `groups` claim (ID token or UserInfo), as the IdP sent it (Okta, Entra ID, Keycloak name it so). */
  readonly groups: readonly unknown[];
}

export class OidcRefused extends ParapetError {
  readonly code = 'oidc_refused';
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`OIDC response refused: ${reason}`, options);
    this.name = 'OidcRefused';
    this.reason = reason;
  }
}

const DISCOVERY_TTL_MS = 300_000;

/**
 * The relying party: discovery (cached per connection, a few minutes), the authorization request
 * with PKCE (S256), state and nonce, and the code exchange with openid-client's checks of the ID
 * token (signature from the IdP's JWKS, `iss`, `aud`, `exp`, `nonce`; RFC 9700 §2.1.1).
 * `allowHttp` admits an http:// issuer (a loopback IdP in development and tests only).
 */
export function createOidcRelyingParty(options: { allowHttp: boolean; now: () => number }) {
  const cache = new Map<string, { config: client.Configuration; until: number; key: string }>();

  async function configFor(connection: OidcConnection): Promise<client.Configuration> {
    // The cache key includes what the connection says, so an edited connection is rediscovered.
    const key = `${connection.issuer}\n${connection.clientId}\n${connection.clientSecret ?? ''}`;
    const cached = cache.get(connection.id);
    if (cached !== undefined && cached.key === key && cached.until > options.now()) return cached.config;
    const auth = connection.clientSecret === undefined ? client.None() : client.ClientSecretBasic(connection.clientSecret);
    let config: client.Configuration;
    try {
      // allowInsecureRequests is reached only for a loopback http:// issuer while Parapet itself runs on http loopback (module.ts).
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      config = await client.discovery(new URL(connection.issuer), connection.clientId, undefined, auth, options.allowHttp ? { execute: [client.allowInsecureRequests] } : {});
    } catch (error) {
      throw new OidcRefused('discovery_failed', { cause: error });
    }
    cache.set(connection.id, { config, until: options.now() + DISCOVERY_TTL_MS, key });
    return config;
  }

  return {
    /** The authorization URL and the secrets the callback must check (stored server-side, never in the URL but `state`). */
    start: async (connection: OidcConnection, redirectUri: string): Promise<{ url: string; state: string; nonce: string; codeVerifier: string }> => {
      const config = await configFor(connection);
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: connection.scopes,
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, state, nonce, codeVerifier };
    },
    /** Exchanges the code; every check failure is an `OidcRefused` naming the reason. */
    finish: async (connection: OidcConnection, callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<OidcIdentity> => {
      const config = await configFor(connection);
      let claims: client.IDToken | undefined;
      let profile: Record<string, unknown> = {};
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: expected.codeVerifier, expectedState: expected.state, expectedNonce: expected.nonce, idTokenExpected: true });
        claims = tokens.claims();
        profile = { ...claims };
        // OIDC Core §5.4: with an access token, requested claims may be served by the UserInfo
        // endpoint only; its `sub` MUST match the ID token's (§5.3.2), which openid-client checks.
        if (claims !== undefined && typeof claims['email'] !== 'string') profile = { ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)), ...claims };
      } catch (error) {
        throw new OidcRefused(refusalReason(error), { cause: error });
      }
      if (claims === undefined) throw new OidcRefused('no_id_token');
      const email = typeof profile['email'] === 'string' ? profile['email'] : undefined;
      return {
        subject: claims.sub,
        email,
        emailVerified: profile['email_verified'] === true,
        amr: Array.isArray(claims['amr']) ? claims['amr'].filter((v): v is string => typeof v === 'string') : [],
        acr: typeof claims['acr'] === 'string' ? claims['acr'] : undefined,
        groups: Array.isArray(profile['groups']) ? (profile['groups'] as unknown[]) : typeof profile['groups'] === 'string' ? [profile['groups']] : [],
      };
    },
    forget: (connectionId: string) => {
      cache.delete(connectionId);
    },
  };
}

/** A short reason for the audit log: which check of the ID token or the callback failed. */
function refusalReason(error: unknown): string {
  // openid-client wraps oauth4webapi's error, whose `cause` names the claim that failed.
  let claim: string | undefined;
  for (let current: unknown = error, depth = 0; claim === undefined && typeof current === 'object' && current !== null && depth < 4; depth++) {
    const value = (current as Record<string, unknown>)['claim'];
    if (typeof value === 'string') claim = value;
    current = (current as { cause?: unknown }).cause;
  }
  if (claim === 'nonce') return 'nonce_mismatch';
  if (claim !== undefined) return `id_token_${claim.slice(0, 20)}_invalid`;
  if (error instanceof Error && /state/i.test(error.message)) return 'state_mismatch';
  return 'token_exchange_failed';
}

export type OidcRelyingParty = ReturnType<typeof createOidcRelyingParty>;
