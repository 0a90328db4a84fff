/**
 * CORS for single-page apps (issue 17): which browser origins may call the provider's token,
 * userinfo, revocation and PAR endpoints for a client. The web origins of an application are the
 * origins of its registered `http`/`https` redirect URIs (a native app's custom-scheme URIs have
 * none): the page that receives the code is the page that exchanges it.
 */

/** The origins (`scheme://host[:port]`) of a client's web redirect URIs. */
export function webOrigins(redirectUris: readonly string[]): ReadonlySet<string> {
  const origins = new Set<string>();
  for (const uri of redirectUris) {
    const parsed = URL.parse(uri);
    if (parsed !== null && (parsed.protocol === 'https:' || parsed.protocol === 'http:')) origins.add(parsed.origin);
  }
  return origins;
}

/** The provider endpoints a browser may call cross-origin, by oidc-provider's route name. */
const CLIENT_ROUTES: ReadonlySet<string> = new Set(['token', 'revocation', 'pushed_authorization_request']);

/**
 * oidc-provider's `clientBasedCORS`: whether `origin` may read the answer of `route` for `client`.
 * Exact origin match only (no wildcard, no suffix); the opaque origin `null` never. Userinfo (a
 * bearer token, no client secret) for any application; the token, revocation and PAR endpoints
 * only for public applications — a confidential application's secret or key never belongs in a
 * browser, so its requests from one are refused. No endpoint answers with credentials
 * (`Access-Control-Allow-Credentials` is never set): a cross-origin call carries no cookie.
 */
export function corsAllowed(route: string | undefined, origin: string, client: { readonly redirectUris: readonly string[]; readonly clientAuthMethod: string }): boolean {
  if (origin === 'null' || origin === '*') return false;
  if (!webOrigins(client.redirectUris).has(origin)) return false;
  if (route === 'userinfo') return true;
  return route !== undefined && CLIENT_ROUTES.has(route) && client.clientAuthMethod === 'none';
}
