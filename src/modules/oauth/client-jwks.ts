import { Type, type Static } from '@sinclair/typebox';
import { importJWK, type JWK } from 'jose';
import { AppError } from '../../platform/http/errors.ts';

const B64 = (length: { minLength: number; maxLength: number }) => Type.String({ ...length, pattern: '^[A-Za-z0-9_-]+$' });
const Kid = Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\x21-\\x7e]+$' }));
const Use = Type.Optional(Type.Literal('sig'));

// Public members only: a key carrying `d`, `p`, `q`, … (a private key) is refused as an unknown field.
const Ed25519Jwk = Type.Object(
  { kty: Type.Literal('OKP'), crv: Type.Literal('Ed25519'), x: B64({ minLength: 43, maxLength: 43 }), kid: Kid, use: Use, alg: Type.Optional(Type.Union([Type.Literal('EdDSA'), Type.Literal('Ed25519')])) },
  { additionalProperties: false },
);
const P256Jwk = Type.Object(
  { kty: Type.Literal('EC'), crv: Type.Literal('P-256'), x: B64({ minLength: 43, maxLength: 43 }), y: B64({ minLength: 43, maxLength: 43 }), kid: Kid, use: Use, alg: Type.Optional(Type.Literal('ES256')) },
  { additionalProperties: false },
);
// n: 2048 to 4096 bits (342 to 683 base64url characters).
const RsaJwk = Type.Object(
  { kty: Type.Literal('RSA'), n: B64({ minLength: 342, maxLength: 683 }), e: B64({ minLength: 1, maxLength: 8 }), kid: Kid, use: Use, alg: Type.Optional(Type.Union([Type.Literal('RS256'), Type.Literal('PS256')])) },
  { additionalProperties: false },
);

/** The public keys a private_key_jwt client registers (RFC 7517 JWK Set): Ed25519, P-256 or RSA ≥ 2048 bits. */
export const ClientJwks = Type.Object({ keys: Type.Array(Type.Union([Ed25519Jwk, P256Jwk, RsaJwk]), { minItems: 1, maxItems: 5 }) }, { additionalProperties: false });
export type ClientJwks = Static<typeof ClientJwks>;

/**
 * Algorithms a client assertion may use (RFC 7523 §3 item 9: the JWT MUST be digitally signed).
 * `none` and the HMAC family are absent, so an assertion forged with a public key as an HMAC
 * secret, or not signed at all, never verifies.
 */
export const ASSERTION_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'RS256', 'PS256'] as const;

function defaultAlg(jwk: ClientJwks['keys'][number]): string {
  if (jwk.alg !== undefined) return jwk.alg;
  return jwk.kty === 'OKP' ? 'EdDSA' : jwk.kty === 'EC' ? 'ES256' : 'RS256';
}

/**
 * Checks what the schema cannot: every key imports (a valid point or modulus), the RSA modulus is
 * really at least 2048 bits, and key ids are unique (required when there is more than one key, so
 * an assertion's `kid` picks exactly one). Returns the set to store.
 */
export async function checkClientJwks(jwks: ClientJwks): Promise<ClientJwks> {
  const kids = jwks.keys.map((key) => key.kid);
  if (jwks.keys.length > 1 && kids.some((kid) => kid === undefined)) {
    throw new AppError('invalid_request', { errors: [{ pointer: '/body/jwks/keys', detail: 'each key needs a kid when there is more than one' }] });
  }
  if (new Set(kids).size !== kids.length) throw new AppError('invalid_request', { errors: [{ pointer: '/body/jwks/keys', detail: 'key ids must be unique' }] });
  for (const [index, key] of jwks.keys.entries()) {
    const pointer = `/body/jwks/keys/${index}`;
    if (key.kty === 'RSA' && Buffer.from(key.n, 'base64url').length * 8 < 2048) throw new AppError('invalid_request', { errors: [{ pointer, detail: 'RSA keys must be at least 2048 bits' }] });
    try {
      await importJWK(key as JWK, defaultAlg(key));
    } catch (error) {
      throw new AppError('invalid_request', { errors: [{ pointer, detail: 'is not a valid public key' }], cause: error });
    }
  }
  return { keys: jwks.keys.map((key) => ({ ...key })) };
}
