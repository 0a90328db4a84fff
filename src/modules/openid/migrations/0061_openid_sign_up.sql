-- Self-service sign-up per environment (issue 17, docs/openid-provider.md).

-- How new accounts come to an environment's applications: off (the default when there is no
-- row), invite_only (organization invitations only) or open (anyone, with email verification),
-- optionally limited to some email domains.
create table oidc_sign_up_settings (
  tenant_id uuid not null references organizations(id) on delete cascade,
  environment_id uuid not null,
  mode text not null check (mode in ('off', 'invite_only', 'open')),
  allowed_domains text[] not null default '{}' check (cardinality(allowed_domains) <= 50),
  updated_by uuid,
  updated_at timestamptz not null,
  primary key (tenant_id, environment_id),
  foreign key (tenant_id, environment_id) references environments (tenant_id, id) on delete cascade
);
alter table oidc_sign_up_settings enable row level security;
alter table oidc_sign_up_settings force row level security;
create policy oidc_sign_up_settings_isolation on oidc_sign_up_settings using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on oidc_sign_up_settings to parapet_app;

-- A sign-up waiting for its address to be confirmed. The account is created only when the link is
-- used (single use, expiring); the link's token is stored as its SHA-256 only, the password as its
-- argon2id hash. Rows belong to the organization whose application the person signed up to.
create table oidc_sign_ups (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  environment_id uuid not null,
  client_id uuid not null,
  email text not null check (length(email) between 3 and 254),
  email_normalized text not null,
  password_hash text not null,
  token_hash bytea not null check (octet_length(token_hash) = 32),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, environment_id) references environments (tenant_id, id) on delete cascade
);
create unique index oidc_sign_ups_token_idx on oidc_sign_ups (tenant_id, token_hash);
create index oidc_sign_ups_expiry_idx on oidc_sign_ups (expires_at);
alter table oidc_sign_ups enable row level security;
alter table oidc_sign_ups force row level security;
create policy oidc_sign_ups_isolation on oidc_sign_ups using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on oidc_sign_ups to parapet_app;
