-- Authenticated tenant context.
--
-- Requests run as parapet_app inside a transaction whose settings name the tenant and actor
-- (`parapet.tenant_id`, `parapet.actor_id`). Any SQL running as parapet_app could set those
-- settings itself, so they are accompanied by `parapet.context_mac`, an HMAC-SHA256 over both
-- values under a key that lives in the application's keyring and, here, in a schema that
-- parapet_app cannot read. Row-level security policies call parapet_tenant()/parapet_actor(),
-- which verify the MAC: hand-written SQL that forges a tenant id is refused.

create schema parapet_private;
revoke all on schema parapet_private from public;

create table parapet_private.context_key (
  id smallint primary key check (id = 1),
  -- HMAC inner and outer keys (K xor ipad, K xor opad), precomputed by the application.
  ipad bytea not null check (length(ipad) = 64),
  opad bytea not null check (length(opad) = 64),
  installed_at timestamptz not null default now()
);
revoke all on parapet_private.context_key from public;

-- Returns the verified context string, '' when none is set; raises when a context is set
-- without a valid MAC.
create function parapet_private.verified_context() returns text
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  ctx text := coalesce(current_setting('parapet.context', true), '');
  mac text := coalesce(current_setting('parapet.context_mac', true), '');
  k record;
begin
  if ctx = '' then
    return '';
  end if;
  select ipad, opad into k from parapet_private.context_key where id = 1;
  -- Compare digests of the two MACs so the comparison time does not depend on their common prefix.
  if k.ipad is null
     or mac !~ '^[0-9a-f]{64}$'
     or sha256(sha256(k.opad || sha256(k.ipad || convert_to(ctx, 'UTF8')))) <> sha256(decode(mac, 'hex')) then
    raise exception 'parapet: tenant context is not authenticated' using errcode = '42501';
  end if;
  return ctx;
end
$$;

-- The tenant of the current transaction, or null when none is set (then policies match no rows).
create function parapet_tenant() returns uuid
language sql stable
set search_path = pg_catalog, pg_temp
as $$ select nullif(split_part(parapet_private.verified_context(), '|', 1), '')::uuid $$;

-- The user acting in the current transaction, or null.
create function parapet_actor() returns uuid
language sql stable
set search_path = pg_catalog, pg_temp
as $$ select nullif(split_part(parapet_private.verified_context(), '|', 2), '')::uuid $$;

grant usage on schema parapet_private to parapet_app;
revoke all on function parapet_private.verified_context() from public;
grant execute on function parapet_private.verified_context() to parapet_app;
grant execute on function parapet_tenant() to parapet_app;
grant execute on function parapet_actor() to parapet_app;
