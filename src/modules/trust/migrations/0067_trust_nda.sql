-- Documents under NDA (TR-2; docs/trust-center.md "Documents under NDA"): the versioned NDA text,
-- the encrypted files, each visitor's request with the exact NDA version accepted, and the
-- single-use links mailed to them. Platform-level like the disclosure tables (0052): every table
-- carries tenant_id (always the platform tenant) and forced RLS, so the key maintenance job
-- re-encrypts `content_sealed` by tenant and no organization's context ever sees a row.

-- The click-through NDA, one row per version; a version is never edited (the app may only insert).
create table trust_nda_versions (
  version integer primary key check (version >= 1),
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  body text not null check (length(body) between 1 and 50000),
  -- SHA-256 (hex) of the UTF-8 text exactly as shown to the visitor.
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null
);

-- The PDF of a trust entry of kind `document` with access `nda`, field-encrypted (`pk1.…`, base64
-- of the bytes) under the platform tenant's key, bound to this row. One file per entry.
create table trust_nda_documents (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  entry_id uuid not null unique references trust_entries(id) on delete cascade,
  content_sealed text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes integer not null check (size_bytes > 0),
  uploaded_at timestamptz not null
);

-- A visitor's request for one document: who (lower-cased email, name, company), the NDA version
-- and its SHA-256 they accepted, when and from which address, and where the request stands.
create table trust_nda_requests (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  document_id uuid not null references trust_nda_documents(id) on delete cascade,
  email text not null check (length(email) between 3 and 254),
  name text not null check (length(name) between 1 and 200),
  company text not null check (length(company) between 1 and 200),
  nda_version integer not null references trust_nda_versions(version),
  nda_sha256 text not null check (nda_sha256 ~ '^[0-9a-f]{64}$'),
  accepted_at timestamptz not null,
  accepted_ip text,
  status text not null check (status in ('unverified', 'pending', 'approved', 'rejected', 'revoked')),
  verified_at timestamptz,
  -- `sso_domain`, `allowed_domain` (rules) or `administrator`.
  approved_by text check (approved_by in ('sso_domain', 'allowed_domain', 'administrator')),
  approved_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index trust_nda_requests_email_idx on trust_nda_requests (email, created_at);
create index trust_nda_requests_status_idx on trust_nda_requests (status, created_at);

-- Single-use, expiring links: `verify` proves the address, `download` releases the file once.
-- Only the SHA-256 of the token is stored.
create table trust_nda_tokens (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  purpose text not null check (purpose in ('verify', 'download')),
  token_hash bytea not null unique,
  request_id uuid not null references trust_nda_requests(id) on delete cascade,
  email text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);
create index trust_nda_tokens_request_idx on trust_nda_tokens (request_id);

-- Email domains whose verified requesters are approved without a person (besides organizations'
-- verified SSO domains).
create table trust_nda_allowed_domains (
  domain text primary key check (domain ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  added_at timestamptz not null
);

alter table trust_nda_versions enable row level security;
alter table trust_nda_versions force row level security;
create policy trust_nda_versions_platform on trust_nda_versions
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table trust_nda_documents enable row level security;
alter table trust_nda_documents force row level security;
create policy trust_nda_documents_platform on trust_nda_documents
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table trust_nda_requests enable row level security;
alter table trust_nda_requests force row level security;
create policy trust_nda_requests_platform on trust_nda_requests
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table trust_nda_tokens enable row level security;
alter table trust_nda_tokens force row level security;
create policy trust_nda_tokens_platform on trust_nda_tokens
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table trust_nda_allowed_domains enable row level security;
alter table trust_nda_allowed_domains force row level security;
create policy trust_nda_allowed_domains_platform on trust_nda_allowed_domains
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));

-- An accepted NDA version is evidence: the application may add versions, never change one.
grant select, insert on trust_nda_versions to parapet_app;
grant select, insert, update, delete on trust_nda_documents, trust_nda_requests, trust_nda_tokens, trust_nda_allowed_domains to parapet_app;
