import type { Generated } from 'kysely';

/** One refresh token of an API client's family (migration 0018_user_tokens.sql). */
export interface RefreshTokensTable {
  id: string;
  token_hash: Uint8Array;
  session_id: string;
  organization_id: string | null;
  created_at: Date;
  family_expires_at: Date;
  retired_at: Date | null;
  successor_id: string | null;
  /** HMAC over every field above under the `row-integrity` key (`refresh-token/1`); a token without a valid one does not exist (issue 13). */
  integrity_mac: Uint8Array | null;
  /** Issue 13, property 2: `token_hash` is the keyed digest (row-integrity.ts `storedDigest`); false only on rows from before migration 0096 until the start re-keys them. */
  digest_keyed: Generated<boolean>;
}

export interface UserTokensTables {
  refresh_tokens: RefreshTokensTable;
}
