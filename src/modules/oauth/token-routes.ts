import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { Strict } from '../../platform/http/schemas.ts';
import { toFieldProblems } from '../../platform/http/validation.ts';
import { ALL_PERMISSIONS } from '../access/index.ts';
import { requestSource } from '../../platform/http/request-context.ts';
import { ACCESS_TOKEN_ALG, JWKS_PATH } from '../tokens/index.ts';
import { ASSERTION_ALGORITHMS } from './client-jwks.ts';
import { acceptFormBodies } from '../../platform/http/form-body.ts';
import { OAuthError } from './oauth-error.ts';
import type { OAuthEndpoints, TokenService } from './token-service.ts';

export const TOKEN_PATH = '/oauth/token';
export const METADATA_PATH = '/.well-known/oauth-authorization-server';

const Param = (maxLength: number) => Type.Optional(Type.String({ minLength: 1, maxLength }));
// RFC 6749 §3.2: "The authorization server MUST ignore unrecognized request parameters", so unknown
// parameters are allowed (and ignored) here, unlike everywhere else; they are still strings of bounded length.
const TokenForm = Type.Object(
  {
    grant_type: Param(100),
    scope: Param(4000),
    resource: Param(2048),
    client_id: Param(200),
    client_secret: Param(200),
    client_assertion_type: Param(200),
    client_assertion: Param(16_384),
  },
  { additionalProperties: Type.String({ maxLength: 2048 }) },
);
const TokenResponse = Strict({ access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer(), scope: Type.String() });
const OAuthErrorBody = Strict({ error: Type.String(), error_description: Type.String() });
const Metadata = Strict({
  issuer: Type.String(),
  token_endpoint: Type.String(),
  jwks_uri: Type.String(),
  grant_types_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  token_endpoint_auth_signing_alg_values_supported: Type.Array(Type.String()),
  scopes_supported: Type.Array(Type.String()),
  service_documentation: Type.String(),
});

/** Anything thrown on the token endpoint, in OAuth's error format (RFC 6749 §5.2). */
function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  const validation = (error as { validation?: unknown; validationContext?: string }).validation;
  if (Array.isArray(validation)) {
    const [first] = toFieldProblems((error as { validationContext?: string }).validationContext ?? 'body', validation as never);
    return new OAuthError('invalid_request', first === undefined ? 'The request is not valid.' : `${first.pointer.replace(/^\/body\//, '')} ${first.detail}.`);
  }
  const code = (error as Partial<FastifyError>).code;
  if (error instanceof AppError) {
    if (error.code === 'internal_error' || error.code === 'service_unavailable') return new OAuthError('server_error', 'The server could not handle the request.', { status: error.status, cause: error });
    if (error.code === 'unauthenticated') return new OAuthError('invalid_client', 'Client authentication failed.');
    return new OAuthError('invalid_request', error.detail ?? error.message, { status: error.status, headers: { ...error.headers } });
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded.', { status: 415 });
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new OAuthError('invalid_request', 'The request body is too large.', { status: 413 });
  const status = (error as Partial<FastifyError>).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new OAuthError('invalid_request', 'The request is not valid.', { status });
  return new OAuthError('server_error', 'The server could not handle the request.', { cause: error });
}

/**
 * `POST /oauth/token` (client credentials, RFC 6749 §4.4) and the authorization server metadata
 * (RFC 8414). The token endpoint is registered in its own encapsulated scope: it alone accepts
 * `application/x-www-form-urlencoded` (and nothing else), and it alone answers errors in OAuth's
 * JSON format instead of problem+json.
 */
export async function registerTokenRoutes(app: FastifyInstance, deps: { service: TokenService; endpoints: OAuthEndpoints; documentation: string }): Promise<void> {
  const { endpoints } = deps;
  app.get(METADATA_PATH, {
    config: { auth: 'public' },
    schema: { tags: ['oauth'], summary: 'OAuth 2.0 authorization server metadata (RFC 8414)', response: { 200: Metadata } },
    handler: async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return {
        issuer: endpoints.issuer,
        token_endpoint: endpoints.tokenEndpoint,
        jwks_uri: `${endpoints.issuer}${JWKS_PATH}`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
        // Scopes are permissions from the catalogue (a token's scope only narrows its account's bindings).
        scopes_supported: [...ALL_PERMISSIONS],
        service_documentation: deps.documentation,
      };
    },
  });

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    acceptFormBodies(scope);
    scope.setErrorHandler(async (error, request, reply) => {
      const oauth = toOAuthError(error);
      if (oauth.code === 'server_error') request.log.error({ err: error }, 'token request failed');
      else request.log.debug({ error: oauth.code }, 'token request refused');
      for (const [name, value] of Object.entries(oauth.headers)) reply.header(name, value);
      // RFC 6749 §5.1 applies to errors too: nothing here may be cached.
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return reply.status(oauth.status).type('application/json').send({ error: oauth.code, error_description: oauth.description });
    });
    scope.post(TOKEN_PATH, {
      config: { auth: 'public', rateLimit: 'auth' },
      schema: {
        tags: ['oauth'],
        summary: 'Token endpoint: client credentials grant (RFC 6749 §4.4)',
        description: `Form-encoded. Authenticate with HTTP Basic, client_secret in the body, or a private_key_jwt client assertion. Returns an EdDSA (${ACCESS_TOKEN_ALG}) access token valid 15 minutes. Errors use OAuth's format, not problem+json.`,
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenForm,
        response: { 200: TokenResponse, 400: OAuthErrorBody, 401: OAuthErrorBody, 429: OAuthErrorBody },
      },
      handler: async (request, reply) => {
        const form = (request.body ?? {}) as Record<string, string | undefined>;
        const response = await deps.service.issue({ authorization: request.headers.authorization, form, source: requestSource(request) });
        // RFC 6749 §5.1: responses carrying tokens MUST NOT be cached.
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return response;
      },
    });
  });
}
