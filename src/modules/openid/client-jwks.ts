import { createPublicKey } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AddressGuard } from '../audit-streaming/index.ts';
import type { ApplicationRow } from './applications-service.ts';
import { guardedRequest } from './guarded-http.ts';

/** A client's JWK Set, as oidc-provider takes it. */
export interface ClientJwks {
  readonly keys: readonly Record<string, unknown>[];
}

/** The algorithms a client may sign its assertions with (asymmetric only: private_key_jwt). */
export const CLIENT_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
const MAX_KEYS = 10;
const MAX_JWKS_BYTES = 65_536;
/** Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** A fetched jwks_uri is used this long before it is fetched again. */
export const CLIENT_JWKS_CACHE_MS = 300_000;

/** Why a registered JWK Set is refused, or undefined when every key is a usable public signing key. */
function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return 'is not a JWK';
  const jwk = key as Record<string, unknown>;
  // A symmetric key would be a shared secret stored in the clear, and HMAC is not private_key_jwt.
  if (jwk['kty'] === 'oct') return 'is a symmetric key: only public keys (RSA, EC, OKP) are accepted';
  if (!['RSA', 'EC', 'OKP'].includes(String(jwk['kty']))) return 'has an unsupported kty';
  // Parapet must never hold a client's private key (RFC 7517 §4: a JWK Set published for
  // verification holds public keys only).
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'contains private key material: register the public key only';
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return 'must be a signing key (use "sig")';
  if (jwk['alg'] !== undefined && !(CLIENT_ASSERTION_ALGS as readonly unknown[]).includes(jwk['alg'])) return `names an algorithm not accepted (${CLIENT_ASSERTION_ALGS.join(', ')})`;
  let modulus: number | undefined;
  try {
    modulus = createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch {
    return 'is not a valid public key';
  }
  if (jwk['kty'] === 'RSA' && (modulus ?? 0) < 2048) return 'is an RSA key shorter than 2048 bits';
  return undefined;
}

/** Checks a JWK Set given at registration (or fetched from a jwks_uri); throws invalid_request naming the key. */
export function checkClientJwks(value: unknown, pointer: string): ClientJwks {
  const keys = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)['keys'] : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) throw new AppError('invalid_request', { errors: [{ pointer, detail: `must be a JWK Set with 1 to ${MAX_KEYS} keys` }] });
  if (JSON.stringify(value).length > MAX_JWKS_BYTES) throw new AppError('invalid_request', { errors: [{ pointer, detail: 'is too large' }] });
  keys.forEach((key, i) => {
    const problem = keyProblem(key);
    if (problem !== undefined) throw new AppError('invalid_client_jwks', { errors: [{ pointer: `${pointer}/keys/${i}`, detail: problem }] });
  });
  return { keys: keys as Record<string, unknown>[] };
}

/**
 * The keys a private_key_jwt application's assertions are verified with: its registered JWK Set,
 * or its jwks_uri fetched through the outbound address guard (no redirects, 64 KiB, 5 s), checked
 * like a registered one and cached for `CLIENT_JWKS_CACHE_MS`. A fetch that fails or is refused
 * yields no keys, so the assertion is refused (invalid_client).
 */
export function createClientJwks(deps: { guard: AddressGuard; clock: Clock; logger: Pick<Logger, 'warn'> }): (app: ApplicationRow) => Promise<ClientJwks | undefined> {
  const cache = new Map<string, { uri: string; at: number; jwks: ClientJwks }>();
  return async (app) => {
    if (app.token_endpoint_auth_method !== 'private_key_jwt') return undefined;
    if (app.jwks !== null) return checkClientJwks(app.jwks, '/jwks');
    const uri = app.jwks_uri;
    if (uri === null) return { keys: [] };
    const now = deps.clock.now().getTime();
    const hit = cache.get(app.id);
    if (hit !== undefined && hit.uri === uri && now - hit.at < CLIENT_JWKS_CACHE_MS) return hit.jwks;
    try {
      const answer = await guardedRequest(deps.guard, uri, { method: 'GET', headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': 'Parapet-OIDC/1' }, maxBytes: MAX_JWKS_BYTES });
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
      const jwks = checkClientJwks(JSON.parse(answer.body.toString('utf8')) as unknown, '/jwks_uri');
      cache.set(app.id, { uri, at: now, jwks });
      if (cache.size > 1000) cache.delete(cache.keys().next().value ?? '');
      return jwks;
    } catch (error) {
      deps.logger.warn({ client_id: app.id, err: error instanceof Error ? error.message : 'failed' }, "an application's jwks_uri could not be used");
      return { keys: [] };
    }
  };
}
