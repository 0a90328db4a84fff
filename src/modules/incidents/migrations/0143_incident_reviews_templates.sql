-- Issue 21: the post-incident review with actions, the 15-minute status-page clock and editable
-- notice templates (IR-1, IR-2, IR-3; docs/incidents.md).

-- One review per incident (incident.io / PagerDuty postmortems): what happened, why, what went
-- well and badly. Publishing it meets the post_incident_report clock; the text is then fixed.
create table incident_reviews (
  incident_id uuid primary key references incidents (id) on delete cascade,
  summary text not null default '' check (length(summary) <= 20000),
  root_cause text not null default '' check (length(root_cause) <= 20000),
  went_well text not null default '' check (length(went_well) <= 20000),
  went_badly text not null default '' check (length(went_badly) <= 20000),
  updated_at timestamptz not null,
  updated_by uuid,
  published_at timestamptz,
  published_by uuid
);
grant select, insert, update on incident_reviews to parapet_app;

-- The review's follow-up actions: an owner, a due date, a status. Kept after publication so the
-- team can close them; never deleted (a dropped action is `wont_do`).
create table incident_review_actions (
  id uuid primary key,
  incident_id uuid not null references incidents (id) on delete cascade,
  title text not null check (length(title) between 1 and 500),
  owner_id uuid,
  -- A calendar day (YYYY-MM-DD), kept as text so both drivers read it the same.
  due_on text check (due_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  status text not null check (status in ('open', 'in_progress', 'done', 'wont_do')),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index incident_review_actions_incident_idx on incident_review_actions (incident_id, created_at, id);
grant select, insert, update on incident_review_actions to parapet_app;

-- "Status page updated within 15 minutes" of a customer-visible change joins the clocks.
alter table incident_clocks drop constraint incident_clocks_clock_check;
alter table incident_clocks add constraint incident_clocks_clock_check check (clock in (
  'first_notice', 'update', 'gdpr_art33', 'nis2_early_warning', 'nis2_notification', 'nis2_final_report', 'post_incident_report',
  'dpdp_report', 'cert_in', 'customer_breach_notice', 'status_page_update'));

-- Notice templates edited by platform administrators; a kind without a row uses the built-in text.
create table incident_notice_templates (
  template text primary key check (template in ('initial', 'update', 'resolved', 'breach')),
  subject text not null check (length(subject) between 1 and 300),
  body text not null check (length(body) between 1 and 10000),
  updated_at timestamptz not null,
  updated_by uuid
);
grant select, insert, update, delete on incident_notice_templates to parapet_app;
