import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppTransactor, DB } from '../database.ts';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAuditRecorder, createAuditService, createAuditSigner, decodeEvent, exportLines, loadLogIdentity, PLATFORM_TENANT_ID, renderExport, verifyDatabaseLog, verifyExportFile, type AuditSigner } from '../modules/audit/index.ts';
import { checkRemembered, storedCheckpoint } from '../modules/audit/verify/check-remembered.ts';
import { readCheckpointStore, writeCheckpointStore } from '../modules/audit/verify/checkpoint-store.ts';
import type { VerifyReport } from '../modules/audit/verify/log-verifier.ts';
import { witnessedCheckpoints } from '../modules/audit/witness/index.ts';
import { systemClock } from '../platform/clock.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import { parseVerifierKey, verifyInclusion, leafHash, openNote, parseCheckpoint } from '../modules/audit/log/index.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { createContextSigner, createTransactor } from '../platform/db/index.ts';
import type { CliContext, Command } from './context.ts';
import { openOperatorData } from './open-data.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function progress(context: CliContext, enabled: boolean) {
  let last = 0;
  const show = context.progress;
  return (done: number, total?: number) => {
    if (!enabled || show === undefined) return;
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    const share = total === undefined || total === 0 ? '' : ` / ${total.toLocaleString('en')} (${Math.floor((100 * done) / total)}%)`;
    show(`  verifying… ${done.toLocaleString('en')} events${share}   `);
  };
}

/** Opens the keyring and database the way the server does, for commands that read the audit log. */
async function withAuditData(context: CliContext, fn: (transactor: AppTransactor, signer: AuditSigner) => Promise<number>): Promise<number> {
  const keyring = readKeyring(context.config.keyringPath);
  const { db, close } = await openOperatorData(context, { poolSize: 2 });
  try {
    const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
    // The log's identity as the deployment fixed it, whatever URL this process was given.
    const identity = await loadLogIdentity({ transactor, keyring, clock: systemClock }, context.config.publicUrl);
    return await fn(transactor, createAuditSigner(keyring, identity));
  } finally {
    await close();
  }
}

type Report = VerifyReport & { readonly remembered?: { readonly size: number; readonly at: string } };

function printReport(context: CliContext, report: Report, json: boolean): number {
  if (json) {
    context.out(JSON.stringify(report, (key, value: unknown) => (key === 'proved' || key === 'header' ? undefined : value)));
  } else {
    context.out('');
    context.out(`  events: ${report.events.toLocaleString('en')} (seq ${report.firstSeq}–${report.lastSeq}); signed checkpoints verified: ${report.checkpointsVerified}`);
    if (report.ok) {
      context.out(`  OK: proved signed tree size ${String(report.provedSize)}: every event hashes to its leaf, seq is continuous, every checkpoint root and signature verifies, and a checkpoint signed by a trusted key covers every event.`);
      if (report.remembered !== undefined) context.out(`  consistent with size ${report.remembered.size} proved on ${report.remembered.at}: nothing was removed or rewritten since.`);
    } else {
      const first = report.damage[0];
      context.out(`  DAMAGED: ${report.damage.length} problem(s); first at seq ${String(first?.seq)} (${String(first?.kind)})`);
      for (const damage of report.damage.slice(0, 20)) context.out(`    - seq ${damage.seq}${damage.afterSeq === undefined ? '' : ` (after ${damage.afterSeq})`}: ${damage.kind}: ${damage.detail}`);
    }
  }
  return report.ok ? 0 : 1;
}

/** Signed notes in a file, separated by lines of `---` (the format `audit witness` writes). */
function readNotes(path: string): string[] {
  return readFileSync(path, 'utf8').split(/^---$/m).map((note) => note.replace(/^\n/, '')).filter((note) => note.trim() !== '');
}

/**
 * `parapet audit verify --file export.jsonl [--key vkey]` verifies an export offline with only the
 * public key; `parapet audit verify --org <id>` verifies the log in the database and holds it to
 * the checkpoint it proved last time (`--state`). Either takes `--witness-key` and `--cosignatures`:
 * checkpoints a customer's witness cosigned, which the log must still contain.
 */
