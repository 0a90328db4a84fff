-- Events about a member's own account (sign-in, failed sign-in, lockout, second-factor failure,
-- session end, password and second-factor changes) go to the platform log AND to the log of each
-- organization the member belongs to (issue 14 part 5), so each organization reads and streams
-- them like its other events. The caller's transaction runs in the platform log's context, where
-- row-level security forbids writing another tenant's inbox; this function writes the copies, in
-- the caller's transaction, with one statement.
--
-- `platform_events`: full events for the platform log (tenant id 00000000-…), inserted as given.
-- `member_events`: events copied into each of `member`'s organizations (none when `member` is
-- null: an unknown account). Each copy gets that organization's tenant id and a new UUIDv7 (the
-- template's millisecond prefix, random bits from gen_random_uuid), so copies share nothing that
-- links one organization's copy to another's. The caller builds `member_events` without anything
-- naming other organizations.
--
-- Only a transaction whose verified context is the platform log may call it: a tenant's own
-- transaction cannot push events into other organizations.
create policy audit_inbox_member_copies on audit_inbox for insert to parapet_owner with check (true);

create function parapet_audit_record_for_member(member uuid, platform_events jsonb, member_events jsonb) returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
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
  insert into public.audit_inbox (tenant_id, id, event)
  select c.tenant_id, c.id, jsonb_set(jsonb_set(c.e, '{tenant_id}', to_jsonb(c.tenant_id::text)), '{id}', to_jsonb(c.id::text))
  from (
    select m.tenant_id, e, (substr(e->>'id', 1, 14) || '7' || substr(gen_random_uuid()::text, 16))::uuid as id
    from public.memberships m cross join jsonb_array_elements(member_events) as e
    where m.user_id = member
  ) as c;
end
$$;
revoke all on function parapet_audit_record_for_member(uuid, jsonb, jsonb) from public;
grant execute on function parapet_audit_record_for_member(uuid, jsonb, jsonb) to parapet_app;
