import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import { PLATFORM_TENANT_ID } from '../../audit/index.ts';
import { fail, pass, type TrustCheck } from './trust-check.ts';
import { auditReads } from '../../audit/index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The backup actions `parapet backup` records in the platform audit log (src/cli/backup.ts): the
 * record ENC-5's check reads. The audit log, not a table of its own, because it is tamper-evident:
 * a forged "verified" entry would have to be in the signed chain, and removing one breaks it.
 */
export const BACKUP_ACTIONS = { created: 'backup.created', verified: 'backup.verified', restoreTested: 'backup.restore_tested' } as const;

interface Recorded {
  readonly occurredAt: Date;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The newest successful event of `action` in the platform log, with its metadata. */
async function newest(transactor: AppTransactor, action: string): Promise<Recorded | undefined> {
  const row = await transactor.withTenant(PLATFORM_TENANT_ID, (tx) => auditReads.newestOf(tx, PLATFORM_TENANT_ID, action, { successOnly: true }));
  if (row === undefined) return undefined;
  const event = JSON.parse(Buffer.from(row.canonical).toString('utf8')) as { metadata?: Record<string, unknown> };
  return { occurredAt: row.occurredAt, metadata: event.metadata ?? {} };
}

const hoursAgo = (now: Date, at: Date) => Math.floor((now.getTime() - at.getTime()) / HOUR);

/**
 * ENC-5: the newest backup that `parapet backup verify` verified was created within
 * `maxBackupAgeHours`, and the last `parapet backup test-restore` (a full restore into a throwaway
 * database, every table read back against the backup's hashes) is younger than
 * `maxRestoreAgeDays`. Both are read from the platform audit log, where the CLI records them.
 * No record of either fails: a backup nobody verified or restored proves nothing.
 */
export function backupCheck(deps: { transactor: AppTransactor; clock: Clock; maxBackupAgeHours: number; maxRestoreAgeDays: number }): TrustCheck {
  return {
    id: 'enc.backup-recency',
    claims: ['ENC-5'],
    title: `The newest verified backup is less than ${deps.maxBackupAgeHours} hours old and the last test restore less than ${deps.maxRestoreAgeDays} days old.`,
    run: async () => {
      const now = deps.clock.now();
      const verified = await newest(deps.transactor, BACKUP_ACTIONS.verified);
      const restored = await newest(deps.transactor, BACKUP_ACTIONS.restoreTested);
      const createdText = typeof verified?.metadata['backup_created_at'] === 'string' ? verified.metadata['backup_created_at'] : undefined;
      const backupCreated = createdText === undefined || Number.isNaN(Date.parse(createdText)) ? undefined : new Date(createdText);
      const detail = [
        verified === undefined ? 'no backup.verified' : `last verified ${verified.occurredAt.toISOString()}: backup ${String(verified.metadata['backup_id'])} of ${createdText ?? '?'}`,
        restored === undefined ? 'no backup.restore_tested' : `last test restore ${restored.occurredAt.toISOString()}: backup ${String(restored.metadata['backup_id'])} into ${String(restored.metadata['target'])}`,
      ].join('; ');
      const problems: string[] = [];
      if (verified === undefined || backupCreated === undefined) problems.push('no verified backup is recorded');
      else if (now.getTime() - backupCreated.getTime() > deps.maxBackupAgeHours * HOUR) problems.push(`the newest verified backup is ${hoursAgo(now, backupCreated)} hours old, past ${deps.maxBackupAgeHours} hours`);
      if (restored === undefined) problems.push('no test restore is recorded');
      else if (now.getTime() - restored.occurredAt.getTime() > deps.maxRestoreAgeDays * DAY) problems.push(`the last test restore is ${Math.floor((now.getTime() - restored.occurredAt.getTime()) / DAY)} days old, past ${deps.maxRestoreAgeDays} days`);
      if (problems.length > 0) return fail(`Backups: ${problems.join('; ')}.`, detail);
      return pass(
        `The newest verified backup is ${hoursAgo(now, backupCreated ?? now)} hour(s) old; the last test restore, every table read back against the backup's hashes, was ${Math.floor((now.getTime() - (restored?.occurredAt ?? now).getTime()) / DAY)} day(s) ago.`,
        detail,
      );
    },
  };
}
