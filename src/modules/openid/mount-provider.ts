import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { OIDC_ROUTES } from './openid-provider.ts';
import { requestSources } from './provider-audit.ts';

/** OpenID Connect Discovery 1.0 §4: at the issuer's root, since the issuer is Parapet's public URL. */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** Endpoints that answer cross-origin requests of an application's own web origins (CORS). */
const CORS_PATHS: ReadonlySet<string> = new Set([OIDC_ROUTES.token, OIDC_ROUTES.userinfo, OIDC_ROUTES.revocation, OIDC_ROUTES.pushed_authorization_request]);

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
      // The endpoints a single-page app calls cross-origin authenticate every request themselves (the
      // client, PKCE or a bearer token) and never act on a cookie, so the platform's origin check is
      // skipped there; oidc-provider then allows only the application's web origins (web-origins.ts).
      // The authorization and logout endpoints, which do act on the provider's session cookie, keep it.
      const crossSitePost = CORS_PATHS.has(path);
      scope.route({ method: ['GET', 'POST', 'OPTIONS'], url: path, config: crossSitePost ? { ...config, crossSitePost } : config, schema: { hide: true }, handler });
    }
  });
}
