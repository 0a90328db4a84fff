-- Issue 18 part 5: the self-serve setup portal (docs/sso.md, "Setup portal"). A Tenant Admin makes
-- an expiring link for the organization's IT administrator, who has no Parapet account. The secret
-- of the link is kept only as an HMAC under the keyring's row-integrity key (a keyed digest: a copy
-- of this table does not let anyone test guesses offline). The first opening binds the link to one
-- browser (the SHA-256 of the portal cookie); nobody can open it again.
create table sso_setup_links (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  secret_mac bytea not null,
  created_by uuid,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  opened_at timestamptz,
  session_digest bytea,
  last_test_at timestamptz,
  last_test_outcome text check (last_test_outcome is null or length(last_test_outcome) <= 200),
  primary key (tenant_id, id),
  check (expires_at > created_at),
  check ((opened_at is null) = (session_digest is null))
);
alter table sso_setup_links enable row level security;
alter table sso_setup_links force row level security;
create policy sso_setup_links_isolation on sso_setup_links using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update on sso_setup_links to parapet_app;

-- A sign-in started from the portal's "test connection" step: its callback records the outcome on
-- the link and opens no session.
alter table sso_login_states add column setup_link_id uuid;
