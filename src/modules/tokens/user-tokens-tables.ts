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
}

export interface UserTokensTables {
  refresh_tokens: RefreshTokensTable;
}
