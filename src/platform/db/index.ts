export { openDatabase, openPglite, type Database, type DatabaseKind, type OwnerSession } from './connect.ts';
export { migrate, readMigrations, MigrationError, MIGRATIONS_DIR, OWNER_ROLE, type Migration } from './migrate.ts';
export { createTransactor, APP_ROLE, ContextError, type Transactor } from './transactor.ts';
export { contextMessage, createBoundContextSigner, createContextSigner, CONTEXT_MAC_LIFETIME_MS, type BoundContext, type ContextSigner } from './context-key.ts';
export { isUniqueViolation, conflictOnDuplicate, isForeignKeyViolation, notFoundOnMissingParent } from './errors.ts';
export { inspectTables, isolationViolations, type TableSecurity } from './inspect.ts';
