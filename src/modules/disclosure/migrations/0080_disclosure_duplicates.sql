-- Triage (docs/disclosure.md): a report can be linked to the earlier report it duplicates. Links
-- point at an original only (never at another duplicate), so there are no chains or cycles.
alter table disclosure_reports
  add column duplicate_of uuid references disclosure_reports(id) on delete set null,
  add constraint disclosure_reports_not_own_duplicate check (duplicate_of is null or duplicate_of <> id);
create index disclosure_reports_duplicate_idx on disclosure_reports (duplicate_of) where duplicate_of is not null;
