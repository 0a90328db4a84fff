import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { tokenTimesProblem } from './token-times.ts';

/**
 * Verifying Parapet access tokens in an integrating app (docs/sdk.md): user tokens from API clients
 * (`sid`, `amr`, optional `tid`) and service accounts' client-credentials tokens (`client_id`,
 * `tid`, `scope`). Keys come from Parapet's JWKS (`/.well-known/jwks.json`), fetched once and
 * refetched when a token names a key not yet seen; a verified token is then served from memory
 * until its `exp`, so a warm token costs one Map lookup.
 */

/** The JWS algorithm and type every Parapet access token has (RFC 8037, RFC 9068 §2.1). */
const ALGORITHM = 'EdDSA';
const TYP = 'at+jwt';

export interface TokenVerifierOptions {
  /** Parapet's public URL, exactly as its tokens' `iss` (e.g. `https://parapet.example.com`). */
  readonly issuer: string;
  /** The audience your app requires, e.g. `https://parapet.example.com/api`. */
  readonly audience: string;
  /** Where Parapet publishes its keys: `<issuer>/.well-known/jwks.json`. */
  readonly jwksUrl: string | URL;
  /** The current time (tests); defaults to the system clock. */
  readonly clock?: () => Date;
  /** Verified tokens kept in memory (oldest dropped first); default 10,000. */
  readonly maxEntries?: number;
  /** Key sets resolved another way (tests, or keys pinned in configuration) instead of fetching `jwksUrl`. */
  readonly keys?: JWTVerifyGetKey;
  /** Longest accepted lifetime (`exp` − `iat`) in seconds; default 900, what Parapet issues. */
  readonly maxLifetimeSeconds?: number;
  /** How far in the future `iat` may be, in seconds; default 60. */
  readonly clockSkewSeconds?: number;
}

/** What a verified token says. */
export interface VerifiedToken {
  /** `sub`: the user id (user tokens) or the service account id (client credentials). */
  readonly subject: string;
  /**
   * `service_account` for a client-credentials token (`client_id` and `tid`: the service account's
   * organization); `user` for every token a person signed in for, including an OpenID application's
   * JWT access token (RFC 9068), whose `client_id` names the application and which has no `tid`.
   */
  readonly kind: 'user' | 'service_account';
  /** `client_id`: the OAuth client the token was issued to (an application, or a service account's client), if any. */
  readonly clientId: string | undefined;
  /** `sid`: the Parapet session a user token is bound to. */
  readonly sessionId: string | undefined;
  /** `tid`: the organization the token is scoped to, if any. */
  readonly organizationId: string | undefined;
  /** `amr` (RFC 8176): how the user authenticated, e.g. `["pwd", "otp"]`. */
  readonly authMethods: readonly string[];
  /** `scope`, split: a service account token's permissions. */
  readonly scope: readonly string[];
  readonly expiresAt: Date;
  readonly claims: Readonly<JWTPayload>;
}

/** A token that is missing, malformed, expired, not signed by Parapet, or not meant for this app. */
export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  readonly code = 'invalid_token';
}

export interface TokenVerifier {
  /** Verifies a token (or serves it from memory until `exp`); throws `TokenVerificationError`. */
  verify(token: string): Promise<VerifiedToken>;
  /** Verifies the token of an `Authorization: Bearer …` header value. */
  verifyAuthorization(header: string | undefined): Promise<VerifiedToken>;
  /** A token already verified and not yet expired, without any await: the warm path. */
  warm(token: string): VerifiedToken | undefined;
  /** Forgets every verified token. */
  clear(): void;
}

const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;

function toVerified(payload: JWTPayload): VerifiedToken {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const amr = Array.isArray(payload['amr']) ? payload['amr'].filter((m): m is string => typeof m === 'string') : [];
  const scope = text(payload['scope'])?.split(' ').filter((s) => s !== '') ?? [];
  return Object.freeze({
    subject: payload.sub ?? '',
    // A `client_id` alone does not make a service account: RFC 9068 §2.2 puts it in every JWT access
    // token, a user's too. Parapet's client-credentials tokens also carry the organization (`tid`).
    kind: text(payload['client_id']) !== undefined && text(payload['tid']) !== undefined && payload['sid'] === undefined ? 'service_account' : 'user',
    clientId: text(payload['client_id']),
    sessionId: text(payload['sid']),
    organizationId: text(payload['tid']),
    authMethods: Object.freeze(amr),
    scope: Object.freeze(scope),
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    claims: Object.freeze({ ...payload }),
  });
}

