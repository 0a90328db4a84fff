-- Attestations (issue 20 item 3; docs/trust-center.md "Attestations"): an uploaded evidence file
-- per attestation — a PDF, PNG or JPEG of at most 10 MiB — field-encrypted under the platform
-- tenant's envelope key and bound to its row (`content_sealed`, base64 of the bytes, docs/encryption.md),
-- re-encrypted by key rotation like every encrypted column. Like the NDA documents (0067) the table
-- carries the platform tenant's id under forced RLS, so no organization's context sees a row.
create table trust_attestation_files (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  attestation_id uuid not null unique references trust_attestations(id) on delete cascade,
  content_type text not null check (content_type in ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes integer not null check (size_bytes between 1 and 10485760),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  content_sealed text not null,
  uploaded_at timestamptz not null
);
alter table trust_attestation_files enable row level security;
alter table trust_attestation_files force row level security;
create policy trust_attestation_files_platform on trust_attestation_files
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
grant select, insert, update, delete on trust_attestation_files to parapet_app;

-- The review day for which a "lapses soon" security alert was raised: one alert per review period.
alter table trust_attestations add column lapse_alerted_for date;
