import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Strict } from '../../platform/http/schemas.ts';
import type { TokenKeys } from './token-keys.ts';

export const JWKS_PATH = '/.well-known/jwks.json';

const PublicJwk = Strict({ kty: Type.Literal('OKP'), crv: Type.Literal('Ed25519'), x: Type.String(), kid: Type.String(), alg: Type.Literal('EdDSA'), use: Type.Literal('sig') });

/**
 * `GET /.well-known/jwks.json` (RFC 7517 JWK Set): the previous, current and next period's public
 * keys. The next key is published a whole period ahead, so a verifier that caches this document for
 * up to an hour always holds the key a token names; one that meets an unknown `kid` refetches.
 */
export function registerJwksRoute(app: FastifyInstance, keys: TokenKeys): void {
  app.get(JWKS_PATH, {
    config: { auth: 'public' },
    schema: { tags: ['oauth'], summary: 'Public keys that verify Parapet access tokens (JWK Set)', response: { 200: Strict({ keys: Type.Array(PublicJwk) }) } },
    handler: async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600, stale-while-revalidate=600');
      reply.type('application/jwk-set+json');
      return { keys: keys.published().map((key) => key.jwk) };
    },
  });
}
