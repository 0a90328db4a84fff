import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import { parseField } from '../../platform/crypto/field-format.ts';
import { accessReads } from '../access/index.ts';
import { activeKeyCreationTimes } from '../api-keys/index.ts';
import { auditReads, verifyDatabaseLog, type AuditSigner } from '../audit/index.ts';
import { identityReads } from '../identity/index.ts';
import { ENCRYPTED_COLUMNS, tenantKeyVersions } from '../keys/index.ts';
import { overdueOrganizationDeletions } from '../lifecycle/index.ts';
import { usersWithPasskeys } from '../passkeys/index.ts';
import { tenancy } from '../tenants/index.ts';
import type { CheckStatus } from './trust-tables.ts';

/**
 * Checks that look at one organization at a time (issue 20, items 2 and 9). The same evaluation
 * backs the deployment-wide control on the public page (every organization, see checks-across.ts)
 * and an organization's own view (org-view.ts), so what a tenant admin hands their auditor is
 * exactly what the public control aggregates. Every read runs inside `withTenant(organization)`:
 * the organization's rows under its own row-level security, never another's.
 */
export interface OrgFinding {
  readonly status: CheckStatus;
  /** One sentence about this organization (no other organization's figures). */
  readonly summary: string;
  /** The figures behind it, for the organization's report. */
  readonly figures: Readonly<Record<string, number | string | null>>;
}

export interface OrgCheck {
  readonly id: string;
  readonly claims: readonly string[];
  readonly title: string;
  /** Words for the public statement: "`n` of `m` organizations <noun>". */
  readonly passingNoun: string;
  evaluate(tenantId: string, now: Date): Promise<OrgFinding>;
}

const DAY = 86_400_000;
const days = (ms: number) => Math.floor(ms / DAY);

/** AUTH-7: rotation is flagged at 90 days (the access review's `credential_older_than_90_days`). */
export const API_KEY_ROTATION_DAYS = 90;
/** AC-5: an organization's access review is due every 90 days (quarterly, as SOC 2 CC6.2 reviews usually are). */
export const ACCESS_REVIEW_DUE_DAYS = 90;
/** ENC-2: the key job rotates within a pass of the due date; a day of slack for a stopped node. */
const ROTATION_SLACK_DAYS = 1;
/** AUD-3 and DATA-3: the purge jobs run at least daily; two days of slack before the check calls it late. */
export const PURGE_SLACK_DAYS = 2;
/** ENC-1: values sampled per encrypted column and organization per run (the newest ones). */
export const ENCRYPTED_SAMPLE = 20;

const ok = (summary: string, figures: OrgFinding['figures']): OrgFinding => ({ status: 'pass', summary, figures });
const bad = (summary: string, figures: OrgFinding['figures']): OrgFinding => ({ status: 'fail', summary, figures });
const absent = (summary: string, figures: OrgFinding['figures'] = {}): OrgFinding => ({ status: 'not_applicable', summary, figures });

/**
 * AUTH-2: in an organization whose policy requires MFA, every member has a second factor the
 * policy accepts (a confirmed TOTP factor or a passkey). Not applicable where MFA is not required.
 */
export function mfaCoverageCheck(deps: { transactor: AppTransactor }): OrgCheck {
  return {
    id: 'auth.mfa-coverage',
    claims: ['AUTH-2'],
    title: 'In every organization that requires MFA, every member has a second factor the organization accepts.',
    passingNoun: 'that require MFA have every member enrolled',
    evaluate: (tenantId) =>
      deps.transactor.withTenant(tenantId, async (tx) => {
        const policy = await accessReads.getSecurityPolicy(tx, tenantId);
        if (policy?.mfaRequired !== true) return absent('This organization does not require MFA.', { mfa_required: 'no' });
        const members = await tenancy.memberUserIds(tx, tenantId);
        const covered = new Set<string>();
        if (policy.allowedMfaMethods.includes('totp')) for (const id of await identityReads.usersWithConfirmedTotp(tx, members)) covered.add(id);
        if (policy.allowedMfaMethods.includes('webauthn')) for (const id of await usersWithPasskeys(tx, members)) covered.add(id);
        const figures = { mfa_required: 'yes', accepted_methods: policy.allowedMfaMethods.join(' '), members: members.length, members_with_mfa: covered.size, members_without_mfa: members.length - covered.size };
        if (covered.size < members.length) return bad(`${members.length - covered.size} of ${members.length} members have no accepted second factor although the organization requires MFA.`, figures);
        return ok(`All ${members.length} members have an accepted second factor.`, figures);
      }),
  };
}

