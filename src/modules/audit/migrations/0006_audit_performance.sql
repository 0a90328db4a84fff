-- Audit log performance (docs/benchmarks-audit.md). The sequencer no longer stores level-0 tree
-- nodes: a leaf's hash is already audit_events.leaf_hash, and proofs read it there. Purging events
-- (retention) would take those hashes with them, so the purge now first copies the leaf hashes of
-- the purged range into audit_tree_nodes as level-0 nodes: as before, tree hashes outlive the
-- events and proofs of later entries (and between older checkpoints) still work.

create or replace function parapet_audit_purge(first_kept bigint) returns bigint
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
  insert into public.audit_tree_nodes (tenant_id, level, index, hash)
    select e.tenant_id, 0, e.seq, e.leaf_hash from public.audit_events e where e.tenant_id = tenant and e.seq < first_kept
    on conflict (tenant_id, level, index) do nothing;
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

-- Operations: how many recorded events wait in the inbox across all tenants, for the
-- parapet_audit_inbox_events metric. A number only; like parapet_audit_pending_tenants it runs as
-- the owner, whose read-only policy sees every tenant's inbox.
create function parapet_audit_inbox_depth() returns bigint
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$ select count(*) from public.audit_inbox $$;
revoke all on function parapet_audit_inbox_depth() from public;
grant execute on function parapet_audit_inbox_depth() to parapet_app;
