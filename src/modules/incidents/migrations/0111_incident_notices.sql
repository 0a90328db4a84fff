-- Notices to an affected organization's administrators (IR-3; docs/incidents.md). A tenant table:
-- each row is what one organization was told, read by its own administrators; the incident it is
-- about stays platform-level. No addresses: each recipient's delivery is the mailer's record
-- (`mail_deliveries`), linked by `mail_ids`.
create table incident_notices (
  tenant_id uuid not null references organizations (id) on delete cascade,
  id uuid not null,
  incident_id uuid not null,
  template text not null check (template in ('initial', 'update', 'resolved', 'breach')),
  subject text not null check (length(subject) between 1 and 300),
  body text not null check (length(body) between 1 and 10000),
  mail_ids uuid[] not null default '{}',
  sent_at timestamptz not null,
  primary key (tenant_id, id)
);
create index incident_notices_incident_idx on incident_notices (tenant_id, sent_at desc, id);
alter table incident_notices enable row level security;
alter table incident_notices force row level security;
create policy incident_notices_isolation on incident_notices using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
-- What was sent is a record: the application may add notices, never change or remove them.
grant select, insert on incident_notices to parapet_app;
