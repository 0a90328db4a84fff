import { SignJWT } from 'jose';
import { ACCESS_TOKEN_ALG, type TokenKeys } from './token-keys.ts';

/** The JOSE `typ` of Parapet access tokens (RFC 9068 §2.1), so no other JWT can pass for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** Claims every access token carries besides the ones the signer sets (iss, iat, nbf, exp, jti). */
export interface AccessTokenClaims {
  readonly sub: string;
  readonly aud: string;
  /** Further claims of the token's kind (`client_id`, `tid`, `scope`, `sid`, …). */
  readonly extra: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

/**
 * Signs an access token (RFC 9068 JWT profile) with the current period's key: EdDSA, `typ: at+jwt`,
 * `kid` naming the period, `iat` = `nbf` = `now`, `exp` = `now + ttlSeconds`.
 */
export async function signAccessToken(keys: TokenKeys, input: { issuer: string; jti: string; now: Date; ttlSeconds: number } & AccessTokenClaims): Promise<{ token: string; expiresAt: Date }> {
  const key = keys.signingKey();
  const iat = Math.floor(input.now.getTime() / 1000);
  const exp = iat + input.ttlSeconds;
  const token = await new SignJWT({ ...input.extra })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid: key.kid })
    .setIssuer(input.issuer)
    .setSubject(input.sub)
    .setAudience(input.aud)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(input.jti)
    .sign(key.privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
}
