-- DATA-1 (issue 20): when the lifecycle job last finished each of its steps, so the trust center's
-- `data.last-purge` check can prove that scheduled purges run. One row per step; no tenant data.
create table lifecycle_runs (
  job text primary key check (job in ('retention', 'deletions')),
  finished_at timestamptz not null,
  removed bigint not null check (removed >= 0)
);
grant select, insert, update on lifecycle_runs to parapet_app;
