-- Tokens for API clients (AUTH-5, docs/identity.md "Tokens for API clients"): opaque refresh tokens,
-- stored as SHA-256 digests, one family per session (the family is the session: revoking the session
-- ends the family). Platform-level, like sessions: it holds no tenant's data.
create table refresh_tokens (
  id uuid primary key,
  token_hash bytea not null unique check (length(token_hash) = 32),
  session_id uuid not null references sessions(id) on delete cascade,
  -- The organization the family's access tokens are scoped to (their `tid`), or null: unscoped.
  organization_id uuid,
  created_at timestamptz not null,
  -- 7 days (PARAPET_REFRESH_TOKEN_DAYS) from the family's first token, copied to every successor.
  family_expires_at timestamptz not null,
  -- Set when the token is exchanged (rotated): from then on it is retired, and presenting it
  -- again is reuse, except within the grace window.
  retired_at timestamptz,
  successor_id uuid references refresh_tokens(id) on delete set null
);
create index refresh_tokens_session_idx on refresh_tokens (session_id, created_at);

grant select, insert, update, delete on refresh_tokens to parapet_app;

-- Reuse of a retired refresh token raises a security alert in each organization of its user.
alter table security_alerts drop constraint security_alerts_kind_check;
alter table security_alerts add constraint security_alerts_kind_check check (kind in ('break_glass', 'refresh_token_reused'));

-- The organizations a user belongs to (ids only), for alerts raised outside any organization's context.
-- The function runs as its owner, whom forced RLS restricts too: this policy lets it read memberships.
create policy memberships_user_lookup on memberships for select to parapet_owner using (true);
create function parapet_user_organizations(member uuid) returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select m.tenant_id from public.memberships m where m.user_id = member
$$;
revoke all on function parapet_user_organizations(uuid) from public;
grant execute on function parapet_user_organizations(uuid) to parapet_app;
