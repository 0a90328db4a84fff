-- Attestations: a security alert before one lapses (issue 20 item 3). Adds its kind to the alerts'
-- list (last set by 0050).
alter table security_alerts drop constraint security_alerts_kind_check;
alter table security_alerts add constraint security_alerts_kind_check check (kind in ('break_glass', 'refresh_token_reused', 'trust_check_failed', 'incident_clock_overdue', 'trust_attestation_lapsing'));
