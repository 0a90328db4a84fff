import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { digestsEqual, digestToken } from '../../platform/crypto/random.ts';
import { ASSERTION_ALGORITHMS } from './client-jwks.ts';
import { OAuthError } from './oauth-error.ts';
import type { TokenEndpointAuthMethod } from './oauth-tables.ts';

/** RFC 7523 §2.2: the only client assertion type. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The longest a client assertion may live: its `exp` at most this far ahead of now. */
export const ASSERTION_MAX_LIFETIME_S = 300;
/** Clock skew tolerated on an assertion's `exp`/`nbf`/`iat`. */
export const ASSERTION_CLOCK_TOLERANCE_S = 30;

/** The credential a token request presents, before it is checked. */
export type PresentedCredential =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly assertion: string };

const BASIC = /^Basic ([A-Za-z0-9+/]+={0,2})$/i;

/** The invalid_client answer: the same whatever was wrong (RFC 6749 §5.2), with the Basic challenge when Basic was used. */
export function invalidClient(method: TokenEndpointAuthMethod | undefined, cause?: unknown): OAuthError {
  return new OAuthError('invalid_client', 'Client authentication failed.', {
    ...(method === 'client_secret_basic' ? { headers: { 'www-authenticate': 'Basic realm="parapet", charset="UTF-8"' } } : {}),
    cause,
  });
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch (error) {
    throw invalidClient('client_secret_basic', error);
  }
}

/**
 * Which one credential the request presents (RFC 6749 §2.3: "The client MUST NOT use more than one
 * authentication method in each request"). The client id of an assertion is its `sub`, read here
 * unverified only to find the client whose keys then verify it.
 */
export function presentedCredential(authorization: string | undefined, form: Readonly<Record<string, string | undefined>>): PresentedCredential {
  const basic = authorization === undefined ? undefined : BASIC.exec(authorization);
  if (authorization !== undefined && basic === null && /^Basic\b/i.test(authorization)) throw invalidClient('client_secret_basic');
  const methods = [basic !== undefined && basic !== null, form['client_secret'] !== undefined, form['client_assertion'] !== undefined || form['client_assertion_type'] !== undefined];
  if (methods.filter(Boolean).length > 1) throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');
  if (basic !== undefined && basic !== null) {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by a colon, then base64.
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw invalidClient('client_secret_basic');
    const clientId = formDecode(decoded.slice(0, colon));
    if (form['client_id'] !== undefined && form['client_id'] !== clientId) throw new OAuthError('invalid_request', 'client_id does not match the Authorization header.');
    return { method: 'client_secret_basic', clientId, secret: formDecode(decoded.slice(colon + 1)) };
  }
  const secret = form['client_secret'];
  if (secret !== undefined) {
    const clientId = form['client_id'];
    if (clientId === undefined) throw invalidClient('client_secret_post');
    return { method: 'client_secret_post', clientId, secret };
  }
  const assertion = form['client_assertion'];
  if (assertion !== undefined || form['client_assertion_type'] !== undefined) {
    if (form['client_assertion_type'] !== JWT_BEARER_ASSERTION_TYPE || assertion === undefined) throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}, with client_assertion.`);
    let sub: unknown;
    try {
      sub = decodeJwt(assertion).sub;
    } catch (error) {
      throw invalidClient('private_key_jwt', error);
    }
    if (typeof sub !== 'string') throw invalidClient('private_key_jwt');
    if (form['client_id'] !== undefined && form['client_id'] !== sub) throw invalidClient('private_key_jwt');
    return { method: 'private_key_jwt', clientId: sub, assertion };
  }
  throw invalidClient(undefined);
}

// Compared against when there is no stored hash, so an unknown client costs what a known one does.
const DUMMY_HASH = digestToken('parapet: no such client');

/** Constant-time check of a presented secret against the stored SHA-256 (or against a dummy when there is none). */
export function secretMatches(secret: string, storedHash: Uint8Array | null): boolean {
  const presented = digestToken(secret);
  const equal = digestsEqual(presented, storedHash ?? DUMMY_HASH);
  return storedHash !== null && equal;
}

/**
 * Verifies a private_key_jwt client assertion (RFC 7523 §3) with the client's registered keys.
 * Returns the `jti` and `exp` for the replay check, which the caller records.
 */
export async function verifyClientAssertion(
  assertion: string,
  expected: { clientId: string; jwks: JSONWebKeySet; audiences: readonly string[]; now: Date },
): Promise<{ jti: string; expiresAt: Date }> {
  const { payload } = await jwtVerify(assertion, createLocalJWKSet(expected.jwks), {
    // Signed, with an asymmetric algorithm only: never `none`, never HMAC (RFC 7523 §3 item 9).
    algorithms: [...ASSERTION_ALGORITHMS],
    // Item 1 and 2: iss and sub MUST both be the client_id.
    issuer: expected.clientId,
    subject: expected.clientId,
    // Item 3: aud MUST identify the authorization server (its issuer or token endpoint URL).
    audience: [...expected.audiences],
    // Item 4: exp MUST be present and the JWT MUST be rejected once it has passed.
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
    currentDate: expected.now,
    clockTolerance: ASSERTION_CLOCK_TOLERANCE_S,
  });
  const exp = payload.exp ?? 0;
  // A long-lived assertion is a replayable credential: at most five minutes ahead.
  if (exp > expected.now.getTime() / 1000 + ASSERTION_MAX_LIFETIME_S) throw new Error('assertion expires too far ahead');
  // Item 7: jti, used once; kept until the assertion (with the tolerated skew) has expired.
  const jti = payload.jti ?? '';
  if (jti.length === 0 || jti.length > 200) throw new Error('assertion jti is missing or too long');
  return { jti, expiresAt: new Date((exp + ASSERTION_CLOCK_TOLERANCE_S) * 1000) };
}
