import type { ColumnType } from 'kysely';

/** Tables of documents under NDA (TR-2), merged into the module's `TrustTables`. */
/** Always the platform tenant (the column's default). */
type PlatformTenantId = ColumnType<string, string | undefined, never>;
export type NdaRequestStatus = 'unverified' | 'pending' | 'approved' | 'rejected' | 'revoked';
export type NdaApprovedBy = 'sso_domain' | 'allowed_domain' | 'administrator';

export interface TrustNdaVersionsTable {
  version: number;
  tenant_id: PlatformTenantId;
  body: string;
  sha256: string;
  created_at: Date;
}

export interface TrustNdaDocumentsTable {
  id: string;
  tenant_id: PlatformTenantId;
  entry_id: string;
  content_sealed: string;
  sha256: string;
  size_bytes: number;
  uploaded_at: Date;
}

export interface TrustNdaRequestsTable {
  id: string;
  tenant_id: PlatformTenantId;
  document_id: string;
  email: string;
  name: string;
  company: string;
  nda_version: number;
  nda_sha256: string;
  accepted_at: Date;
  accepted_ip: string | null;
  status: NdaRequestStatus;
  verified_at: Date | null;
  approved_by: NdaApprovedBy | null;
  approved_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface TrustNdaTokensTable {
  id: string;
  tenant_id: PlatformTenantId;
  purpose: 'verify' | 'download';
  token_hash: Buffer;
  request_id: string;
  email: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface TrustNdaAllowedDomainsTable {
  domain: string;
  tenant_id: PlatformTenantId;
  added_at: Date;
}

declare module './trust-tables.ts' {
  interface TrustTables {
    trust_nda_versions: TrustNdaVersionsTable;
    trust_nda_documents: TrustNdaDocumentsTable;
    trust_nda_requests: TrustNdaRequestsTable;
    trust_nda_tokens: TrustNdaTokensTable;
    trust_nda_allowed_domains: TrustNdaAllowedDomainsTable;
  }
}
