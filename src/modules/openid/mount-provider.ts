import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { OIDC_ROUTES } from './openid-provider.ts';
import { requestSources } from './provider-audit.ts';

/** OpenID Connect Discovery 1.0 §4: at the issuer's root, since the issuer is Parapet's public URL. */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/**
 * Hands the provider's endpoints to oidc-provider's own Node handler. Fastify leaves the request
 * body unread (oidc-provider parses it), and the headers the platform set (security headers,
 * request id) are copied onto the raw response first.
 */
export function mountProvider(server: FastifyInstance, provider: () => Promise<Provider>): void {
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Leave the body stream to oidc-provider.
    scope.addContentTypeParser('*', (_request, _payload, done) => {
      done(null, undefined);
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
      requestSources.set(request.raw, { ip: request.ip, user_agent: request.headers['user-agent'] ?? null, request_id: request.id });
      reply.hijack();
      await new Promise<void>((resolve) => {
        reply.raw.once('finish', resolve);
        reply.raw.once('close', resolve);
        void provider().then((ready) => ready.callback()(request.raw, reply.raw), (error: unknown) => { reply.raw.destroy(error instanceof Error ? error : undefined); });
      });
    };
    const config = { auth: 'public' as const, rateLimit: 'auth' as const };
    scope.get(DISCOVERY_PATH, { config: { auth: 'public' }, schema: { tags: ['openid'], operationId: 'openidConfiguration', summary: 'OpenID Provider metadata (OpenID Connect Discovery 1.0)' } }, handler);
    const paths = Object.values(OIDC_ROUTES);
    for (const path of new Set([...paths, `${OIDC_ROUTES.authorization}/:uid`, `${OIDC_ROUTES.end_session}/confirm`, `${OIDC_ROUTES.end_session}/success`])) {
      scope.route({ method: ['GET', 'POST', 'OPTIONS'], url: path, config, schema: { hide: true }, handler });
    }
  });
}
