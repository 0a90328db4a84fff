import type { BuiltInRoleKey } from '../access/index.ts';
import type { KeyMode } from './key-format.ts';

export type KeyCreatorType = 'user' | 'api_key' | 'service_account';

export interface ApiKeysTable {
  tenant_id: string;
  id: string;
  name: string;
  mode: KeyMode;
  /** SHA-256 of the full key string. */
  secret_hash: Buffer;
  role: BuiltInRoleKey | null;
  permissions: string[];
  project_id: string | null;
  environment_id: string | null;
  /**
   * `fields.encryptField(signingSecretContext(tenantId, keyId), secret)` (`pk1.…`; keys made before
   * migration 0013 hold `v1.…` until the key maintenance job rewrites them); null: the key does not sign.
   */
  signing_secret_sealed: string | null;
  created_by_type: KeyCreatorType;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  rotated_to: string | null;
  rotated_from: string | null;
  retires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  /** HMAC over the trusted fields under the `row-integrity` key (key-integrity.ts); a row without a valid one does not exist (issue 13). */
  integrity_mac: Buffer | null;
}

export interface ApiKeySignaturesTable {
  tenant_id: string;
  signature_hash: Buffer;
  key_id: string;
  expires_at: Date;
}

export interface ApiKeysTables {
  api_keys: ApiKeysTable;
  api_key_signatures: ApiKeySignaturesTable;
}
