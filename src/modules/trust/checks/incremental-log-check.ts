import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import { decodeBase64, encodeBase64, frontierRoot, openNote, parseCheckpoint, verifyDatabaseLog, type AuditSigner, type NoteVerifier } from '../../audit/index.ts';
import { organizationIds } from '../checks-across.ts';
import { fail, notApplicable, pass, type TrustCheck } from './trust-check.ts';

/** AUD-2: how often each organization's whole log is rehashed, besides the incremental runs. */
export const FULL_PASS_INTERVAL_MS = 24 * 3_600_000;
/** AUD-2: whole-log verifications per run at most (the oldest first), so one run's work stays bounded. */
export const FULL_PASSES_PER_RUN = 5;
/** Organizations named in a failing result's private detail. */
const DETAIL_ORGANIZATIONS = 20;

/** A stored position: the checkpoint proved last and the tree's compact range at its size. */
export interface LogPosition {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly frontier: readonly Uint8Array[];
  readonly verifiedAt: Date;
  readonly fullVerifiedAt: Date;
}

async function readPosition(transactor: AppTransactor, tenantId: string): Promise<LogPosition | undefined> {
  const row = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('trust_log_positions').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst());
  if (row === undefined) return undefined;
  return {
    size: Number(row.size),
    root: decodeBase64(row.root) ?? new Uint8Array(),
    note: row.note,
    frontier: row.frontier === '' ? [] : row.frontier.split(' ').map((h) => decodeBase64(h) ?? new Uint8Array()),
    verifiedAt: row.verified_at,
    fullVerifiedAt: row.full_verified_at,
  };
}

async function writePosition(transactor: AppTransactor, tenantId: string, proved: { size: number; root: Uint8Array; note: string; frontier: readonly Uint8Array[] }, at: Date, full: boolean): Promise<void> {
  const values = { size: proved.size, root: encodeBase64(proved.root), note: proved.note, frontier: proved.frontier.map((h) => encodeBase64(h)).join(' '), verified_at: at };
  await transactor.withTenant(tenantId, (tx) =>
    tx
      .insertInto('trust_log_positions')
      .values({ tenant_id: tenantId, ...values, full_verified_at: at })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(full ? { ...values, full_verified_at: at } : values))
      .execute(),
  );
}

/**
 * The chain link: a stored position is used only if its note is a checkpoint of this
 * organization's log signed by a trusted key, of the stored size, and the stored frontier hashes
 * to the root that checkpoint signed. The row is writable by the application, so it is never
 * trusted on its own: a position edited to skip a rewritten history fails here.
 */
export function checkPosition(position: LogPosition, tenantId: string, verifiers: readonly NoteVerifier[]): string | undefined {
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  try {
    checkpoint = parseCheckpoint(openNote(position.note, verifiers).body);
  } catch (error) {
    return `the stored checkpoint does not verify: ${(error as Error).message}`;
  }
  if (!verifiers.some((v) => checkpoint.origin === `${v.name}/${tenantId}`)) return 'the stored checkpoint is of another log';
  if (checkpoint.size !== position.size) return `the stored checkpoint is of size ${checkpoint.size}, the position says ${position.size}`;
  const root = frontierRoot([...position.frontier]);
  if (Buffer.compare(Buffer.from(root), Buffer.from(checkpoint.root)) !== 0 || Buffer.compare(Buffer.from(position.root), Buffer.from(checkpoint.root)) !== 0) return 'the stored frontier does not hash to the signed root';
  return undefined;
}

/** One organization's verification this run. */
export interface LogRun {
  readonly tenantId: string;
  readonly mode: 'incremental' | 'full' | 'waiting';
  readonly ok: boolean;
  readonly events: number;
  readonly summary: string;
}

/**
 * AUD-2, incremental: every run verifies every organization's audit log from its last verified
 * checkpoint — only the events appended since, rehashed, and every new checkpoint's root rebuilt
 * from the stored frontier (which proves the log still extends what was proved before) — and
 * stores the new position. An edit of an event *before* the stored position is not seen by an
 * incremental run: a full pass (the whole log rehashed, as `parapet audit verify --org`) runs for
 * each organization at least every `FULL_PASS_INTERVAL_MS`, at most `FULL_PASSES_PER_RUN` per
 * run, oldest first; an organization with no position yet waits for its first full pass.
 */
