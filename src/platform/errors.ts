/**
 * The base of Parapet's own errors, in the style of jose's `JOSEError`: every class has a stable
 * machine-readable `code` (what callers, tests and logs match on, never the message) and a `name`.
 * Only the HTTP edge turns an error into an answer: `AppError` (platform/http/errors.ts) becomes
 * problem+json with its code; any other error reaching the edge is a 500 `internal_error` whose code is
 * logged, never shown. Plain `Error` is left for broken invariants (a bug, not a condition).
 */
export abstract class ParapetError extends Error {
  /** Stable, snake_case; part of the contract of the function that throws it. */
  abstract readonly code: string;
}
