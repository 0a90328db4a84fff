-- Passkeys and security keys (AUTH-3, docs/identity.md "Passkeys and security keys").
-- Platform-level: users are platform-level, and a credential belongs to a user, not to an
-- organization (one passkey signs a user in to every organization they belong to). Public keys
-- are not secret, but the API only ever reads a user's own rows.

create table passkeys (
  id uuid primary key,
  user_id uuid not null references users(id) on delete cascade,
  -- The WebAuthn credential id (base64url), unique across all users: a credential id registered
  -- once is refused a second time (WebAuthn L3 §7.1 step 26).
  credential_id text not null unique check (length(credential_id) between 1 and 1400),
  -- The COSE_Key from the attested credential data.
  public_key bytea not null check (octet_length(public_key) between 1 and 8192),
  -- The signature counter (uint32) last seen; 0 for authenticators that do not count.
  counter bigint not null check (counter between 0 and 4294967295),
  transports text[] not null,
  aaguid uuid not null,
  -- The WebAuthn user handle (user.id) the credential was created with; compared with the
  -- userHandle of discoverable-credential assertions.
  user_handle bytea not null check (octet_length(user_handle) between 1 and 64),
  -- Authenticator data flags BE (backup eligible: a synced, multi-device passkey) and BS (backed up).
  backup_eligible boolean not null,
  backed_up boolean not null,
  name text not null check (length(name) between 1 and 100),
  created_at timestamptz not null,
  last_used_at timestamptz
);
create index passkeys_user_idx on passkeys (user_id, created_at);

-- Outstanding WebAuthn challenges: at most one per (purpose, binding), where the binding is a
-- SHA-256 of what the ceremony is tied to (the session, the sign-in ceremony cookie, or the
-- pending MFA state). Consumed by DELETE … RETURNING, so each is used at most once.
create table webauthn_challenges (
  purpose text not null check (purpose in ('registration', 'passwordless', 'second_factor')),
  binding bytea not null check (octet_length(binding) = 32),
  challenge text not null check (length(challenge) between 16 and 128),
  user_id uuid references users(id) on delete cascade,
  user_handle bytea check (octet_length(user_handle) between 1 and 64),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (purpose, binding)
);
create index webauthn_challenges_expires_idx on webauthn_challenges (expires_at);

grant select, insert, update, delete on passkeys, webauthn_challenges to parapet_app;
