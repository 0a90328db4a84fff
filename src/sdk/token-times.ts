/**
 * The longest lifetime (`exp` − `iat`) a Parapet access token may have, in seconds: user and
 * service-account access tokens are issued for 15 minutes.
 */
export const ACCESS_TOKEN_MAX_LIFETIME_SECONDS = 900;

/** How far in the future `iat` may be, for clocks that disagree a little, in seconds. */
export const ACCESS_TOKEN_CLOCK_SKEW_SECONDS = 60;

/**
 * Checks what a signature cannot: that the token was issued no later than now (give or take
 * `clockSkewSeconds`) and lives no longer than `maxLifetimeSeconds`. A token that fails either was
 * not issued by Parapet as configured: a leaked signing key could mint tokens dated ahead or
 * living for years, which `exp` alone would accept. Returns why it is refused, or undefined.
 */
export function tokenTimesProblem(
  claims: { readonly iat?: unknown; readonly exp?: unknown },
  options: { readonly now: Date; readonly maxLifetimeSeconds?: number; readonly clockSkewSeconds?: number },
): string | undefined {
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !Number.isFinite(exp)) return 'iat and exp must be numbers';
  const now = options.now.getTime() / 1000;
  // RFC 7519 §4.1.6: iat "identifies the time at which the JWT was issued".
  if (iat > now + (options.clockSkewSeconds ?? ACCESS_TOKEN_CLOCK_SKEW_SECONDS)) return 'issued in the future';
  if (exp - iat > (options.maxLifetimeSeconds ?? ACCESS_TOKEN_MAX_LIFETIME_SECONDS)) return 'lifetime longer than allowed';
  return undefined;
}
