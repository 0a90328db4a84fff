-- A durable outbox for OpenID Back-Channel Logout (issue 17, docs/openid-provider.md): a logout
-- notice owed to an application survives the sending node's restart and is retried with backoff by
-- the leader's background job (advisory lock 7450104091) until delivered or given up. One row per
-- (application, sid) still owed; a row holds no token (each attempt signs a new one).
-- Platform table, like oidc_grant_sessions whose ended rows feed it: a notice is owed when a
-- platform-level Parapet session ends, and the row names only the application, the user id and the
-- provider's sid.
create table oidc_backchannel_outbox (
  id uuid primary key,
  client_id uuid not null,
  user_id uuid not null,
  sid text not null check (length(sid) between 1 and 100),
  attempts integer not null default 0 check (attempts >= 0),
  -- When the next attempt is due; a claimed row is pushed forward by a lease so one node sends it.
  next_attempt_at timestamptz not null,
  last_error text check (last_error is null or length(last_error) <= 200),
  created_at timestamptz not null,
  unique (client_id, sid)
);
create index oidc_backchannel_outbox_due_idx on oidc_backchannel_outbox (next_attempt_at);
grant select, insert, update, delete on oidc_backchannel_outbox to parapet_app;
