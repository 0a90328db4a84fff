-- The tenant context, bound to its connection, its transaction and a short expiry (issue 13 part 3),
-- and verified once per transaction instead of once per statement (issue 16).
--
-- Before: the transaction carried `parapet.context` and `parapet.context_mac` (an HMAC over
-- `tenant|actor` only) in settings, and every statement's RLS check recomputed the HMAC. SQL
-- running as parapet_app could read the MAC with current_setting() and replay it from any
-- connection, for as long as the keyring stayed the same.
--
-- Now:
-- 1. The application sends `parapet_private.enter_context(context, expires_at, mac)` as a bind
--    parameter; the MAC covers `v2|tenant|actor|<backend pid>|<expires_at>` (milliseconds since
--    the epoch, a few seconds out). The function checks it once and never stores it anywhere SQL
--    can read: a MAC made for one server connection is refused on any other, and after it expires.
-- 2. On success it records the verification in this session's currval() of an unlogged sequence
--    that parapet_app may read (SELECT: currval) but not advance or set (no USAGE, no UPDATE):
--    the value is 64 bits of SHA-256 over the context, the backend pid and the transaction's start
--    time. Settings can be forged by any SQL; currval() can be changed only by this function.
-- 3. The policies' functions keep their names and signatures. verified_context() compares the
--    context setting with that record: no HMAC, no key read, no SECURITY DEFINER switch per
--    statement. A context changed by hand, carried over from an earlier transaction, or never
--    entered is refused with the same error as before.

create unlogged sequence parapet_private.context_binding
  as bigint minvalue -9223372036854775808 maxvalue 9223372036854775807 start 0 no cycle;
revoke all on sequence parapet_private.context_binding from public;
-- SELECT allows currval() (this session's own value) and nothing that changes the sequence.
grant select on sequence parapet_private.context_binding to parapet_app;

-- 64 bits of SHA-256 over the context, this backend and this transaction's start. Not secret: what
-- makes it unforgeable is that only enter_context() can put it into currval().
-- Inlinable (no SET clause), so every name is qualified: the caller controls search_path.
create function parapet_private.context_binding_of(context pg_catalog.text) returns pg_catalog.int8
language sql stable
as $$
  select ('x' operator(pg_catalog.||) pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
           context operator(pg_catalog.||) '|' operator(pg_catalog.||) pg_catalog.pg_backend_pid()::pg_catalog.text
             operator(pg_catalog.||) '|' operator(pg_catalog.||) pg_catalog.extract('epoch', pg_catalog.transaction_timestamp())::pg_catalog.text,
           'UTF8')), 'hex'), 16))::pg_catalog.bit(64)::pg_catalog.int8
$$;
revoke all on function parapet_private.context_binding_of(pg_catalog.text) from public;

-- Verifies the MAC the application computed for this connection and enters the context for the
-- rest of the transaction. Raises 42501 when the MAC is wrong, bound to another backend, expired,
-- or expires implausibly far ahead (more than 5 minutes: the application mints seconds).
create function parapet_private.enter_context(context pg_catalog.text, expires_at pg_catalog.int8, mac pg_catalog.text) returns pg_catalog.text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  k record;
  now_ms int8 := (extract(epoch from statement_timestamp()) * 1000)::int8;
  binding int8;
begin
  select ipad, opad into k from parapet_private.context_key where id = 1;
  -- Compare digests of the two MACs so the comparison time does not depend on their common prefix.
  if k.ipad is null
     or context is null
     or context !~ '^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$'
     or context = '|'
     or mac is null or mac !~ '^[0-9a-f]{64}$'
     or expires_at is null or expires_at < now_ms or expires_at > now_ms + 300000
     or sha256(sha256(k.opad || sha256(k.ipad || convert_to(
          'v2|' || context || '|' || pg_backend_pid()::text || '|' || expires_at::text, 'UTF8'))))
        <> sha256(decode(mac, 'hex')) then
    raise exception 'parapet: tenant context is not authenticated' using errcode = '42501';
  end if;
  binding := parapet_private.context_binding_of(context);
  perform setval('parapet_private.context_binding', binding, true);
  perform set_config('parapet.context', context, true);
  perform set_config('parapet.context_binding', binding::text, true);
  return context;
end
$$;
revoke all on function parapet_private.enter_context(pg_catalog.text, pg_catalog.int8, pg_catalog.text) from public;
grant execute on function parapet_private.enter_context(pg_catalog.text, pg_catalog.int8, pg_catalog.text) to parapet_app;

-- Same name, signature and contract as in 0001: the verified context, '' when none is set; raises
-- when a context is set that enter_context() did not verify in this transaction on this backend.
-- SECURITY INVOKER and no SET clause (both cost a configuration switch per call); every name is
-- schema-qualified instead, since the caller controls search_path.
create or replace function parapet_private.verified_context() returns pg_catalog.text
language plpgsql stable
as $$
declare
  ctx pg_catalog.text := pg_catalog.current_setting('parapet.context', true);
  recorded pg_catalog.text := pg_catalog.current_setting('parapet.context_binding', true);
begin
  if ctx is null or ctx operator(pg_catalog.=) '' then
    return '';
  end if;
  if recorded is null
     or recorded operator(pg_catalog.!~) '^-?[0-9]{1,19}$'
     or recorded::pg_catalog.int8 operator(pg_catalog.<>) parapet_private.context_binding_of(ctx)
     -- currval() raises if enter_context() never ran in this session: refused either way.
     or pg_catalog.currval('parapet_private.context_binding'::pg_catalog.regclass) operator(pg_catalog.<>) recorded::pg_catalog.int8 then
    raise exception 'parapet: tenant context is not authenticated' using errcode = '42501';
  end if;
  return ctx;
end
$$;

-- The two functions every policy calls, unchanged in name and result, now plain SQL that the planner
-- inlines into the policy's InitPlan (no SET clause, names qualified).
create or replace function parapet_tenant() returns pg_catalog.uuid
language sql stable
as $$ select nullif(pg_catalog.split_part(parapet_private.verified_context(), '|', 1), '')::pg_catalog.uuid $$;

create or replace function parapet_actor() returns pg_catalog.uuid
language sql stable
as $$ select nullif(pg_catalog.split_part(parapet_private.verified_context(), '|', 2), '')::pg_catalog.uuid $$;

-- context_binding_of() runs inside verified_context(), which runs as the caller.
grant execute on function parapet_private.context_binding_of(pg_catalog.text) to parapet_app;
