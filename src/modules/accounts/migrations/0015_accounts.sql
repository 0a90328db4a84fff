-- Accounts (docs/identity.md, "Accounts"): verified email addresses, single-use account links
-- (email verification, password reset, email change), invitations to organizations, and the
-- delivery status of outgoing mail.

alter table users add column email_verified_at timestamptz;

-- Single-use links sent by mail. Only SHA-256 of the token is stored. Platform-level: a user's
-- own account, no tenant's data.
create table account_tokens (
  id uuid primary key,
  user_id uuid not null references users(id) on delete cascade,
  purpose text not null check (purpose in ('verify_email', 'reset_password', 'change_email', 'report_email_change')),
  token_hash bytea not null unique check (length(token_hash) = 32),
  -- The address the link is about: the one to verify, or the new address of a change.
  email text check (email is null or length(email) between 3 and 254),
  -- change_email: the session that asked, which survives the change.
  session_id uuid,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);
create index account_tokens_user_idx on account_tokens (user_id, purpose);
create index account_tokens_expires_idx on account_tokens (expires_at);

-- An invitation to join an organization with a role. Tenant-owned.
create table invitations (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  email text not null check (length(email) between 3 and 254),
  email_normalized text not null,
  -- A built-in role key or a custom role id of this organization, granted at organization scope.
  role text not null check (length(role) between 1 and 64),
  token_hash bytea not null unique check (length(token_hash) = 32),
  invited_by uuid references users(id) on delete set null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references users(id) on delete set null,
  revoked_at timestamptz,
  primary key (tenant_id, id)
);
create index invitations_email_idx on invitations (tenant_id, email_normalized);

alter table invitations enable row level security;
alter table invitations force row level security;
create policy invitations_isolation on invitations using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

-- Delivery status of outgoing mail: never the body (its links carry tokens). Platform-level.
create table mail_deliveries (
  id uuid primary key,
  kind text not null,
  recipient text not null,
  transport text not null,
  status text not null check (status in ('sending', 'sent', 'failed')),
  attempts integer not null,
  last_error text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index mail_deliveries_created_idx on mail_deliveries (created_at);

grant select, insert, update, delete on account_tokens, invitations, mail_deliveries to parapet_app;
