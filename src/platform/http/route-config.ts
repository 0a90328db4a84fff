/** What a route declares about itself, read by the platform's hooks. */
export interface ParapetRouteConfig {
  /** `public`: no authentication; `session`: a signed-in user (default for /api/v1). */
  auth?: 'public' | 'session';
  /** `auth`: the stricter per-IP limit for credential-handling endpoints. */
  rateLimit?: 'auth';
}

declare module 'fastify' {
  // Fastify's own extension point for per-route config; augmenting it needs an interface.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends ParapetRouteConfig {}
}