export const auditVerify: Command = async (context) => {
  const { values } = parseArgs({
    args: [...context.args],
    options: {
      file: { type: 'string' }, org: { type: 'string' }, platform: { type: 'boolean' }, key: { type: 'string', multiple: true }, json: { type: 'boolean' }, threads: { type: 'string' }, checkpoints: { type: 'string' },
      state: { type: 'string' }, 'witness-key': { type: 'string', multiple: true }, cosignatures: { type: 'string' },
    },
    strict: true,
  });
  const keys = values.key ?? [];
  const witnessKeys = values['witness-key'] ?? [];
  if ((values.cosignatures === undefined) !== (witnessKeys.length === 0)) {
    context.err('usage: --cosignatures <file> and --witness-key <witness verifier key> go together');
    return 2;
  }
  let knownCheckpoints: string[];
  try {
    knownCheckpoints = [...(values.checkpoints === undefined ? [] : readNotes(resolve(context.cwd, values.checkpoints))), ...(values.cosignatures === undefined ? [] : witnessedCheckpoints(readNotes(resolve(context.cwd, values.cosignatures)), witnessKeys))];
  } catch (error) {
    context.err(`  ${(error as Error).message}`);
    return 1;
  }
  const json = values.json === true;
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const onProgress = progress(context, !json);
  if (values.file !== undefined) {
    const report = await verifyExportFile(resolve(context.cwd, values.file), { knownCheckpoints, verifierKeys: keys, ...(threads === undefined ? {} : { threads }), onProgress: (n) => {
      onProgress(n);
    } });
    if (!json && keys.length === 0) context.out(`  note: verified with the key inside the export (${report.header.verifier_key}); pass --key with the key you trust to rule out a re-signed export`);
    return printReport(context, report, json);
  }
  const tenantId = logOf(values);
  if (tenantId === undefined) {
    context.err('usage: parapet audit verify --file <export.jsonl> [--key <verifier key>] | --org <organization id> | --platform [--state <file>] [--witness-key <key> --cosignatures <file>] [--json]');
    return 2;
  }
  const statePath = values.state === undefined ? join(context.config.dataDir, 'audit-verified.json') : resolve(context.cwd, values.state);
  return withAuditData(context, async (transactor, signer) => {
    const verifiers = [...signer.verifiers, ...keys.map((key) => parseVerifierKey(key))];
    const report = await verifyDatabaseLog({ transactor }, tenantId, { verifiers, knownCheckpoints, pendingWaitMs: 3000, ...(threads === undefined ? {} : { threads }), onProgress });
    // What this verifier proved last time, kept outside the database (AUD-2).
    const state = readCheckpointStore(statePath);
    const remembered = state[tenantId];
    const regression = remembered === undefined ? undefined : await checkRemembered({ transactor }, tenantId, remembered, report.proved, verifiers);
    const damage = regression === undefined ? report.damage : [...report.damage, regression].sort((a, b) => a.seq - b.seq);
    const ok = damage.length === 0;
    if (ok && report.proved !== undefined) writeCheckpointStore(statePath, { ...state, [tenantId]: storedCheckpoint(report.proved, systemClock.now()) });
    return printReport(context, { ...report, ok, damage, ...(remembered === undefined ? {} : { remembered: { size: remembered.size, at: remembered.at } }) }, json);
  });
};

