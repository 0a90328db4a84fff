import type { Tx } from '../../database.ts';
import { digestToken } from '../../platform/crypto/random.ts';

/** The shape of every secret this module hands out (`newSecretToken`: 32 bytes, base64url). */
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Spends a live mailed link of `purpose`: single use, because the conditional update wins once
 * (of parallel uses exactly one sees the row). Undefined when there is no such live link.
 */
export async function spendDisclosureToken(tx: Tx, now: Date, purpose: 'verify' | 'portal', token: string): Promise<{ email: string; report_id: string | null } | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  return tx
    .updateTable('disclosure_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', digestToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['email', 'report_id'])
    .executeTakeFirst();
}
