import { ParapetError } from '../../platform/errors.ts';
import { jwtVerify, type JWTPayload } from 'jose';
import { tokenTimesProblem } from '../../sdk/token-times.ts';
import { ACCESS_TOKEN_ALG, type TokenKeys } from './token-keys.ts';
import { ACCESS_TOKEN_TYP } from './sign-access-token.ts';

/** Why an access token was refused (never shown to the caller, who only sees `unauthenticated`). */
export class AccessTokenError extends ParapetError {
  readonly code = 'invalid_access_token';
  override readonly name = 'AccessTokenError';
}

/** A verified access token's payload, with the claims every Parapet access token has. */
export type VerifiedAccessToken = JWTPayload & { readonly sub: string; readonly exp: number; readonly iat: number; readonly jti: string };

/**
 * Verifies a Parapet access token: signature by the current or previous period's key (EdDSA only,
 * so `alg: none`, HMAC and key-confusion tricks fail before any key is used), `typ: at+jwt`,
 * the issuer, the audience, `exp`/`nbf` against the injected clock with no leeway, `iat` no more
 * than a minute ahead and a lifetime (`exp` − `iat`) of at most 15 minutes.
 */
export async function verifyAccessToken(keys: TokenKeys, token: string, expected: { issuer: string; audience: string; now: Date }): Promise<VerifiedAccessToken> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        // Only our own algorithm, and only a key the rotation schedule accepts now.
        if (header.alg !== ACCESS_TOKEN_ALG || typeof header.kid !== 'string') throw new AccessTokenError('unexpected algorithm or no key id');
        const key = keys.verificationKey(header.kid);
        if (key === undefined) throw new AccessTokenError('unknown or retired signing key');
        return key.publicKey;
      },
      {
        algorithms: [ACCESS_TOKEN_ALG],
        typ: ACCESS_TOKEN_TYP,
        issuer: expected.issuer,
        // RFC 9068 §4: the resource server MUST validate that aud identifies it.
        audience: expected.audience,
        currentDate: expected.now,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      },
    );
    // Defence in depth if a signing key leaks: no token dated ahead, none living longer than issued.
    const problem = tokenTimesProblem(payload, { now: expected.now });
    if (problem !== undefined) throw new AccessTokenError(`access token ${problem}`);
    return payload as VerifiedAccessToken;
  } catch (error) {
    if (error instanceof AccessTokenError) throw error;
    throw new AccessTokenError('access token is not valid', { cause: error });
  }
}
