import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AppTransactor, DB } from '../database.ts';
import { createAuditService, createAuditSigner, verifyDatabaseLog, verifyExportFile, type AuditSigner } from '../modules/audit/index.ts';
import { parseVerifierKey, verifyInclusion, leafHash, openNote, parseCheckpoint } from '../modules/audit/log/index.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { createContextSigner, createTransactor, openDatabase } from '../platform/db/index.ts';
import type { CliContext, Command } from './context.ts';
import { lockEmbeddedData } from './open-data.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function progress(context: CliContext, enabled: boolean) {
  let last = 0;
  return (done: number, total?: number) => {
    if (!enabled) return;
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    const share = total === undefined || total === 0 ? '' : ` / ${total.toLocaleString('en')} (${Math.floor((100 * done) / total)}%)`;
    process.stderr.write(`\r  verifying… ${done.toLocaleString('en')} events${share}   `);
  };
}

/** Opens the keyring and database the way the server does, for commands that read the audit log. */
async function withAuditData(context: CliContext, fn: (transactor: AppTransactor, signer: AuditSigner) => Promise<number>): Promise<number> {
  const lock = lockEmbeddedData(context.config, context.pid);
  try {
    const keyring = readKeyring(context.config.keyringPath);
    const db = await openDatabase<DB>({ url: context.config.databaseUrl, migrationUrl: context.config.migrationDatabaseUrl, dataDir: context.config.dataDir, caFile: context.config.databaseCaFile, poolSize: 2 });
    try {
      return await fn(createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac'))), createAuditSigner(keyring, context.config.publicUrl));
    } finally {
      await db.close();
    }
  } finally {
    lock.release();
  }
}

function printReport(context: CliContext, report: Awaited<ReturnType<typeof verifyDatabaseLog>>, json: boolean): number {
  if (json) {
    context.out(JSON.stringify(report));
  } else {
    context.out('');
    context.out(`  events: ${report.events.toLocaleString('en')} (seq ${report.firstSeq}–${report.lastSeq}); signed checkpoints verified: ${report.checkpointsVerified}`);
    if (report.ok) {
      context.out('  OK: every event hashes to its leaf, seq is continuous and every checkpoint root and signature verifies.');
    } else {
      const first = report.damage[0];
      context.out(`  DAMAGED: ${report.damage.length} problem(s); first at seq ${String(first?.seq)} (${String(first?.kind)})`);
      for (const damage of report.damage.slice(0, 20)) context.out(`    - seq ${damage.seq}${damage.afterSeq === undefined ? '' : ` (after ${damage.afterSeq})`}: ${damage.kind}: ${damage.detail}`);
    }
  }
  return report.ok ? 0 : 1;
}

/**
 * `parapet audit verify --file export.jsonl [--key vkey]` verifies an export offline with only the
 * public key; `parapet audit verify --org <id>` verifies the log in the database.
 */
export const auditVerify: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { file: { type: 'string' }, org: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' }, threads: { type: 'string' }, checkpoints: { type: 'string' } }, strict: true });
  // A file of checkpoint notes kept from earlier (separated by blank-line-free note boundaries: one note per `---` line).
  const knownCheckpoints = values.checkpoints === undefined ? [] : readFileSync(values.checkpoints, 'utf8').split(/^---$/m).map((note) => note.replace(/^\n/, '')).filter((note) => note.trim() !== '');
  const json = values.json === true;
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const onProgress = progress(context, !json && process.stderr.isTTY);
  if (values.file !== undefined) {
    const report = await verifyExportFile(values.file, { knownCheckpoints, ...(values.key === undefined ? {} : { verifierKey: values.key }), ...(threads === undefined ? {} : { threads }), onProgress: (n) => {
      onProgress(n);
    } });
    if (!json && values.key === undefined) context.out(`  note: verified with the key inside the export (${report.header.verifier_key}); pass --key with the key you trust to rule out a re-signed export`);
    return printReport(context, report, json);
  }
  if (values.org === undefined || !UUID.test(values.org)) {
    context.err('usage: parapet audit verify --file <export.jsonl> [--key <verifier key>] | --org <organization id> [--json]');
    return 2;
  }
  const tenantId = values.org.toLowerCase();
  return withAuditData(context, async (transactor, signer) => {
    const verifier = parseVerifierKey(values.key ?? signer.verifierKey);
    const report = await verifyDatabaseLog({ transactor }, tenantId, { verifier, origin: signer.origin(tenantId), knownCheckpoints, ...(threads === undefined ? {} : { threads }), onProgress });
    return printReport(context, report, json);
  });
};

/** `parapet audit prove <event-id> --org <id>`: prints and checks the event's inclusion proof. */
export const auditProve: Command = async (context) => {
  const { values, positionals } = parseArgs({ args: [...context.args], options: { org: { type: 'string' } }, allowPositionals: true, strict: true });
  const eventId = positionals[0];
  if (eventId === undefined || !UUID.test(eventId) || values.org === undefined || !UUID.test(values.org)) {
    context.err('usage: parapet audit prove <event-id> --org <organization id>');
    return 2;
  }
  const tenantId = values.org.toLowerCase();
  return withAuditData(context, async (transactor, signer) => {
    const proof = await createAuditService({ transactor, signer }).proveInclusion(tenantId, eventId.toLowerCase());
    const checkpoint = parseCheckpoint(openNote(proof.checkpoint, [parseVerifierKey(signer.verifierKey)]).body);
    const ok = verifyInclusion(leafHash(proof.canonical), proof.event.seq, proof.treeSize, proof.auditPath, checkpoint.root);
    context.out(JSON.stringify({ seq: proof.event.seq, tree_size: proof.treeSize, leaf_hash: Buffer.from(proof.leafHash).toString('base64'), audit_path: proof.auditPath.map((h) => Buffer.from(h).toString('base64')), checkpoint: proof.checkpoint, verifier_key: signer.verifierKey, verified: ok }, null, 2));
    return ok ? 0 : 1;
  });
};