/** ENC-2: the organization's primary tenant key version is younger than the rotation period. */
export function tenantKeyAgeCheck(deps: { transactor: AppTransactor; rotationDays: number }): OrgCheck {
  return {
    id: 'enc.tenant-key-age',
    claims: ['ENC-2'],
    title: `Every organization's tenant key is younger than the rotation period (PARAPET_KEY_ROTATION_DAYS).`,
    passingNoun: 'with a tenant key have it younger than the rotation period',
    evaluate: (tenantId, now) =>
      deps.transactor.withTenant(tenantId, async (tx) => {
        const primary = (await tenantKeyVersions(tx, tenantId)).active;
        if (primary === undefined) return absent('This organization has no tenant key yet (nothing encrypted).');
        const age = days(now.getTime() - primary.createdAt.getTime());
        const figures = { key_version: primary.version, key_age_days: age, rotation_days: deps.rotationDays };
        if (deps.rotationDays <= 0) return bad('Scheduled tenant key rotation is turned off.', figures);
        if (age > deps.rotationDays + ROTATION_SLACK_DAYS) return bad(`The tenant key is ${age} days old, past the ${deps.rotationDays}-day rotation period.`, figures);
        return ok(`The tenant key (version ${primary.version}) is ${age} days old; it rotates every ${deps.rotationDays} days.`, figures);
      }),
  };
}

/** AUTH-7: no active API key of the organization is older than 90 days. */
export function apiKeyAgeCheck(deps: { transactor: AppTransactor }): OrgCheck {
  return {
    id: 'auth.api-key-age',
    claims: ['AUTH-7'],
    title: 'No active API key is older than 90 days (keys past it are flagged for rotation in the access review).',
    passingNoun: 'with active API keys have none older than 90 days',
    evaluate: (tenantId, now) =>
      deps.transactor.withTenant(tenantId, async (tx) => {
        const active = await activeKeyCreationTimes(tx, tenantId, now);
        if (active.length === 0) return absent('This organization has no active API keys.', { active_keys: 0 });
        const limit = now.getTime() - API_KEY_ROTATION_DAYS * DAY;
        const old = active.filter((createdAt) => createdAt.getTime() <= limit).length;
        const oldest = days(now.getTime() - Math.min(...active.map((createdAt) => createdAt.getTime())));
        const figures = { active_keys: active.length, older_than_90_days: old, oldest_key_age_days: oldest };
        if (old > 0) return bad(`${old} of ${active.length} active API keys are older than ${API_KEY_ROTATION_DAYS} days and due for rotation.`, figures);
        return ok(`All ${active.length} active API keys are younger than ${API_KEY_ROTATION_DAYS} days (oldest ${oldest} days).`, figures);
      }),
  };
}

/**
 * AC-5: the organization's last access review (`access.reviewed` in its audit log) is less than
 * 90 days old. An organization younger than that with no review yet is not due.
 */
