import type { Transaction } from 'kysely';
import type { AccessTables } from './modules/access/access-tables.ts';
import type { AccessRequestsTables } from './modules/access-requests/access-requests-tables.ts';
import type { ApiKeysTables } from './modules/api-keys/api-keys-tables.ts';
import type { AuditTables } from './modules/audit/audit-tables.ts';
import type { StreamingTables } from './modules/audit/streaming/index.ts';
import type { IdentityTables } from './modules/identity/identity-tables.ts';
import type { MfaTables } from './modules/identity/mfa/mfa-tables.ts';
import type { TenantsTables } from './modules/tenants/tenants-tables.ts';
import type { OAuthTables } from './modules/oauth/oauth-tables.ts';
import type { SecretsTables } from './modules/secrets/secrets-tables.ts';
import type { PasskeysTables } from './modules/passkeys/passkeys-tables.ts';
import type { UserTokensTables } from './modules/tokens/user-tokens-tables.ts';
import type { KeyTables } from './platform/crypto/key-tables.ts';
import type { LifecycleTables } from './modules/lifecycle/lifecycle-tables.ts';
import type { Transactor } from './platform/db/index.ts';

/** Every table Parapet's application code queries, composed from the modules that own them. */
export interface DB extends IdentityTables, TenantsTables, AuditTables, StreamingTables, AccessTables, AccessRequestsTables, ApiKeysTables, KeyTables, OAuthTables, SecretsTables, LifecycleTables, MailTables, AccountsTables, MfaTables, PasskeysTables, UserTokensTables {}
import type { MailTables } from './platform/mail/mail-tables.ts';
import type { AccountsTables } from './modules/accounts/accounts-tables.ts';


export type Tx = Transaction<DB>;
export type AppTransactor = Transactor<DB>;

/**
 * Tables that hold no tenant's data and so are exempt from row-level security. Every other table
 * must have forced RLS (checked by `parapet doctor` and the isolation tests).
 */
export const PLATFORM_TABLES: ReadonlySet<string> = new Set([
  'parapet_migrations',
  'users',
  'sessions',
  'setup_tokens',
  // Failed sign-in counters keyed by an HMAC of the email: no tenant's data (AUTH-6).
  'login_throttle',
  // Pending account deletions and the tombstones of deleted accounts: users are platform-level (DATA-3).
  'user_deletions',
  'account_tombstones',
  // Single-use account links (verification, reset, email change) of a user's own account.
  'account_tokens',
  // Delivery status of outgoing mail (no bodies).
  'mail_deliveries',
  // Second factors of users (platform-level accounts): TOTP seeds (encrypted), recovery-code
  // digests, pending MFA sign-ins (AUTH-2).
  'totp_factors',
  'mfa_recovery_codes',
  'mfa_pending_logins',
  // WebAuthn credentials and their pending challenges belong to users, which are platform-level;
  // the API reads only the signed-in user's own rows (AUTH-3).
  'passkeys',
  'webauthn_challenges',
  // API clients' refresh tokens: bound to a (platform-level) session, no tenant's data (AUTH-5).
  'refresh_tokens',
  // The audit log's signing key names and public key (no tenant's data).
  'audit_log_keys',
]);
