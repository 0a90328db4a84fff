import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import { bodyDigest, canonicalRequest, computeSignature, MAX_CLOCK_SKEW_SECONDS } from '../../sdk/signing.ts';
import { claimSignature, purgeSignatures } from './api-keys-store.ts';

/** Why a signature was refused; each becomes the problem's detail and the audit event's reason. */
export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch' | 'replayed';

export const SIGNATURE_FAILURE_DETAIL: Readonly<Record<SignatureFailure, string>> = {
  missing: 'This key must sign its requests: send Parapet-Timestamp and Parapet-Signature.',
  malformed: 'Parapet-Timestamp must be Unix seconds and Parapet-Signature must be v1=<base64 HMAC-SHA256>.',
  stale: `The request timestamp is more than ${MAX_CLOCK_SKEW_SECONDS} seconds away from the server's clock.`,
  mismatch: 'The signature does not match the request.',
  replayed: 'This signature was already used; sign each request anew.',
};

const TIMESTAMP = /^[0-9]{1,12}$/;
const SIGNATURE = /^v1=([A-Za-z0-9+/]{43}=)$/;

export interface SignedRequest {
  readonly tenantId: string;
  readonly keyId: string;
  readonly secret: string;
  readonly method: string;
  /** The request target exactly as received: path and query. */
  readonly target: string;
  readonly body: Buffer | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/**
 * Verifies a signed request (AUTH-8): the timestamp within the skew window (either direction),
 * the HMAC over the canonical request compared in constant time, and the signature not seen
 * before on any node (the replay table's primary key settles concurrent duplicates). Returns the
 * failure, or undefined when the request may proceed.
 */
export async function verifyRequestSignature(deps: { transactor: AppTransactor; clock: Clock; random: Random }, request: SignedRequest): Promise<SignatureFailure | undefined> {
  if (request.timestamp === undefined || request.signature === undefined) return 'missing';
  const match = SIGNATURE.exec(request.signature);
  if (!TIMESTAMP.test(request.timestamp) || match?.[1] === undefined) return 'malformed';
  // Within five minutes of our clock, before or after: old captures and far-future ones both fail.
  const timestamp = Number(request.timestamp);
  const nowMs = deps.clock.now().getTime();
  if (Math.abs(nowMs / 1000 - timestamp) > MAX_CLOCK_SKEW_SECONDS) return 'stale';
  let canonical: string;
  try {
    canonical = canonicalRequest({ method: request.method, target: request.target, bodySha256: bodyDigest(request.body), timestamp });
  } catch {
    return 'malformed';
  }
  const expected = Buffer.from(computeSignature(request.secret, canonical), 'base64');
  const presented = Buffer.from(match[1], 'base64');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return 'mismatch';
  // Accepted once: remembered until it could no longer pass the timestamp check anyway.
  const signatureHash = createHash('sha256').update(presented).digest();
  const expiresAt = new Date((timestamp + MAX_CLOCK_SKEW_SECONDS + 1) * 1000);
  const fresh = await deps.transactor.withTenant(request.tenantId, async (tx) => {
    const claimed = await claimSignature(tx, request.tenantId, request.keyId, signatureHash, expiresAt);
    // Expired records are purged now and then, in the organization's own context.
    if (claimed && (deps.random(1)[0] ?? 0) < 8) await purgeSignatures(tx, request.tenantId, new Date(nowMs));
    return claimed;
  });
  return fresh ? undefined : 'replayed';
}
