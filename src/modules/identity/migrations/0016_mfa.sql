-- Multi-factor authentication (AUTH-2, docs/identity.md): TOTP factors, recovery codes, and the
-- short-lived pending sign-in between the password and the second factor. Platform-level tables
-- (users are platform-level); none holds a tenant's data.

-- A TOTP factor (RFC 6238). The seed is field-encrypted (`pk1.…`) under the platform tenant's key,
-- bound to this row's id, so a ciphertext copied to another row or user does not decrypt.
-- `tenant_id` is always the platform tenant: the key maintenance job re-encrypts by tenant.
create table totp_factors (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  user_id uuid not null references users(id) on delete cascade,
  secret_sealed text not null,
  -- RFC 6238 §5.2: a code is accepted once. The last accepted time step, advanced atomically.
  last_used_step bigint,
  -- Null while enrolment waits for a first valid code.
  confirmed_at timestamptz,
  created_at timestamptz not null,
  last_used_at timestamptz
);
create index totp_factors_user_idx on totp_factors (user_id);
-- One confirmed TOTP factor per user (a pending one may wait beside it only until confirmed).
create unique index totp_factors_one_confirmed on totp_factors (user_id) where confirmed_at is not null;

-- Single-use recovery codes: 80 random bits each, so an unsalted SHA-256 is enough (no dictionary).
create table mfa_recovery_codes (
  user_id uuid not null references users(id) on delete cascade,
  code_hash bytea not null check (length(code_hash) = 32),
  created_at timestamptz not null,
  used_at timestamptz,
  primary key (user_id, code_hash)
);

-- A password accepted for an account with MFA: grants nothing but the MFA endpoints, for 5 minutes,
-- through its own cookie (only the SHA-256 of its secret is stored). Consumed once.
create table mfa_pending_logins (
  id uuid primary key,
  token_hash bytea not null unique check (length(token_hash) = 32),
  user_id uuid not null references users(id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  failed_attempts integer not null default 0 check (failed_attempts >= 0),
  consumed_at timestamptz,
  ip text,
  user_agent text
);
create index mfa_pending_logins_user_idx on mfa_pending_logins (user_id);
create index mfa_pending_logins_expires_idx on mfa_pending_logins (expires_at);

grant select, insert, update, delete on totp_factors, mfa_recovery_codes, mfa_pending_logins to parapet_app;

-- The platform tenant (00000000-…) holds a tenant key for the platform's own encrypted fields (TOTP
-- seeds) but is no organization: the foreign key moves to a generated column that is null for it,
-- so deleting an organization still deletes its keys (crypto-shredding) and no other id is allowed.
alter table tenant_keys drop constraint tenant_keys_tenant_id_fkey;
alter table tenant_keys add column organization_id uuid
  generated always as (nullif(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)) stored
  references organizations(id) on delete cascade;
