/** Why a destination did not acknowledge a batch. */
import { ParapetError } from '../../platform/errors.ts';
export type DeliveryErrorCode = 'address_not_allowed' | 'unreachable' | 'tls' | 'timeout' | 'rejected' | 'invalid_destination';

/**
 * A failed delivery. Its message is stored as the cursor's `last_error` and shown to tenant admins,
 * so it names what went wrong and never carries a secret, a signature or the receiver's response body.
 */
export class DeliveryError extends ParapetError {
  override readonly name = 'DeliveryError';
  readonly code: DeliveryErrorCode;

  constructor(code: DeliveryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Maps a socket or TLS error to a DeliveryError with a short, secret-free message. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const raw = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const code = typeof raw === 'string' ? raw : '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ABORT_ERR' || code === 'ETIMEDOUT' || (error instanceof Error && error.name === 'TimeoutError')) return new DeliveryError('timeout', 'the destination did not answer in time', { cause: error });
  if (TLS_CODES.test(code)) return new DeliveryError('tls', `TLS: ${message}`.slice(0, 300), { cause: error });
  return new DeliveryError('unreachable', `${code === '' ? '' : `${code}: `}${message}`.slice(0, 300), { cause: error });
}
