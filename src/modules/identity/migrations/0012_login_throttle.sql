-- Brute-force protection (AUTH-6, docs/first-login.md): one row per account identifier that has
-- failed to sign in, keyed by an HMAC of the normalized email so the table holds no addresses and
-- treats existing and unknown accounts alike. Platform-level: it holds no tenant's data.
create table login_throttle (
  subject bytea primary key check (length(subject) = 32),
  failures integer not null check (failures >= 0),
  first_failure_at timestamptz not null,
  last_failure_at timestamptz not null,
  locked_until timestamptz
);
create index login_throttle_last_failure_idx on login_throttle (last_failure_at);

grant select, insert, update, delete on login_throttle to parapet_app;
