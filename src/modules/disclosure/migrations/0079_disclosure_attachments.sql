-- Attachments to vulnerability reports (docs/disclosure.md): bounded in size, count and type,
-- field-encrypted (pk1) under the platform tenant's key, bound to the row: the file's bytes
-- (base64 inside the envelope) and its name, which is reporter text.
create table disclosure_attachments (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  report_id uuid not null references disclosure_reports(id) on delete cascade,
  -- From the allowlist; checked again against the file's first bytes for the binary formats.
  content_type text not null check (length(content_type) <= 100),
  size_bytes integer not null check (size_bytes between 1 and 2097152),
  name_sealed text not null,
  content_sealed text not null,
  created_at timestamptz not null
);
create index disclosure_attachments_report_idx on disclosure_attachments (report_id, created_at);

alter table disclosure_attachments enable row level security;
alter table disclosure_attachments force row level security;
create policy disclosure_attachments_platform on disclosure_attachments
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));

grant select, insert, update, delete on disclosure_attachments to parapet_app;