export function accessReviewAgeCheck(deps: { transactor: AppTransactor }): OrgCheck {
  return {
    id: 'ac.access-review-age',
    claims: ['AC-5'],
    title: `Every organization's last access review is less than ${ACCESS_REVIEW_DUE_DAYS} days old.`,
    passingNoun: 'had an access review in the last 90 days',
    evaluate: (tenantId, now) =>
      deps.transactor.withTenant(tenantId, async (tx) => {
        const newest = await auditReads.newestOf(tx, tenantId, 'access.reviewed');
        const last = newest === undefined ? undefined : { occurred_at: newest.occurredAt };
        const summary = await tenancy.organizationSummary(tx, tenantId);
        const org = summary === undefined ? undefined : { created_at: summary.createdAt };
        const due = now.getTime() - ACCESS_REVIEW_DUE_DAYS * DAY;
        if (last === undefined) {
          if (org !== undefined && org.created_at.getTime() > due) return absent(`No access review yet; the first is due ${ACCESS_REVIEW_DUE_DAYS} days after the organization was created.`, { last_review_age_days: null });
          return bad(`No access review has been recorded in the last ${ACCESS_REVIEW_DUE_DAYS} days.`, { last_review_age_days: null });
        }
        const age = days(now.getTime() - last.occurred_at.getTime());
        if (last.occurred_at.getTime() <= due) return bad(`The last access review is ${age} days old, past ${ACCESS_REVIEW_DUE_DAYS} days.`, { last_review_age_days: age });
        return ok(`The last access review is ${age} days old.`, { last_review_age_days: age, last_review_at: last.occurred_at.toISOString() });
      }),
  };
}

/** AUD-2: the organization's audit log verifies against its signed checkpoints, every entry rehashed. */
export function orgLogCheck(deps: { transactor: AppTransactor; signer: Pick<AuditSigner, 'verifiers'> }): OrgCheck {
  return {
    id: 'aud.organization-logs',
    claims: ['AUD-2'],
    title: "The organization's audit log verifies against its signed checkpoints, every entry rehashed.",
    passingNoun: 'verified against their signed checkpoints',
    evaluate: async (tenantId) => {
      const report = await verifyDatabaseLog({ transactor: deps.transactor }, tenantId, { verifiers: deps.signer.verifiers, threads: 0, pendingWaitMs: 3000 });
      const figures = { entries: report.events, checkpoints_verified: report.checkpointsVerified, first_seq: report.firstSeq, last_seq: report.lastSeq, problems: report.damage.length };
      if (!report.ok) return bad(`The audit log did not verify: ${report.damage.length} problem(s) (${[...new Set(report.damage.map((d) => d.kind))].join(', ')}).`, figures);
      if (report.events === 0) return absent('The audit log holds no entries yet.', figures);
      return ok(`The audit log verified: ${report.events} entries against ${report.checkpointsVerified} signed checkpoint(s).`, figures);
    },
  };
}

/**
 * AUD-3: retention is in force: the oldest entry still in the organization's log is within its
 * retention period (plus the purge job's slack), and a log purged from the front starts at a
 * signed retention checkpoint, so what remains still verifies.
 */
export function auditRetentionCheck(deps: { transactor: AppTransactor; defaultDays: number }): OrgCheck {
  return {
    id: 'aud.retention',
    claims: ['AUD-3'],
    title: "Audit retention is in force: no organization's log keeps entries past its retention period, and a purged log starts at a signed retention checkpoint.",
    passingNoun: 'keep no audit entry past their retention period',
    evaluate: (tenantId, now) =>
      deps.transactor.withTenant(tenantId, async (tx) => {
        const retention = (await auditReads.retentionDaysSetting(tx, tenantId)) ?? deps.defaultDays;
        const head = await auditReads.treeHead(tx, tenantId);
        if (head === undefined || head.size <= head.firstSeq) return absent('The audit log holds no entries yet.', { retention_days: retention });
        const firstSeq = head.firstSeq;
        const oldest = await auditReads.occurredAt(tx, tenantId, firstSeq);
        const oldestAge = oldest === undefined ? null : days(now.getTime() - oldest.getTime());
        const figures = { retention_days: retention, oldest_entry_age_days: oldestAge, first_seq: firstSeq };
        if (firstSeq > 0) {
          if (!(await auditReads.hasRetentionCheckpointAt(tx, tenantId, firstSeq))) return bad('The audit log was shortened without a signed retention checkpoint.', figures);
        }
        if (oldestAge === null) return bad('The first retained audit entry is missing.', figures);
        if (oldestAge > retention + PURGE_SLACK_DAYS) return bad(`The audit log keeps entries ${oldestAge} days old, past its ${retention}-day retention period.`, figures);
        return ok(`Audit entries are kept ${retention} days; the oldest is ${oldestAge} days old.`, figures);
      }),
  };
}

