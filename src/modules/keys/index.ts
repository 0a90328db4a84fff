export { createKeys, keyProviderFor, startKeyMaintenanceLoop, KEY_MAINTENANCE_LOCK_KEY, type Keys, type FieldEncryption, type FieldContext, type KeyMaintenance, type KeyStatus, type KeyProvider } from './keys.ts';
export { createFieldEncryption, createTenantKey, FieldDecryptionError, wrapContext } from './field-encryption.ts';
export { ENCRYPTED_COLUMNS, tenantKeyVersions } from './encrypted-columns.ts';
export type { KeyTables } from './key-tables.ts';
export { keysModule } from './module.ts';
export { KEYS_AUDIT_ACTIONS } from './audit-actions.ts';
