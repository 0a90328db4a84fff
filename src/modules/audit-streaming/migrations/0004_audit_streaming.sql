-- Audit streaming (AUD-5, docs/audit-streaming.md): each organization's SIEM destinations and,
-- per destination, the durable delivery cursor. Events are never copied: the cursor points into
-- audit_events, so a destination that is down costs nothing until it comes back.

create table audit_destinations (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  kind text not null check (kind in ('syslog', 'webhook')),
  format text not null check (format in ('json', 'ocsf')),
  name text not null check (length(name) between 1 and 100),
  -- syslog: RFC 5425 (TLS) receiver.
  host text check (length(host) between 1 and 253),
  port integer check (port between 1 and 65535),
  -- webhook: https:// endpoint.
  url text check (length(url) between 9 and 2048),
  -- Optional PEM bundle of the CA(s) that issued the receiver's certificate; else the system store.
  ca_pem text check (length(ca_pem) <= 65536),
  -- The Standard Webhooks signing secret, sealed (AES-256-GCM bound to tenant, table, column, row).
  -- Never stored in plaintext.
  secret_sealed text check (secret_sealed like 'v1.%'),
  enabled boolean not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, id),
  check (
    (kind = 'syslog' and host is not null and port is not null and url is null and secret_sealed is null)
    or (kind = 'webhook' and url is not null and secret_sealed is not null and host is null and port is null)
  )
);
create unique index audit_destinations_name_idx on audit_destinations (tenant_id, lower(name));

create table audit_delivery_cursors (
  tenant_id uuid not null,
  destination_id uuid not null,
  -- The first seq not yet acknowledged by the destination.
  next_seq bigint not null check (next_seq >= 0),
  -- The size of the newest checkpoint acknowledged (0: none).
  last_checkpoint_size bigint not null default 0 check (last_checkpoint_size >= 0),
  -- Consecutive failed attempts; the next one waits until next_attempt_at.
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null,
  last_error text check (length(last_error) <= 500),
  last_delivered_at timestamptz,
  primary key (tenant_id, destination_id),
  foreign key (tenant_id, destination_id) references audit_destinations (tenant_id, id) on delete cascade
);

alter table audit_destinations enable row level security;
alter table audit_destinations force row level security;
alter table audit_delivery_cursors enable row level security;
alter table audit_delivery_cursors force row level security;

create policy audit_destinations_isolation on audit_destinations using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy audit_delivery_cursors_isolation on audit_delivery_cursors using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

grant select, insert, update, delete on audit_destinations, audit_delivery_cursors to parapet_app;

-- The delivery worker discovers which tenants have work through this function, which runs as
-- parapet_owner; these policies (for that role only, read only) let it compare every tenant's
-- cursors with its log head. It reveals tenant ids only; events, destinations and secrets are
-- then read inside each tenant's own context.
create policy audit_destinations_streaming_scan on audit_destinations for select to parapet_owner using (true);
create policy audit_delivery_cursors_streaming_scan on audit_delivery_cursors for select to parapet_owner using (true);
create policy audit_tree_heads_streaming_scan on audit_tree_heads for select to parapet_owner using (true);
create policy audit_checkpoints_streaming_scan on audit_checkpoints for select to parapet_owner using (true);

-- Tenants with an enabled destination that is due (not backing off) and behind its log: events
-- past its cursor, or a checkpoint it has not received yet.
create function parapet_audit_streaming_tenants(max_tenants integer, due_at timestamptz) returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select distinct d.tenant_id
    from public.audit_destinations d
    join public.audit_delivery_cursors c on c.tenant_id = d.tenant_id and c.destination_id = d.id
    left join public.audit_tree_heads h on h.tenant_id = d.tenant_id
   where d.enabled
     and c.next_attempt_at <= due_at
     and (c.next_seq < coalesce(h.size, 0)
          or c.last_checkpoint_size < coalesce((select max(k.size) from public.audit_checkpoints k where k.tenant_id = d.tenant_id), 0))
   limit max_tenants
$$;
revoke all on function parapet_audit_streaming_tenants(integer, timestamptz) from public;
grant execute on function parapet_audit_streaming_tenants(integer, timestamptz) to parapet_app;
