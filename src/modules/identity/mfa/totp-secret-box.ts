import type { FieldEncryption } from '../../keys/index.ts';
import { PLATFORM_TENANT_ID } from '../../audit/index.ts';

/**
 * The one place TOTP seeds are encrypted and decrypted (ENC-4): field encryption under the
 * platform tenant's key, bound to table, column and factor id, so a sealed seed copied to another
 * row (another user) fails to decrypt. The envelope issue may replace the scheme behind this.
 * Call outside any transaction (field encryption may open its own).
 */
export interface TotpSecretBox {
  seal(factorId: string, secret: string): Promise<string>;
  /** Throws `FieldDecryptionError` for a value moved from another row or tampered with. */
  open(factorId: string, sealed: string): Promise<string>;
}

export function createTotpSecretBox(fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'>): TotpSecretBox {
  const context = (rowId: string) => ({ tenantId: PLATFORM_TENANT_ID, table: 'totp_factors', column: 'secret_sealed', rowId });
  return {
    seal: (factorId, secret) => fields.encryptField(context(factorId), secret),
    open: (factorId, sealed) => fields.decryptField(context(factorId), sealed),
  };
}
