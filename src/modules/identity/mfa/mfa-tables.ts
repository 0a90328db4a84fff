/** A TOTP factor: its seed sealed by field encryption, its last accepted time step. */
import type { Generated } from 'kysely';

export interface TotpFactorsTable {
  id: string;
  /** Always the platform tenant (the field-encryption key it is sealed under). */
  tenant_id: Generated<string>;
  user_id: string;
  secret_sealed: string;
  last_used_step: string | number | bigint | null;
  confirmed_at: Date | null;
  created_at: Date;
  last_used_at: Date | null;
  /** Issue 13: HMAC under the keyring's `row-integrity` key (factor-integrity.ts); null only before the back-fill. */
  integrity_mac: Uint8Array | null;
}

export interface MfaRecoveryCodesTable {
  user_id: string;
  code_hash: Uint8Array;
  created_at: Date;
  used_at: Date | null;
  /** Issue 13: HMAC under the keyring's `row-integrity` key (factor-integrity.ts); null only before the back-fill. */
  integrity_mac: Uint8Array | null;
  /** Issue 13, property 2: `code_hash` is the keyed digest (row-integrity.ts `storedDigest`); false only on rows from before migration 0095 until the start re-keys them. */
  digest_keyed: Generated<boolean>;
}

/** A password accepted for an account with MFA, waiting for the second factor. */
export interface MfaPendingLoginsTable {
  id: string;
  token_hash: Uint8Array;
  user_id: string;
  created_at: Date;
  expires_at: Date;
  failed_attempts: number;
  consumed_at: Date | null;
  ip: string | null;
  user_agent: string | null;
  /** Issue 13: `mfa-pending-login/1` MAC over id, digest, user, creation and expiry (migration 0123). */
  integrity_mac: Uint8Array | null;
}

export interface MfaTables {
  totp_factors: TotpFactorsTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  mfa_pending_logins: MfaPendingLoginsTable;
}
