-- Audit retention (AUD-3): per-organization retention period, and the only way events leave the
-- log: parapet_audit_purge(), which runs as the owner and deletes a whole prefix of the log only
-- when a signed retention checkpoint for exactly that prefix has been stored.

create table audit_settings (
  tenant_id uuid primary key,
  retention_days integer not null check (retention_days between 1 and 3660),
  updated_at timestamptz not null
);
alter table audit_settings enable row level security;
alter table audit_settings force row level security;
create policy audit_settings_isolation on audit_settings using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update on audit_settings to parapet_app;

create function parapet_audit_purge(first_kept bigint) returns bigint
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  tenant uuid := public.parapet_tenant();
  purged bigint;
begin
  if tenant is null then
    raise exception 'parapet: purge needs a tenant context' using errcode = '42501';
  end if;
  if not exists (select 1 from public.audit_checkpoints c where c.tenant_id = tenant and c.size = first_kept and c.kind = 'retention') then
    raise exception 'parapet: purging before seq % needs a signed retention checkpoint of that size', first_kept using errcode = '42501';
  end if;
  perform set_config('parapet.audit_purge', 'on', true);
  delete from public.audit_events e where e.tenant_id = tenant and e.seq < first_kept;
  get diagnostics purged = row_count;
  perform set_config('parapet.audit_purge', 'off', true);
  update public.audit_tree_heads h set first_seq = first_kept where h.tenant_id = tenant and h.first_seq < first_kept;
  return purged;
end
$$;
revoke all on function parapet_audit_purge(bigint) from public;
grant execute on function parapet_audit_purge(bigint) to parapet_app;

-- The retention job finds tenants whose logs have entries (tenant ids only), like the sequencer.
create policy audit_tree_heads_retention_scan on audit_tree_heads for select to parapet_owner using (true);
create function parapet_audit_tenants() returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$ select tenant_id from public.audit_tree_heads where size > first_seq $$;
revoke all on function parapet_audit_tenants() from public;
grant execute on function parapet_audit_tenants() to parapet_app;