export function incrementalLogCheck(deps: { transactor: AppTransactor; clock: Clock; signer: Pick<AuditSigner, 'verifiers'>; fullPassIntervalMs?: number; fullPassesPerRun?: number }): TrustCheck & { verifyOne(tenantId: string, mode: 'incremental' | 'full'): Promise<LogRun> } {
  const interval = deps.fullPassIntervalMs ?? FULL_PASS_INTERVAL_MS;
  const perRun = deps.fullPassesPerRun ?? FULL_PASSES_PER_RUN;

  async function verifyOne(tenantId: string, mode: 'incremental' | 'full', position?: LogPosition): Promise<LogRun> {
    const verifiers = deps.signer.verifiers;
    const stored = mode === 'incremental' ? (position ?? (await readPosition(deps.transactor, tenantId))) : undefined;
    if (mode === 'incremental') {
      if (stored === undefined) return { tenantId, mode: 'waiting', ok: true, events: 0, summary: 'awaiting its first full verification' };
      const broken = checkPosition(stored, tenantId, verifiers);
      if (broken !== undefined) return { tenantId, mode, ok: false, events: 0, summary: `the stored verified position is not a checkpoint of this log: ${broken}` };
    }
    const at = deps.clock.now();
    const report = await verifyDatabaseLog({ transactor: deps.transactor }, tenantId, { verifiers, threads: 0, pendingWaitMs: 3000, ...(stored === undefined ? {} : { resumeFrom: stored }) });
    const ran = stored !== undefined && report.resumed ? 'incremental' : 'full';
    if (!report.ok) {
      const kinds = [...new Set(report.damage.map((d) => d.kind))].join(', ');
      return { tenantId, mode: ran, ok: false, events: report.events, summary: `${ran} verification found ${report.damage.length} problem(s) (${kinds}) from seq ${report.firstSeq}` };
    }
    const proved = report.proved;
    if (proved?.frontier !== undefined) await writePosition(deps.transactor, tenantId, { size: proved.size, root: proved.root, note: proved.note, frontier: proved.frontier }, at, ran === 'full');
    return { tenantId, mode: ran, ok: true, events: report.events, summary: `${ran} verification: ${report.events} entries up to seq ${report.lastSeq}` };
  }

  return {
    id: 'aud.organization-logs',
    claims: ['AUD-2'],
    title: "Every organization's audit log verifies against its signed checkpoints: each run the entries since its last verified checkpoint, and the whole log at least daily.",
    verifyOne: (tenantId, mode) => verifyOne(tenantId, mode),
    run: async () => {
      const ids = await organizationIds(deps.transactor);
      const now = deps.clock.now();
      const positions = new Map<string, LogPosition | undefined>();
      for (const id of ids) positions.set(id, await readPosition(deps.transactor, id));
      // Due for a full pass: no position yet, or its last full pass is older than the interval; oldest first.
      const due = ids
        .filter((id) => {
          const p = positions.get(id);
          return p === undefined || now.getTime() - p.fullVerifiedAt.getTime() >= interval;
        })
        .sort((a, b) => (positions.get(a)?.fullVerifiedAt.getTime() ?? 0) - (positions.get(b)?.fullVerifiedAt.getTime() ?? 0) || (a < b ? -1 : 1))
        .slice(0, perRun);
      const full = new Set(due);
      const runs: LogRun[] = [];
      for (const id of ids) runs.push(await verifyOne(id, full.has(id) ? 'full' : 'incremental', positions.get(id)));
      const failing = runs.filter((r) => !r.ok);
      const checked = runs.filter((r) => r.mode !== 'waiting');
      const waiting = runs.length - checked.length;
      const fullCount = checked.filter((r) => r.mode === 'full').length;
      const scope = `${fullCount} in full, ${checked.length - fullCount} from their last verified checkpoint${waiting > 0 ? `; ${waiting} awaiting their first full verification` : ''}`;
      if (failing.length > 0) {
        const detail = failing.slice(0, DETAIL_ORGANIZATIONS).map((r) => `${r.tenantId}: ${r.summary}`).join('; ');
        return fail(`${failing.length} of ${checked.length} organizations' audit logs did not verify against their signed checkpoints (${scope}).`, detail);
      }
      if (checked.length === 0) return notApplicable(`No organization's audit log to verify yet${waiting > 0 ? ` (${waiting} awaiting their first full verification)` : ''}.`);
      return pass(`${checked.length} of ${checked.length} organizations' audit logs verified against their signed checkpoints (${scope}).`, `${runs.reduce((n, r) => n + r.events, 0)} entries rehashed this run`);
    },
  };
}
