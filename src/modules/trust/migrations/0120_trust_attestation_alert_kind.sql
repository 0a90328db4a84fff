-- Attestations: a security alert before one lapses (issue 20 item 3). The kind list is redefined
-- as a whole: every earlier kind is kept (0018, 0044, 0050, 0115) and trust_attestation_lapsing added.
alter table security_alerts drop constraint security_alerts_kind_check;
alter table security_alerts add constraint security_alerts_kind_check check (kind in ('break_glass', 'refresh_token_reused', 'trust_check_failed', 'incident_clock_overdue', 'disclosure_clock_reminder', 'disclosure_clock_overdue', 'trust_attestation_lapsing'));
