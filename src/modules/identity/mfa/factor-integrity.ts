import type { RowIntegrity } from '../row-integrity.ts';

/** The part of the identity module's row MACs the second-factor stores need. */
export type FactorIntegrity = Pick<RowIntegrity, 'rowMac' | 'rowValid' | 'storedDigest'>;

export const TOTP_FACTOR_ROW = 'totp-factor/1';
export const RECOVERY_CODE_ROW = 'recovery-code/1';

/**
 * Issue 13, property 1: a TOTP factor is MAC'd over its id, its user and its creation. The seed
 * is not in the MAC: it is sealed with the row id as associated data (totp-secret-box.ts), so it
 * opens only in its own row, and key rotation re-seals it without touching the MAC. Together a
 * factor inserted by SQL (no MAC), or moved to another user (MAC over the user), never verifies.
 * `confirmed_at`, `last_used_step` and `last_used_at` change after the insert and are left out.
 */
const totpFields = (row: TotpIdentity): unknown[] => [row.id, row.user_id, row.created_at];

/** A recovery code is MAC'd over its user, its digest and its creation (`used_at` changes and is left out). */
const codeFields = (row: CodeIdentity): unknown[] => [row.user_id, row.code_hash, row.created_at];

interface TotpIdentity {
  readonly id: string;
  readonly user_id: string;
  readonly created_at: Date;
}
interface CodeIdentity {
  readonly user_id: string;
  readonly code_hash: Uint8Array;
  readonly created_at: Date;
}

export function totpFactorMac(integrity: FactorIntegrity, row: TotpIdentity): Buffer {
  return integrity.rowMac(TOTP_FACTOR_ROW, totpFields(row));
}

/** True when the factor carries its MAC; a false answer is logged (ids only) and the factor is treated as absent. */
export function totpFactorValid(integrity: FactorIntegrity, row: TotpIdentity & { readonly integrity_mac: Uint8Array | null }): boolean {
  return integrity.rowValid(TOTP_FACTOR_ROW, totpFields(row), row.integrity_mac, { table: 'totp_factors', id: row.id });
}

export function recoveryCodeMac(integrity: FactorIntegrity, row: CodeIdentity): Buffer {
  return integrity.rowMac(RECOVERY_CODE_ROW, codeFields(row));
}

/** True when the code carries its MAC; a false answer is logged under the user's id (never the digest). */
export function recoveryCodeValid(integrity: FactorIntegrity, row: CodeIdentity & { readonly integrity_mac: Uint8Array | null }): boolean {
  return integrity.rowValid(RECOVERY_CODE_ROW, codeFields(row), row.integrity_mac, { table: 'mfa_recovery_codes', id: row.user_id });
}
