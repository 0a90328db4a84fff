/**
 * The permission names a route may declare, as keys. Empty here, since the platform knows no
 * catalogue: the access module adds its catalogue by declaration merging, so a typo in a route's
 * `permission` fails `tsc` while `platform/` imports nothing from `modules/`.
 */
// Declaration merging needs an interface, and it is empty until a module augments it.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RoutePermissions {}

/** What a route may name in `permission`: `self`, `public` or a catalogue permission. */
export type RoutePermission = 'self' | 'public' | keyof RoutePermissions;

/** What a route declares about itself, read by the platform's hooks. */
export interface ParapetRouteConfig {
  /** `public`: no authentication; `session`: a signed-in user (default for /api/v1). */
  auth?: 'public' | 'session';
  /**
   * What the caller must hold: a permission from the access catalogue (checked at the route's
   * organization/project/environment from its path), `self` (any signed-in user, acting on their
   * own things) or `public`. Every /api/v1 route must declare one; the app refuses to start otherwise.
   */
  permission?: RoutePermission;
  /**
   * For a catalogue permission on a route whose path names no organization (e.g. batch checks):
   * the handler authorizes each item itself. Without this flag such a route refuses to register.
   */
  authorizeInHandler?: boolean;
  /** `auth`: the stricter per-IP limit for credential-handling endpoints. */
  rateLimit?: 'auth';
  /**
   * The route receives cross-site form posts by design (the SAML HTTP-POST binding): the origin
   * check is skipped, so the route must authenticate the message itself and never act on the
   * ambient session cookie.
   */
  crossSitePost?: boolean;
}

declare module 'fastify' {
  // Fastify's own extension point for per-route config; augmenting it needs an interface.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends ParapetRouteConfig {}
}