/** DATA-3: no deletion of the organization is past its grace period without having been carried out. */
export function deletionGraceCheck(deps: { transactor: AppTransactor }): OrgCheck {
  return {
    id: 'data.deletion-grace',
    claims: ['DATA-3'],
    title: 'No deletion is past its grace period without having been carried out.',
    passingNoun: 'have no deletion overdue',
    evaluate: (tenantId, now) =>
      deps.transactor.withTenant(tenantId, async (tx) => {
        const overdue = await overdueOrganizationDeletions(tx, tenantId, new Date(now.getTime() - PURGE_SLACK_DAYS * DAY));
        if (overdue > 0) return bad('A scheduled deletion of this organization is past its grace period and was not carried out.', { overdue_deletions: overdue });
        return ok('No deletion of this organization is past its grace period.', { overdue_deletions: 0 });
      }),
  };
}

/** What a stored value of an encrypted column is. */
export function classifyStoredValue(value: string): 'envelope' | 'legacy' | 'other' {
  try {
    parseField(value);
    return 'envelope';
  } catch {
    // `v1.<nonce>.<ciphertext‖tag>` values from before the envelope (platform/crypto/seal.ts) are
    // still AES-256-GCM ciphertext; the key job rewrites them (docs/encryption.md).
    const [format, nonce, body, extra] = value.split('.');
    const b64 = /^[A-Za-z0-9_-]+$/;
    if (format !== 'v1' || nonce === undefined || body === undefined || extra !== undefined || !b64.test(nonce) || !b64.test(body)) return 'other';
    return Buffer.from(nonce, 'base64url').length === 12 && Buffer.from(body, 'base64url').length >= 16 ? 'legacy' : 'other';
  }
}

/**
 * ENC-1: the newest values of every encrypted column (`ENCRYPTED_COLUMNS`) of the organization
 * are in the envelope format (`pk1.<version>.<nonce>.<ciphertext‖tag>`, nonce 12 bytes, tag 16)
 * under a tenant key version the organization holds; anything else is plaintext or foreign.
 */
export function encryptedColumnsCheck(deps: { transactor: AppTransactor }): OrgCheck {
  return {
    id: 'enc.encrypted-columns',
    claims: ['ENC-1'],
    title: 'Sampled values of every encrypted column are AES-256-GCM envelopes under a tenant key version, never plaintext.',
    passingNoun: 'hold only envelope-encrypted values in the sampled columns',
    evaluate: (tenantId) =>
      deps.transactor.withTenant(tenantId, async (tx) => {
        const { versions } = await tenantKeyVersions(tx, tenantId);
        let sampled = 0;
        let legacy = 0;
        const foreign: string[] = [];
        for (const { table, column, rowId } of ENCRYPTED_COLUMNS) {
          const col = sql.ref(column);
          const rows = await sql<{ v: string }>`select ${col} as v from ${sql.table(table)} where tenant_id = ${tenantId} and ${col} is not null order by ${sql.ref(rowId)} desc limit ${ENCRYPTED_SAMPLE}`.execute(tx);
          for (const { v } of rows.rows) {
            sampled += 1;
            const kind = classifyStoredValue(v);
            if (kind === 'legacy') legacy += 1;
            else if (kind === 'other' || !versions.has(parseField(v).version)) foreign.push(`${table}.${column}`);
          }
        }
        const figures = { values_sampled: sampled, legacy_values: legacy, not_encrypted: foreign.length };
        if (foreign.length > 0) return bad(`${foreign.length} of ${sampled} sampled values of encrypted columns are not envelopes under one of this organization's keys.`, { ...figures, columns: [...new Set(foreign)].join(' ') });
        if (sampled === 0) return absent('This organization holds no encrypted values yet.', figures);
        return ok(`All ${sampled} sampled values of encrypted columns are AES-256-GCM envelopes under this organization's keys.`, figures);
      }),
  };
}