/** Creates a verifier for Parapet access tokens; see `TokenVerifierOptions`. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const clock = options.clock ?? (() => new Date());
  const maxEntries = options.maxEntries ?? 10_000;
  // jose refetches the set when a token names an unknown kid (at most every 30 s), and at least every 10 minutes.
  const keys = options.keys ?? createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 600_000, cooldownDuration: 30_000 });
  // Keyed by the signature segment (cheaper to hash per request than the whole token); each entry
  // holds the whole token, compared before use.
  const cache = new Map<string, { readonly token: string; readonly verified: VerifiedToken }>();
  const keyOf = (token: string) => token.slice(token.lastIndexOf('.') + 1);

  function warm(token: string): VerifiedToken | undefined {
    const key = keyOf(token);
    const hit = cache.get(key);
    if (hit?.token !== token) return undefined;
    // RFC 7519 §4.1.4: "MUST NOT be accepted for processing" on or after exp, even from the cache.
    if (clock().getTime() < hit.verified.expiresAt.getTime()) return hit.verified;
    cache.delete(key);
    return undefined;
  }

  async function verify(token: string): Promise<VerifiedToken> {
    const hit = warm(token);
    if (hit !== undefined) return hit;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        // Only EdDSA: `alg: none`, HMAC with the public key as secret and other confusions fail here.
        algorithms: [ALGORITHM],
        typ: TYP,
        issuer: options.issuer,
        // RFC 9068 §4: the resource server MUST validate that aud identifies it.
        audience: options.audience,
        currentDate: clock(),
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (error) {
      throw new TokenVerificationError('The access token is not valid.', { cause: error });
    }
    // Dated ahead or living too long: not a token Parapet issues, whoever signed it.
    const problem = tokenTimesProblem(payload, { now: clock(), ...(options.maxLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds: options.maxLifetimeSeconds }), ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }) });
    if (problem !== undefined) throw new TokenVerificationError('The access token is not valid.', { cause: new Error(problem) });
    const verified = toVerified(payload);
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(keyOf(token), { token, verified });
    return verified;
  }

  return {
    verify,
    verifyAuthorization: async (header) => {
      // The common case first: the exact value of a token verified before, no regex.
      const hit = header?.startsWith('Bearer ') === true ? warm(header.slice(7)) : undefined;
      if (hit !== undefined) return hit;
      const match = header === undefined ? null : BEARER.exec(header);
      if (match?.[1] === undefined) throw new TokenVerificationError('No bearer access token.');
      return verify(match[1]);
    },
    warm,
    clear: () => {
      cache.clear();
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified Parapet access token of the request (`parapetAuth`), or null when none was sent and none is required. */
    user: VerifiedToken | null;
  }
}

export type ParapetAuthOptions = ({ readonly verifier: TokenVerifier } | TokenVerifierOptions) & {
  /** Refuse requests without a token (default true). An invalid token is refused either way. */
  readonly required?: boolean;
};

async function refuse(reply: FastifyReply, request: FastifyRequest, detail: string): Promise<void> {
  // RFC 6750 §3: a 401 names the scheme and, for a bad token, error="invalid_token".
  await reply
    .status(401)
    .header('www-authenticate', 'Bearer error="invalid_token"')
    .type('application/problem+json')
    .send({ type: 'about:blank', title: 'Authentication is required', status: 401, code: 'unauthenticated', detail, instance: request.url });
}

async function parapetAuthPlugin(app: FastifyInstance, options: ParapetAuthOptions): Promise<void> {
  const verifier = 'verifier' in options ? options.verifier : createTokenVerifier(options);
  const required = options.required ?? true;
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header === undefined && !required) return;
    try {
      request.user = await verifier.verifyAuthorization(header);
    } catch (error) {
      if (!(error instanceof TokenVerificationError)) throw error;
      await refuse(reply, request, header === undefined ? 'Send Authorization: Bearer <access token>.' : 'The access token is not valid.');
      return reply;
    }
    return undefined;
  });
}

/**
 * Fastify plugin: verifies `Authorization: Bearer <Parapet access token>` on every request of the
 * instance it is registered on (and its children), sets `request.user`, and answers 401
 * problem+json otherwise. Registered without encapsulation, like fastify-plugin does.
 */
export const parapetAuth = Object.assign(parapetAuthPlugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'parapet-auth' });
