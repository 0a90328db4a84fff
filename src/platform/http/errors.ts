/**
 * The catalogue of error codes. Clients switch on `code`; the HTTP status and title come from the
 * catalogue and nowhere else. The platform declares the codes every module shares (below); each
 * module declares its own in `src/modules/<name>/errors.ts` with `defineErrors`, and the catalogue is
 * their union. Authentication failures collapse to generic codes so a response never reveals
 * whether an account exists.
 */
import { ParapetError } from '../errors.ts';
export interface ErrorEntry {
  readonly status: number;
  readonly title: string;
}

/** The codes every module may answer with. */
export const PLATFORM_ERRORS = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  invalid_signature: { status: 401, title: 'The request signature is missing, stale, already used or does not match' },
  forbidden: { status: 403, title: 'You are not allowed to do this' },
  reauthentication_required: { status: 403, title: 'This action needs a recent sign-in; re-authenticate and retry' },
  mfa_required: { status: 403, title: 'This requires a session authenticated with a second factor' },
  origin_mismatch: { status: 403, title: 'The request origin is not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'The service is not ready' },
  json_too_deep: { status: 400, title: 'The request body nests objects or arrays too deeply' },
  request_timeout: { status: 408, title: 'The request was not received in time' },
  uri_too_long: { status: 414, title: 'The request target is too long' },
  expectation_failed: { status: 417, title: 'The Expect header is not supported' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
} as const satisfies Record<string, ErrorEntry>;

/**
 * Module error codes, by declaration merging. A module's `errors.ts` adds its codes:
 * `declare module '../../platform/http/errors.ts' { interface ModuleErrorCodes extends Record<keyof typeof X_ERRORS, true> {} }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ModuleErrorCodes {}

export type ErrorCode = keyof typeof PLATFORM_ERRORS | Extract<keyof ModuleErrorCodes, string>;

const catalogue = new Map<string, ErrorEntry>(Object.entries(PLATFORM_ERRORS));

/**
 * Adds a module's codes to the catalogue (at import time, so a code is known wherever it can be
 * thrown). A code is declared once: a second declaration with another status or title is a bug.
 */
export function defineErrors<const T extends Record<string, ErrorEntry>>(entries: T): T {
  for (const [code, entry] of Object.entries(entries)) {
    const known = catalogue.get(code);
    if (known !== undefined && (known.status !== entry.status || known.title !== entry.title)) throw new Error(`error code ${code} is declared twice`);
    if (!/^[a-z][a-z0-9_]*$/.test(code)) throw new Error(`error code ${code} is not snake_case`);
    catalogue.set(code, Object.freeze({ status: entry.status, title: entry.title }));
  }
  return entries;
}

/** Every declared code with its status and title (the platform's and every loaded module's). */
export function errorCatalogue(): ReadonlyMap<ErrorCode, ErrorEntry> {
  return catalogue as ReadonlyMap<ErrorCode, ErrorEntry>;
}

const UNDECLARED: ErrorEntry = PLATFORM_ERRORS.internal_error;

/** The status and title of `code`; an undeclared code (a module file never loaded) answers as an internal error. */
export function errorEntry(code: ErrorCode): ErrorEntry {
  return catalogue.get(code) ?? UNDECLARED;
}

/** A field-level validation problem; never carries the submitted value. */
export interface FieldProblem {
  readonly pointer: string;
  readonly detail: string;
}

/** The one error type application code throws. */
export class AppError extends ParapetError {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly errors: readonly FieldProblem[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, options: { detail?: string; errors?: readonly FieldProblem[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(options.detail ?? errorEntry(code).title, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers;
  }

  get status(): number {
    return errorEntry(this.code).status;
  }
}

/** RFC 9457 problem details body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  request_id: string;
  errors?: readonly FieldProblem[];
}

export function toProblem(error: AppError, requestId: string): Problem {
  const declared = catalogue.has(error.code);
  const code: ErrorCode = declared ? error.code : 'internal_error';
  const entry = errorEntry(code);
  return {
    type: `urn:parapet:problem:${code}`,
    title: entry.title,
    status: entry.status,
    code,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    request_id: requestId,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
  };
}
