import type { FastifyRequest } from 'fastify';
import { decodeJwt, type JWTPayload } from 'jose';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Principal } from '../access/index.ts';
import type { TokenKeys } from './token-keys.ts';
import { assertInScope, singleFlight, type VerifiedToken, type VerifiedTokenCache } from './verified-token-cache.ts';
import { AccessTokenError, verifyAccessToken, type VerifiedAccessToken } from './verify-access-token.ts';

// A JWT's three segments; an empty signature still matches, so an unsigned token is refused, not ignored.
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;

/**
 * One kind of Parapet access token: user tokens (tokens module), service accounts'
 * client-credentials tokens (oauth module). The authenticator verifies the signature, issuer,
 * audience and times; the kind checks what the token names (its session, its client) and says how
 * long the result may be kept.
 */
export interface BearerKind<P extends Principal = Principal> {
  /** Whether a token with these (not yet verified) claims is of this kind. At most one kind may claim a token. */
  claims(claims: JWTPayload): boolean;
  /**
   * Checks the verified token's subject and returns the entry to serve it from, already stored in
   * the shared cache (or not, when a revocation raced the check); throws `unauthenticated`.
   */
  resolve(token: string, payload: VerifiedAccessToken): Promise<VerifiedToken<P>>;
}

export interface BearerAuthenticator {
  /** An `Authenticator` for registerAuthentication: every kind of Parapet access token. */
  authenticate(request: FastifyRequest): Promise<Principal | undefined>;
  /** Adds a kind of token (each module adds its own when it is created). */
  accept<P extends Principal>(kind: BearerKind<P>): void;
  /** The principal of a token already verified and still valid, or undefined: no await, no I/O. */
  warm(token: string): Principal | undefined;
}

/**
 * `Authorization: Bearer <JWT>`: the one bearer-token authenticator (AUTH-5, AUTH-7). The exact
 * header value of a token verified before is answered from the shared cache with no regex, no
 * signature check and no query. Otherwise the token is parsed, routed by its unverified claims to
 * the one kind that claims it (a JWT no kind claims is refused, not passed on), verified once
 * (EdDSA with our current or previous key, `typ: at+jwt`, issuer, the API audience, `exp`/`nbf` on
 * the injected clock; concurrent first uses share one verification) and handed to the kind, which
 * checks its subject in the database. API keys (`prk_…`) and other schemes are left to the other
 * authenticators. A token confined to one organization (`tid`) is refused on a route naming another.
 */
export function createBearerAuthenticator(deps: { keys: TokenKeys; issuer: string; audience: string; clock: Clock; cache: VerifiedTokenCache }): BearerAuthenticator {
  const { cache } = deps;
  const kinds: BearerKind[] = [];
  const verifying = singleFlight<VerifiedToken>();

  async function verify(token: string, kind: BearerKind): Promise<VerifiedToken> {
    let payload: VerifiedAccessToken;
    try {
      payload = await verifyAccessToken(deps.keys, token, { issuer: deps.issuer, audience: deps.audience, now: deps.clock.now() });
    } catch (error) {
      throw new AppError('unauthenticated', { cause: error instanceof AccessTokenError ? error : undefined });
    }
    return kind.resolve(token, payload);
  }

  function admit(request: FastifyRequest, entry: VerifiedToken): Principal {
    assertInScope(request, entry);
    return entry.principal;
  }

  return {
    authenticate: async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      // The common case first: the exact value of a token verified before.
      const hit = cache.fromHeader(header);
      if (hit !== undefined) return admit(request, hit);
      if (/^Bearer +prk_/i.test(header)) return undefined;
      const match = BEARER.exec(header);
      if (match === null) return undefined;
      const token = match[1] ?? '';
      const entry = cache.get(token);
      if (entry !== undefined) return admit(request, entry);
      let claims: JWTPayload;
      try {
        claims = decodeJwt(token);
      } catch {
        throw new AppError('unauthenticated');
      }
      const kind = kinds.find((candidate) => candidate.claims(claims));
      if (kind === undefined) throw new AppError('unauthenticated');
      return admit(request, await verifying(token, () => verify(token, kind)));
    },
    accept: (kind) => {
      kinds.push(kind);
    },
    warm: (token) => cache.get(token)?.principal,
  };
}
