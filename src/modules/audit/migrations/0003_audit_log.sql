-- Tamper-evident audit log (docs/audit-log-design.md). Per tenant: an inbox written by every
-- transaction that records an event, and the sequenced log with its RFC 6962 Merkle tree and
-- signed checkpoints. The platform's own log uses the reserved tenant id 00000000-0000-0000-0000-000000000000.

create table audit_inbox (
  tenant_id uuid not null,
  id uuid not null,
  event jsonb not null,
  primary key (tenant_id, id)
);

create table audit_events (
  tenant_id uuid not null,
  seq bigint not null check (seq >= 0),
  id uuid not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null,
  action text not null,
  actor_type text not null,
  actor_id text,
  outcome text not null,
  ip text,
  target_ids text[] not null default '{}',
  -- RFC 8785 canonical JSON of the whole event, stored verbatim; the Merkle leaf is its hash.
  canonical bytea not null,
  leaf_hash bytea not null check (length(leaf_hash) = 32),
  primary key (tenant_id, seq),
  unique (tenant_id, id)
);
create index audit_events_action_idx on audit_events (tenant_id, action text_pattern_ops, seq desc);
create index audit_events_time_idx on audit_events (tenant_id, occurred_at);
create index audit_events_actor_idx on audit_events (tenant_id, actor_id, seq desc);

-- Hashes of perfect subtrees: level 0 are leaves; (level k, index j) covers leaves [j*2^k, (j+1)*2^k).
create table audit_tree_nodes (
  tenant_id uuid not null,
  level smallint not null check (level between 0 and 62),
  index bigint not null check (index >= 0),
  hash bytea not null check (length(hash) = 32),
  primary key (tenant_id, level, index)
);

-- The current head of each tenant's tree: size, root and frontier (perfect-subtree roots, left to right).
create table audit_tree_heads (
  tenant_id uuid primary key,
  size bigint not null check (size >= 0),
  root bytea not null check (length(root) = 32),
  frontier bytea[] not null,
  first_seq bigint not null default 0,
  updated_at timestamptz not null
);

create table audit_checkpoints (
  tenant_id uuid not null,
  size bigint not null check (size >= 0),
  kind text not null check (kind in ('regular', 'retention')),
  root bytea not null check (length(root) = 32),
  -- The C2SP signed note, verbatim.
  note text not null,
  key_id text not null,
  created_at timestamptz not null,
  primary key (tenant_id, size, kind)
);
create index audit_checkpoints_time_idx on audit_checkpoints (tenant_id, created_at);

alter table audit_inbox enable row level security;
alter table audit_inbox force row level security;
alter table audit_events enable row level security;
alter table audit_events force row level security;
alter table audit_tree_nodes enable row level security;
alter table audit_tree_nodes force row level security;
alter table audit_tree_heads enable row level security;
alter table audit_tree_heads force row level security;
alter table audit_checkpoints enable row level security;
alter table audit_checkpoints force row level security;

create policy audit_inbox_isolation on audit_inbox using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy audit_events_isolation on audit_events using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy audit_tree_nodes_isolation on audit_tree_nodes using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy audit_tree_heads_isolation on audit_tree_heads using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy audit_checkpoints_isolation on audit_checkpoints using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

-- The log is append-only for the application: no UPDATE, DELETE or TRUNCATE privilege at all.
-- (UPDATE only because SELECT … FOR UPDATE, which the sequencer uses to claim rows, requires it.)
grant select, insert, update, delete on audit_inbox to parapet_app;
grant select, insert on audit_events, audit_tree_nodes, audit_checkpoints to parapet_app;
grant select, insert, update on audit_tree_heads to parapet_app;

-- And triggers refuse changes from anyone else (the owner, a superuser), except the retention
-- purge, which runs as the owner inside parapet_audit_purge().
create function parapet_private.refuse_audit_change() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'DELETE' and current_setting('parapet.audit_purge', true) = 'on' and current_user = 'parapet_owner' then
    return old;
  end if;
  raise exception 'parapet: the audit log is append-only (% on %)', tg_op, tg_table_name using errcode = '42501';
end
$$;

create trigger audit_events_append_only before update or delete on audit_events for each row execute function parapet_private.refuse_audit_change();
create trigger audit_events_no_truncate before truncate on audit_events for each statement execute function parapet_private.refuse_audit_change();
create trigger audit_tree_nodes_append_only before update or delete on audit_tree_nodes for each row execute function parapet_private.refuse_audit_change();
create trigger audit_tree_nodes_no_truncate before truncate on audit_tree_nodes for each statement execute function parapet_private.refuse_audit_change();
create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints for each row execute function parapet_private.refuse_audit_change();
create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints for each statement execute function parapet_private.refuse_audit_change();

-- The sequencer discovers which tenants have pending events through this function, which runs as
-- parapet_owner; this policy (for that role only, read only) lets it see every tenant's inbox.
-- It reveals tenant ids only; the events are then read inside each tenant's own context.
create policy audit_inbox_sequencer_scan on audit_inbox for select to parapet_owner using (true);
create function parapet_audit_pending_tenants(max_tenants integer) returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$ select distinct tenant_id from public.audit_inbox limit max_tenants $$;
revoke all on function parapet_audit_pending_tenants(integer) from public;
grant execute on function parapet_audit_pending_tenants(integer) to parapet_app;
