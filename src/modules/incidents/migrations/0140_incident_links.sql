-- Issue 21 items 1 and 3: security alerts and audit events linked to an incident (IR-1, IR-5).
-- A link names the organization the alert or event belongs to and its id; `label` is what the
-- timeline shows (the alert's kind and severity, the event's action), copied when it was linked
-- after the item was found in that organization's own context. Append-only, like the timeline.
create table incident_links (
  id uuid primary key,
  incident_id uuid not null references incidents (id) on delete cascade,
  kind text not null check (kind in ('alert', 'audit_event')),
  organization_id uuid not null,
  ref_id uuid not null,
  label text not null check (length(label) between 1 and 200),
  occurred_at timestamptz not null,
  linked_by uuid,
  linked_at timestamptz not null,
  unique (incident_id, kind, organization_id, ref_id)
);
create index incident_links_incident_idx on incident_links (incident_id, linked_at, id);
grant select, insert on incident_links to parapet_app;
