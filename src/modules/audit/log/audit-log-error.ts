/** Why an audit log operation refused its input; callers switch on `code`, never on the message. */
import { ParapetError } from '../../../platform/errors.ts';
export type AuditLogErrorCode =
  | 'invalid_argument'
  | 'not_canonical_json'
  | 'malformed_checkpoint'
  | 'malformed_note'
  | 'malformed_key'
  | 'unverified_note'
  | 'invalid_signature'
  | 'ambiguous_key';

/** The one error type the audit log library throws. Proof verifiers return `false` instead. */
export class AuditLogError extends ParapetError {
  override readonly name = 'AuditLogError';
  readonly code: AuditLogErrorCode;

  constructor(code: AuditLogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
