/**
 * The one catalogue of error codes. Clients switch on `code`; the HTTP status and title come from
 * here and nowhere else. Authentication failures collapse to generic codes so a response never
 * reveals whether an account exists.
 */
export const ERRORS = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },
  invalid_secret_name: { status: 400, title: 'The secret name is not valid' },
  password_too_short: { status: 400, title: 'The password is too short' },
  password_too_long: { status: 400, title: 'The password is too long' },
  password_too_common: { status: 400, title: 'The password is too common' },
  password_too_weak: { status: 400, title: 'The password is too easy to guess' },
  passkey_registration_failed: { status: 400, title: 'The passkey could not be registered' },
  setup_link_invalid: { status: 400, title: 'The setup link is invalid, used or expired' },
  retention_type_unknown: { status: 400, title: 'There is no retention data type of this name for organizations' },
  retention_out_of_bounds: { status: 400, title: 'The retention period is outside the bounds allowed for this data type' },
  deletion_cancel_invalid: { status: 400, title: 'The deletion cancel token is invalid or the deletion is no longer pending' },
  link_invalid: { status: 400, title: 'The link is invalid, used or expired' },
  invitation_invalid: { status: 400, title: 'The invitation is invalid, used, revoked or expired' },
  invalid_grant: { status: 400, title: 'The refresh token is invalid, expired, revoked or already used' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  invalid_credentials: { status: 401, title: 'The email or password is incorrect' },
  sign_in_required: { status: 401, title: 'Sign in as the invited user to accept this invitation' },
  invalid_mfa_code: { status: 401, title: 'The second factor is incorrect, expired or already used' },
  mfa_pending_invalid: { status: 401, title: 'The sign-in to complete is missing, expired or already used; sign in again' },
  passkey_refused: { status: 401, title: 'The passkey was not accepted' },
  invalid_signature: { status: 401, title: 'The request signature is missing, stale, already used or does not match' },
  forbidden: { status: 403, title: 'You are not allowed to do this' },
  reauthentication_required: { status: 403, title: 'This action needs a recent sign-in; re-authenticate and retry' },
  mfa_required: { status: 403, title: 'This requires a session authenticated with a second factor' },
  ip_not_allowed: { status: 403, title: 'This is not allowed from your network address' },
  mfa_method_not_allowed: { status: 403, title: 'The organization does not accept the second factor this session used' },
  policy_would_lock_you_out: { status: 409, title: 'The policy would refuse your own session' },
  outside_time_window: { status: 403, title: 'This is not allowed at this time' },
  origin_mismatch: { status: 403, title: 'The request origin is not allowed' },
  self_approval_refused: { status: 403, title: 'A request cannot be approved by the person who made it' },
  risky_write_disabled: { status: 403, title: 'This operation is disabled for the organization (risky writes are off)' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  secret_unreadable: { status: 409, title: 'The secret value cannot be decrypted (its key was destroyed or the stored value was altered)' },
  organization_pending_deletion: { status: 409, title: 'The organization is scheduled for deletion and read-only until the deletion is cancelled' },
  sole_owner: { status: 409, title: 'The account is the only owner of an organization: hand the organization over or delete it first' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  secret_too_large: { status: 413, title: 'The secret value is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  rate_limited: { status: 429, title: 'Too many requests' },
  too_many_attempts: { status: 429, title: 'Too many failed sign-ins for this account' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'The service is not ready' },
  json_too_deep: { status: 400, title: 'The request body nests objects or arrays too deeply' },
  request_timeout: { status: 408, title: 'The request was not received in time' },
  uri_too_long: { status: 414, title: 'The request target is too long' },
  expectation_failed: { status: 417, title: 'The Expect header is not supported' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  organization_creation_restricted: { status: 403, title: 'Only platform administrators may create organizations on this Parapet' },
  organization_limit_reached: { status: 403, title: 'You have created as many organizations as this Parapet allows' },
  // sso module (issue 18, AUTH-4)
  sso_failed: { status: 401, title: 'The single sign-on did not complete; start it again' },
  sso_required: { status: 403, title: 'Your organization requires single sign-on for this account' },
  sso_metadata_invalid: { status: 400, title: 'The identity provider metadata or certificate is not valid' },
  domain_not_verified: { status: 409, title: 'The domain could not be verified: the expected DNS TXT record was not found' },
  domain_taken: { status: 409, title: 'The domain is already verified by another organization' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** A field-level validation problem; never carries the submitted value. */
export interface FieldProblem {
  readonly pointer: string;
  readonly detail: string;
}

/** The one error type application code throws. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly errors: readonly FieldProblem[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, options: { detail?: string; errors?: readonly FieldProblem[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(options.detail ?? ERRORS[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers;
  }

  get status(): number {
    return ERRORS[this.code].status;
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
  const entry = ERRORS[error.code];
  return {
    type: `urn:parapet:problem:${error.code}`,
    title: entry.title,
    status: entry.status,
    code: error.code,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    request_id: requestId,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
  };
}
