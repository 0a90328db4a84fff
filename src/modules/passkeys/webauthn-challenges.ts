import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { ChallengePurpose, WebauthnChallengesTable } from './passkeys-tables.ts';

export type ChallengeRow = Selectable<WebauthnChallengesTable>;

/** A challenge answers within this long, or not at all. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * What a challenge is tied to: the console session (registration), the sign-in ceremony cookie
 * (passwordless), or the pending MFA state (second factor). Stored as a SHA-256, so a database
 * reader learns no ceremony cookie.
 */
export function challengeBinding(kind: 'session' | 'ceremony' | 'mfa', value: string): Buffer {
  return createHash('sha256').update(`${kind}:${value}`, 'utf8').digest();
}

/**
 * Stores the challenge for (purpose, binding), replacing any earlier one: only the latest options
 * a client asked for can be answered. Expired challenges of anyone are deleted on the way.
 */
export async function storeChallenge(tx: Tx, row: ChallengeRow): Promise<void> {
  await tx.deleteFrom('webauthn_challenges').where('expires_at', '<=', row.created_at).execute();
  await tx
    .insertInto('webauthn_challenges')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['purpose', 'binding']).doUpdateSet({ challenge: row.challenge, user_id: row.user_id, user_handle: row.user_handle, created_at: row.created_at, expires_at: row.expires_at }),
    )
    .execute();
}

/**
 * Takes the challenge for (purpose, binding) out of the store — one statement, so two concurrent
 * answers cannot both get it (single use) — and returns it unless it has expired.
 */
export async function consumeChallenge(tx: Tx, purpose: ChallengePurpose, binding: Buffer, now: Date): Promise<ChallengeRow | undefined> {
  const row = await tx.deleteFrom('webauthn_challenges').where('purpose', '=', purpose).where('binding', '=', binding).returningAll().executeTakeFirst();
  if (row === undefined || row.expires_at <= now) return undefined;
  return row;
}
