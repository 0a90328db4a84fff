import type { RowIntegrity } from '../identity/index.ts';
import type { ApiKeyRow } from './api-keys-store.ts';

/** The part of the identity module's row MACs the API key store needs. */
export type KeyIntegrity = Pick<RowIntegrity, 'rowMac' | 'rowValid'>;

/** A key row without its MAC column (as the service builds one before the insert). */
export type UnsealedKeyRow = Omit<ApiKeyRow, 'integrity_mac'>;

/**
 * Issue 13, property 1: the fields of an API key the application trusts, under the keyring's
 * `row-integrity` key. The row id, tenant and creator, the digest a presented key must match, what
 * it may do and where, whether it must sign, its lifetime and its rotation and revocation (so SQL
 * cannot un-revoke a key or lengthen its overlap). Name, usage and the sealed secret's ciphertext
 * (itself bound to tenant, table, column and row) are left out: they change without the service.
 */
const fields = (row: UnsealedKeyRow): unknown[] => [
  row.tenant_id,
  row.id,
  row.mode,
  row.secret_hash,
  row.role,
  row.permissions,
  row.project_id,
  row.environment_id,
  row.signing_secret_sealed !== null,
  row.created_by_type,
  row.created_by,
  row.created_at,
  row.expires_at,
  row.rotated_to,
  row.rotated_from,
  row.retires_at,
  row.revoked_at,
];

export const API_KEY_ROW = 'api-key/1';

export function keyMac(integrity: KeyIntegrity, row: UnsealedKeyRow): Buffer {
  return integrity.rowMac(API_KEY_ROW, fields(row));
}

/** True when the row carries its MAC; a false answer is logged (ids only) and the row counts as absent. */
export function keyValid(integrity: KeyIntegrity, row: ApiKeyRow): boolean {
  return integrity.rowValid(API_KEY_ROW, fields(row), row.integrity_mac, { table: 'api_keys', id: row.id, tenantId: row.tenant_id });
}
