import type { ColumnType } from 'kysely';

/** `tenant_keys` (migration 0011): one row per version of an organization's tenant key. */
export interface TenantKeysTable {
  tenant_id: string;
  version: number;
  state: 'active' | 'retired' | 'destroyed';
  root_version: string;
  wrapped: Uint8Array | null;
  wrapped_at: Date;
  encryptions: ColumnType<string | number | bigint, string | number | bigint, string | number | bigint>;
  created_at: Date;
  retired_at: Date | null;
  destroyed_at: Date | null;
}

export interface KeyTables {
  tenant_keys: TenantKeysTable;
}
