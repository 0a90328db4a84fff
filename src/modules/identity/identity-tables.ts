import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  email: string;
  email_normalized: string;
  display_name: string;
  password_hash: string;
  is_platform_admin: Generated<boolean>;
  created_at: Date;
  updated_at: Date;
  disabled_at: Date | null;
  /** When the user proved control of `email` (a verification, invitation or reset link). */
  email_verified_at: Date | null;
  /** Makes `is_platform_admin` count: see row-integrity.ts (issue 13). */
  platform_admin_mac: Generated<Uint8Array | null>;
  /** Issue 13: MAC over id, email and email_normalized (`user-email/1`, migration 0122); null until upgraded at start. */
  email_mac: Generated<Uint8Array | null>;
}

export interface SessionsTable {
  id: string;
  token_hash: Uint8Array;
  user_id: string;
  auth_methods: string[];
  created_at: Date;
  authenticated_at: Date;
  last_seen_at: Date;
  idle_timeout_seconds: number;
  absolute_expires_at: Date;
  ip: string | null;
  user_agent: string | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  /** HMAC over the identity fields under the `row-integrity` key; a row without a valid one is refused (issue 13). */
  integrity_mac: Uint8Array | null;
  /** Issue 13, property 2: `token_hash` is the keyed digest (row-integrity.ts `storedDigest`); false only on rows from before migration 0095 until the start re-keys them. */
  digest_keyed: Generated<boolean>;
}

export interface SetupTokensTable {
  id: string;
  token_hash: Uint8Array;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  /** Issue 13: HMAC under the keyring's `row-integrity` key (`setup-token/1`, setup-service.ts); a token without a valid one is refused. */
  integrity_mac: Uint8Array | null;
  /** Issue 13, property 2: `token_hash` is the keyed digest (row-integrity.ts `storedDigest`); false only on rows from before migration 0095 until the start re-keys them. */
  digest_keyed: Generated<boolean>;
}

export interface LoginThrottleTable {
  subject: Buffer;
  failures: number;
  first_failure_at: Date;
  last_failure_at: Date;
  locked_until: Date | null;
}

/** Operators that existed before row MACs (migration 0030), MAC'd once at start. */
export interface IdentityOperatorUpgradeTable {
  user_id: string;
}

/** Password hashes that predate sealing (migration 0094), sealed once at start in the jobs context. */
export interface UsersPasswordUpgradeTable {
  user_id: string;
  password_hash: string;
}

/** Addresses that predate their MAC (migration 0122), MAC'd once at start in the jobs context. */
export interface UsersEmailUpgradeTable {
  user_id: string;
  email: string;
  email_normalized: string;
}

export interface IdentityTables {
  identity_operator_upgrade: IdentityOperatorUpgradeTable;
  users_email_upgrade: UsersEmailUpgradeTable;
  users_password_upgrade: UsersPasswordUpgradeTable;
  users: UsersTable;
  sessions: SessionsTable;
  setup_tokens: SetupTokensTable;
  login_throttle: LoginThrottleTable;
}
