import type { Tx } from '../../database.ts';
/**
 * Every column that holds field-encrypted values (ENC-1). The key maintenance job re-encrypts
 * values under an old tenant key version (or the pre-envelope `v1.` format) from this list, and
 * counts references before a version retires; docs/encryption.md lists the same columns.
 */
export interface EncryptedColumn {
  readonly table: string;
  readonly column: string;
  /** The row id column bound into the associated data (with tenant_id). */
  readonly rowId: string;
}

export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = Object.freeze([
  { table: 'audit_destinations', column: 'secret_sealed', rowId: 'id' },
  // AUTH-8 request-signing secrets of API keys.
  { table: 'api_keys', column: 'signing_secret_sealed', rowId: 'id' },
  // ENC-4: the outer (envelope) layer of secret values; the inner secrets layer is untouched by rotation.
  { table: 'secret_versions', column: 'value_encrypted', rowId: 'id' },
  // TOTP seeds (AUTH-2, ENC-4), under the platform tenant's key.
  { table: 'totp_factors', column: 'secret_sealed', rowId: 'id' },
  // AUTH-4: OIDC client secrets of SSO connections (ENC-4).
  { table: 'sso_connections', column: 'oidc_client_secret_sealed', rowId: 'id' },
  // AUTH-4: the SP's decryption keys of SAML connections with encrypted assertions (ENC-4).
  { table: 'sso_connections', column: 'saml_sp_decryption_key_sealed', rowId: 'id' },
  // Vulnerability report titles and bodies (VDP-2), under the platform tenant's key.
  { table: 'disclosure_reports', column: 'content_sealed', rowId: 'id' },
  // Researcher portal messages and attachments (names and bytes), under the platform tenant's key.
  { table: 'disclosure_messages', column: 'body_sealed', rowId: 'id' },
  { table: 'disclosure_attachments', column: 'name_sealed', rowId: 'id' },
  { table: 'disclosure_attachments', column: 'content_sealed', rowId: 'id' },
  // PDFs of trust center documents under NDA (TR-2), under the platform tenant's key.
  { table: 'trust_nda_documents', column: 'content_sealed', rowId: 'id' },
  // Evidence files of trust center attestations, under the platform tenant's key.
  { table: 'trust_attestation_files', column: 'content_sealed', rowId: 'id' },
]);

/** The organization's tenant key versions, and the newest active one with its creation time (ENC-1 and ENC-2 checks). */
export async function tenantKeyVersions(tx: Tx, tenantId: string): Promise<{ versions: Set<number>; active: { version: number; createdAt: Date } | undefined }> {
  const rows = await tx.selectFrom('tenant_keys').select(['version', 'state', 'created_at']).where('tenant_id', '=', tenantId).orderBy('version', 'desc').execute();
  const active = rows.find((row) => row.state === 'active');
  return { versions: new Set(rows.map((row) => row.version)), active: active === undefined ? undefined : { version: active.version, createdAt: active.created_at } };
}
