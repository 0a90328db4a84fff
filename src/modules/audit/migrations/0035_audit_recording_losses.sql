-- api.request records of read calls are buffered in memory for up to 100 ms before they are
-- written (docs/audit-log.md, "API calls"). Those a node could not write (its buffer was full, or the
-- database refused the batch) are counted here, durably, so the
-- count survives a restart and every node and `parapet doctor` report the same total. Counts only:
-- no tenant's data, no event content.
create table audit_recording_losses (
  reason text primary key check (reason in ('buffer_full', 'write_failed')),
  events bigint not null check (events >= 0),
  last_lost_at timestamptz not null
);

-- The app role adds to the counters and reads them; it cannot lower or delete them.
grant select, insert on audit_recording_losses to parapet_app;
grant update (events, last_lost_at) on audit_recording_losses to parapet_app;
create function parapet_private.audit_losses_only_grow() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if new.events < old.events then
    raise exception 'parapet: audit recording losses only grow' using errcode = '42501';
  end if;
  return new;
end
$$;
create trigger audit_recording_losses_only_grow before update on audit_recording_losses for each row execute function parapet_private.audit_losses_only_grow();
