-- The audit log's signing identity belongs to the deployment (docs/audit-log.md, "Whose key signs").
-- Checkpoints used to be signed under `<host of this process's public URL>/audit`, so two nodes, a
-- renamed host or a CLI run without the server's port each signed under a name of their own. The
-- key name is now fixed at first start and kept here; the key itself is still derived from the
-- keyring and never stored (only its public half, to detect a node started with another keyring).

create table audit_log_keys (
  -- The note key name; a tenant's checkpoint origin is `<key_name>/<tenant id>`.
  key_name text primary key check (key_name ~ '^[^[:space:]+]+$'),
  public_key bytea not null check (length(public_key) = 32),
  -- The one name new checkpoints are signed under; the others signed earlier checkpoints and
  -- stay known so that history keeps verifying.
  current boolean not null,
  added_at timestamptz not null
);
create unique index audit_log_keys_current_idx on audit_log_keys (current) where current;

-- Written once per name, never changed: the app role may only add rows, and the append-only
-- trigger refuses UPDATE, DELETE and TRUNCATE from anyone.
grant select, insert on audit_log_keys to parapet_app;
create trigger audit_log_keys_append_only before update or delete on audit_log_keys for each row execute function parapet_private.refuse_audit_change();
create trigger audit_log_keys_no_truncate before truncate on audit_log_keys for each statement execute function parapet_private.refuse_audit_change();

-- The names checkpoints were signed under before this table existed: one stored note per key id
-- (the caller checks its signature before it trusts the name), newest use first. Key names only,
-- read through this owner-only policy; no tenant's events.
create policy audit_checkpoints_identity_scan on audit_checkpoints for select to parapet_owner using (true);
create function parapet_audit_signing_names() returns table (key_id text, note text, last_used timestamptz)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select distinct on (c.key_id) c.key_id, c.note, max(c.created_at) over (partition by c.key_id)
  from public.audit_checkpoints c
  order by c.key_id, c.created_at desc
$$;
revoke all on function parapet_audit_signing_names() from public;
grant execute on function parapet_audit_signing_names() to parapet_app;

-- Logs whose head grew past their newest regular checkpoint (a node died before signing it): the
-- sequencer signs them when it takes the lead, so every event is covered by a checkpoint.
create function parapet_audit_unsigned_tenants() returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select h.tenant_id from public.audit_tree_heads h
  where h.size > coalesce((select max(c.size) from public.audit_checkpoints c where c.tenant_id = h.tenant_id and c.kind = 'regular'), -1)
$$;
revoke all on function parapet_audit_unsigned_tenants() from public;
grant execute on function parapet_audit_unsigned_tenants() to parapet_app;
