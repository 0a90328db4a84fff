-- Issue 13: events copied into a member's organizations need the application's authority.
--
-- Before: `parapet_audit_record_for_member(member, …)` wrote the copies for ANY `member` from the
-- platform log's context, so SQL injected into any transaction the application opened in that
-- context (every sign-in, reset, session end) could write events into any user's organizations,
-- in any user's name.
--
-- Now the copies need `mac` = HMAC-SHA256, under the tenant-context key (whose pads only this
-- function and enter_context() read, in parapet_private), over
-- `audit-member/1|<member>|<expires_at>|<hex SHA-256 of member_events as sent>`. The application
-- computes it for the events it builds (audit-recorder.ts); SQL cannot: it does not hold the key,
-- and the MAC is a bind parameter stored nowhere SQL can read. The MAC names the member and covers
-- the exact events, so it writes nothing else and for nobody else; it expires within seconds.
-- `member_events` is therefore text (hashed as sent) and parsed here.
drop function parapet_audit_record_for_member(uuid, jsonb, jsonb);

create function parapet_audit_record_for_member(member uuid, platform_events jsonb, member_events text, expires_at int8, mac text) returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  k record;
  now_ms int8 := (extract(epoch from statement_timestamp()) * 1000)::int8;
begin
  if public.parapet_tenant() is distinct from '00000000-0000-0000-0000-000000000000'::uuid then
    raise exception 'parapet: member audit events are recorded from the platform log''s context' using errcode = '42501';
  end if;
  insert into public.audit_inbox (tenant_id, id, event)
  select '00000000-0000-0000-0000-000000000000'::uuid, (e->>'id')::uuid, e
  from jsonb_array_elements(platform_events) as e
  where e->>'tenant_id' = '00000000-0000-0000-0000-000000000000';
  if member is null then
    return;
  end if;
  select ipad, opad into k from parapet_private.context_key where id = 1;
  -- Compare digests of the two MACs so the comparison time does not depend on their common prefix.
  if k.ipad is null
     or member_events is null
     or mac is null or mac !~ '^[0-9a-f]{64}$'
     or expires_at is null or expires_at < now_ms or expires_at > now_ms + 300000
     or sha256(sha256(k.opad || sha256(k.ipad || convert_to(
          'audit-member/1|' || member::text || '|' || expires_at::text || '|' || encode(sha256(convert_to(member_events, 'UTF8')), 'hex'), 'UTF8'))))
        <> sha256(decode(mac, 'hex')) then
    raise exception 'parapet: member audit events need the application''s authority' using errcode = '42501';
  end if;
  insert into public.audit_inbox (tenant_id, id, event)
  select c.tenant_id, c.id, jsonb_set(jsonb_set(c.e, '{tenant_id}', to_jsonb(c.tenant_id::text)), '{id}', to_jsonb(c.id::text))
  from (
    select m.tenant_id, e, (substr(e->>'id', 1, 14) || '7' || substr(gen_random_uuid()::text, 16))::uuid as id
    from public.memberships m cross join jsonb_array_elements(member_events::jsonb) as e
    where m.user_id = member
  ) as c;
end
$$;
revoke all on function parapet_audit_record_for_member(uuid, jsonb, text, int8, text) from public;
grant execute on function parapet_audit_record_for_member(uuid, jsonb, text, int8, text) to parapet_app;
