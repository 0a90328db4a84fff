export type AccountTokenPurpose = 'verify_email' | 'reset_password' | 'change_email' | 'report_email_change';

export interface AccountTokensTable {
  id: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  token_hash: Uint8Array;
  email: string | null;
  session_id: string | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  /** Issue 13: `account-token/1` MAC (migration 0124); null on rows from before it (expired by it). */
  integrity_mac: Uint8Array | null;
}

/** Pending invitations' plain digests copied by migration 0124, keyed once at start in the jobs context. */
export interface InvitationsDigestUpgradeTable {
  tenant_id: string;
  id: string;
  token_hash: Uint8Array;
}

export interface InvitationsTable {
  tenant_id: string;
  id: string;
  email: string;
  email_normalized: string;
  role: string;
  token_hash: Uint8Array;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
}

export interface AccountsTables {
  invitations_digest_upgrade: InvitationsDigestUpgradeTable;
  account_tokens: AccountTokensTable;
  invitations: InvitationsTable;
}
