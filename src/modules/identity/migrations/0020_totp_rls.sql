-- TOTP factors carry tenant_id (always the platform tenant) so the key maintenance job can
-- re-encrypt their seeds by tenant like every other encrypted column. Every table with tenant_id
-- has forced row-level security: here, rows are visible in the platform tenant's context and in
-- the context with no tenant (platform-level work), never inside an organization's.
alter table totp_factors enable row level security;
alter table totp_factors force row level security;
create policy totp_factors_platform on totp_factors
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
