-- Issue 13, property 4: parapet_api_key_tenant answered with the organization of any API key id,
-- to anyone who could call it (an injection could map key ids to tenants). It now takes the
-- presented key's SHA-256 too and answers only when both match one key: whoever can call it with
-- a right answer already holds the key. Unique on id (api_keys_id_idx), so still one index lookup.
drop function parapet_api_key_tenant(uuid);
create function parapet_api_key_tenant(key_id uuid, presented_hash bytea) returns uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select k.tenant_id from public.api_keys k where k.id operator(pg_catalog.=) key_id and k.secret_hash operator(pg_catalog.=) presented_hash
$$;
revoke all on function parapet_api_key_tenant(uuid, bytea) from public;
grant execute on function parapet_api_key_tenant(uuid, bytea) to parapet_app;
