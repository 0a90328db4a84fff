import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const TRUST_AUDIT_ACTIONS = defineAuditActions({
  'trust.checks_ran': 'The trust center ran its live control checks (TR-4): how many, how many fail, and the SHA-256 of the recorded results.',
  'trust.check_failed': 'A trust center check turned from passing to failing; its control shows as failing on the public page.',
  'trust.check_recovered': 'A failing trust center check passed again.',
  'trust.organization_report': "An organization's signed trust report (its own checks, issue 20 item 9) was downloaded.",
  'trust.entry_changed': 'A platform administrator created, changed or deleted a trust center entry (certification, document, subprocessor, question).',
  // Documents under NDA (TR-2).
  'trust.nda_published': 'A platform administrator published a new version of the click-through NDA (its SHA-256 in the metadata).',
  'trust.nda_document_uploaded': 'A platform administrator uploaded (or replaced) the encrypted PDF of a document under NDA.',
  'trust.nda_allowed_domains_changed': 'A platform administrator changed the email domains whose verified requesters are approved without a person.',
  'trust.nda_requested': 'A visitor requested a document under NDA and accepted the click-through NDA (version and SHA-256 in the metadata); a verification link was mailed.',
  'trust.nda_email_verified': 'A requester used the verification link mailed to them: the address is theirs.',
  'trust.nda_approved': 'A verified request was approved, by rule (a verified SSO domain of an organization, or an allowed domain) or by a platform administrator; a single-use download link was mailed.',
  'trust.nda_rejected': 'A platform administrator rejected a request for a document under NDA.',
  'trust.nda_access_revoked': 'A platform administrator revoked a requester\'s access: their unused download links stop working.',
  'trust.attestation_changed': 'A platform administrator created, changed (e.g. renewed) or deleted an attestation of an organizational control.',
  'trust.nda_downloaded': 'A requester used their single-use download link and received the PDF watermarked with their address and the time.',
  'trust.nda_download_failed': 'A download of a document under NDA was refused (malformed, unknown, used, expired or revoked link, or another address); the reason and, when the link is known, its request — never the link or the address given.',
  'trust.nda_personal_data_exported': 'A platform administrator exported what the trust center holds about one NDA requester\'s address (a data-subject request, DATA-2).',
  'trust.attestation_evidence_uploaded': 'A platform administrator uploaded (or replaced) the encrypted evidence file of an attestation.',
  // ENC-5: recorded by `parapet backup` (src/cli/backup.ts) in the platform log, read by the trust center's backup check.
  'backup.created': 'The operator wrote a backup with `parapet backup create` (its id, time, table and row counts).',
  'backup.verified': 'The operator verified a backup with `parapet backup verify` (every frame and table hash); failure when it was damaged or refused.',
  'backup.restore_tested': 'The operator restored a backup into a throwaway database with `parapet backup test-restore`, every table read back against its hashes; failure when the restore failed.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof TRUST_AUDIT_ACTIONS, true> {}
}
