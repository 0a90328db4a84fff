import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses, Strict } from '../../platform/http/schemas.ts';
import { requestSource } from '../../platform/http/request-context.ts';
import { acceptFormBodies } from '../../platform/http/form-body.ts';
import type { UserTokens } from './user-tokens-service.ts';

export const USER_TOKEN_PATH = '/api/v1/auth/token';
export const USER_TOKEN_REVOKE_PATH = '/api/v1/auth/token/revoke';

/** The token pair a sign-in (`response_type: "token"`) or a refresh answers with (RFC 6749 §5.1). */
export const UserTokenPairSchema = Strict({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  refresh_token: Type.String(),
});

// Refresh tokens only (`prt_…`); RFC 7009 §2.2.1 lets a server refuse token types it does not revoke.
const Secret = Type.String({ minLength: 5, maxLength: 200, pattern: '^prt_[A-Za-z0-9_-]+$' });

/**
 * `POST /api/v1/auth/token` (refresh_token grant) and `POST /api/v1/auth/token/revoke` (RFC 7009),
 * both public and under the auth rate limit. Registered in their own scope, which also accepts
 * `application/x-www-form-urlencoded` bodies (what OAuth clients send) besides JSON.
 */
export async function registerUserTokenRoutes(server: FastifyInstance, deps: { tokens: UserTokens }): Promise<void> {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    acceptFormBodies(scope);

    scope.post(USER_TOKEN_PATH, {
      config: { permission: 'public', rateLimit: 'auth' },
      schema: {
        tags: ['identity'],
        summary: 'Exchange a refresh token for a new access token and refresh token (the old one retires)',
        description:
          'JSON or form-encoded. Replaying a retired refresh token ends its whole family and session, except within a short grace window after its rotation, which answers with the same successor.',
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        body: Strict({ grant_type: Type.Literal('refresh_token'), refresh_token: Secret }),
        response: { 200: UserTokenPairSchema, ...errorResponses(400, 415, 429) },
      },
      handler: async (request, reply) => {
        const body = request.body;
        const pair = await deps.tokens.refresh(body.refresh_token, requestSource(request));
        // RFC 6749 §5.1: responses carrying tokens MUST NOT be cached.
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return pair;
      },
    });

    scope.post(USER_TOKEN_REVOKE_PATH, {
      config: { permission: 'public', rateLimit: 'auth' },
      schema: {
        tags: ['identity'],
        summary: 'Revoke a refresh token, its family and its session (RFC 7009)',
        description: 'Answers 200 whether or not the token was valid (RFC 7009 §2.2).',
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        body: Strict({ token: Secret, token_type_hint: Type.Optional(Type.String({ maxLength: 50 })) }),
        response: { 200: Strict({}), ...errorResponses(400, 415, 429) },
      },
      handler: async (request) => {
        const body = request.body;
        await deps.tokens.revoke(body.token, requestSource(request));
        return {};
      },
    });
  });
}