/** `parapet audit prove <event-id> --org <id>`: prints and checks the event's inclusion proof. */
export const auditProve: Command = async (context) => {
  const { values, positionals } = parseArgs({ args: [...context.args], options: { org: { type: 'string' }, platform: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const eventId = positionals[0];
  const tenantId = logOf(values);
  if (eventId === undefined || !UUID.test(eventId) || tenantId === undefined) {
    context.err('usage: parapet audit prove <event-id> --org <organization id> | --platform');
    return 2;
  }
  return withAuditData(context, async (transactor, signer) => {
    const proof = await createAuditService({ transactor, signer }).proveInclusion(tenantId, eventId.toLowerCase());
    const checkpoint = parseCheckpoint(openNote(proof.checkpoint, signer.verifiers).body);
    const ok = verifyInclusion(leafHash(proof.canonical), proof.event.seq, proof.treeSize, proof.auditPath, checkpoint.root);
    context.out(JSON.stringify({ seq: proof.event.seq, tree_size: proof.treeSize, leaf_hash: Buffer.from(proof.leafHash).toString('base64'), audit_path: proof.auditPath.map((h) => Buffer.from(h).toString('base64')), checkpoint: proof.checkpoint, verifier_key: signer.verifierKey, verified: ok }, null, 2));
    return ok ? 0 : 1;
  });
};

/** `--org <id>` or `--platform` (the platform log: sign-in, setup and operators' events): the log's tenant id, or undefined. */
function logOf(values: { org?: string | undefined; platform?: boolean | undefined }): string | undefined {
  if (values.platform === true) return values.org === undefined ? PLATFORM_TENANT_ID : undefined;
  return values.org !== undefined && UUID.test(values.org) ? values.org.toLowerCase() : undefined;
}

/**
 * `parapet audit events --org <id> | --platform [--action <prefix>] [--limit <n>] [--json]`: the newest
 * events of a log, read in that log's own tenant context (the operator at the console has the
 * database and keyring, as for `audit verify`).
 */
export const auditEvents: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { org: { type: 'string' }, platform: { type: 'boolean' }, action: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const tenantId = logOf(values);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (tenantId === undefined || !Number.isInteger(limit) || limit < 1 || limit > 10_000 || (values.action !== undefined && !/^[a-z_.]{1,100}$/.test(values.action))) {
    context.err('usage: parapet audit events --org <organization id> | --platform [--action <prefix>] [--limit <n>] [--json]');
    return 2;
  }
  return withAuditData(context, async (transactor, signer) => {
    const rows = await createAuditService({ transactor, signer }).list(tenantId, values.action === undefined ? {} : { actionPrefix: values.action }, undefined, limit);
    for (const event of rows.slice(0, limit).map(decodeEvent)) {
      context.out(values.json === true ? JSON.stringify(event) : `${event.occurred_at}  ${String(event.seq).padStart(6)}  ${event.action.padEnd(28)} ${event.outcome.padEnd(8)} ${event.actor.type}:${event.actor.id ?? '-'}  ${event.source.ip ?? ''}`);
    }
    return 0;
  });
};

/**
 * `parapet audit export --org <id> | --platform [--format jsonl|csv|ocsf] [--out <file>]`: the whole
 * log with its checkpoints and key, as the API's export; recorded as `audit.exported` in that log.
 */
export const auditExport: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { org: { type: 'string' }, platform: { type: 'boolean' }, format: { type: 'string' }, out: { type: 'string' } }, strict: true });
  const tenantId = logOf(values);
  const format = values.format ?? 'jsonl';
  if (tenantId === undefined || (format !== 'jsonl' && format !== 'csv' && format !== 'ocsf')) {
    context.err('usage: parapet audit export --org <organization id> | --platform [--format jsonl|csv|ocsf] [--out <file>]');
    return 2;
  }
  return withAuditData(context, async (transactor, signer) => {
    const audit = createAuditRecorder({ clock: systemClock, random: systemRandom });
    await transactor.withTenant(tenantId, (tx) =>
      audit.record(tx, tenantId, { action: 'audit.exported', actor: { type: 'operator', id: null, display_name: 'parapet audit export (CLI)' }, outcome: 'success', targets: [{ type: 'organization', id: tenantId }], metadata: { format } }),
    );
    const lines = renderExport(exportLines({ transactor, signer, clock: systemClock }, tenantId), format);
    if (values.out === undefined) {
      for await (const line of lines) context.write(line);
      return 0;
    }
    const file = createWriteStream(resolve(context.cwd, values.out), { mode: 0o600 });
    await pipeline(Readable.from(lines), file);
    context.err(`  written: ${values.out}`);
    return 0;
  });
};
