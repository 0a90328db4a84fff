/**
 * RFC 6749 §5.2 error codes (plus RFC 8707's `invalid_target`). The token endpoint answers in
 * OAuth's own JSON format, `{ "error", "error_description" }`, not problem+json, because OAuth
 * clients parse that format (docs/oauth.md).
 */
import { ParapetError } from '../../platform/errors.ts';
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'server_error';

const STATUS: Readonly<Record<OAuthErrorCode, number>> = {
  invalid_request: 400,
  // RFC 6749 §5.2: 401 for a client that authenticated through the Authorization header; Parapet
  // answers 401 whichever method failed, so the answer does not depend on what was wrong.
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  server_error: 500,
};

export class OAuthError extends ParapetError {
  override readonly name = 'OAuthError';
  readonly code: OAuthErrorCode;
  readonly description: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: OAuthErrorCode, description: string, options: { status?: number; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.description = description;
    this.status = options.status ?? STATUS[code];
    this.headers = options.headers ?? {};
  }
}
