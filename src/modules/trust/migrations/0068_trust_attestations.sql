-- Organizational controls as attestations (issue 20 item 3; docs/trust-center.md "Attestations"):
-- background checks, training, penetration tests, DR drills — what a person states, with its
-- owner, date, evidence and review interval. Deployment-wide, no tenant data. An attestation is
-- lapsed once `attested_on + review_interval_days` has passed; that is computed when the page is
-- rendered, never stored, so it lapses without anyone acting.
create table trust_attestations (
  id uuid primary key,
  title text not null check (length(title) between 1 and 200),
  description text check (length(description) <= 2000),
  owner text not null check (length(owner) between 1 and 200),
  attested_on date not null,
  review_interval_days integer not null check (review_interval_days between 1 and 3660),
  -- A link to the evidence: https or a path on this server (validated by the API).
  evidence_url text check (length(evidence_url) <= 2000),
  claims text[] not null default '{}',
  position integer not null default 0,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index trust_attestations_position_idx on trust_attestations (position, created_at);

grant select, insert, update, delete on trust_attestations to parapet_app;
