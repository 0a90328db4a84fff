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
  account_tokens: AccountTokensTable;
  invitations: InvitationsTable;
}
