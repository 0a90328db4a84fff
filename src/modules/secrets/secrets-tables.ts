import type { ActorType } from '../audit/index.ts';

/** A named secret of one environment (ENC-4). Its values live in `secret_versions`. */
export interface SecretsTable {
  tenant_id: string;
  id: string;
  project_id: string;
  environment_id: string;
  name: string;
  current_version: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  deleted_by: string | null;
}

/** One value of a secret, encrypted twice: `encryptField(secretLayer.seal(value))`. */
export interface SecretVersionsTable {
  tenant_id: string;
  secret_id: string;
  id: string;
  version: number;
  /** The tenant envelope (`pk1.…`) around the secrets layer (`ps1.…`); see secrets-store.ts. */
  value_encrypted: string;
  created_at: Date;
  created_by_type: ActorType;
  created_by: string | null;
  superseded_at: Date | null;
}

export interface SecretsTables {
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
}
