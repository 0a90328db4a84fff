// Audit benchmark 3: verification speed.
//
// (a) Hashing per core: `hashEvent` (the single-pass canonical-form check, or when that is not
//     sure, parse, re-canonicalize and compare; then the SHA-256 leaf hash) on one thread, against the baseline of the leaf hash alone (`leafHash`, the least any verifier does).
// (b) `verifyExportFile` end to end on a JSONL export of 200,000 events, against the baseline of
//     reading and parsing the same file line by line.
// (c) `verifyDatabaseLog` on the PostgreSQL server, against the baseline of reading the same rows
//     with the same paging.
// The log is one tenant's, built like the sequencer builds it (RFC 8785 bytes, RFC 9162 leaves,
// a signed checkpoint every 1,000 events) and written out as export-stream.ts writes exports.
//
//   node_modules/.bin/node bench/audit-verify.ts [--quick]
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import { EXPORT_CHECKPOINT_MARKER, EXPORT_FORMAT_VERSION, type ExportLine } from '../src/modules/audit/export/export-format.ts';
import { appendLeaf, canonicalJson, formatCheckpoint, frontierRoot, leafHash, parseVerifierKey, rootFromLeaves, signNote } from '../src/modules/audit/log/index.ts';
import { verifyDatabaseLog } from '../src/modules/audit/verify/verify-database.ts';
import { verifyExportFile } from '../src/modules/audit/verify/verify-export.ts';
import { hashEvent } from '../src/modules/audit/verify/log-verifier.ts';
import { benchSigner, eventRow, fmt, loadAverage, machineFacts, openServerAuditDatabase, out, sequencedEvent, serverSkipReason } from './audit-support.ts';
import { formatRatio, median, table, type Benchmark, type Verdict } from './support.ts';

const quick = process.argv.includes('--quick');
const SETTINGS = {
  events: quick ? 50_000 : 200_000,
  checkpointEvery: 1000,
  hashEvents: quick ? 20_000 : 50_000,
  rounds: quick ? 3 : 5,
  fileRounds: quick ? 1 : 3,
  targetHashPerCore: 200_000,
  targetDatabase: 50_000,
};

interface BuiltLog {
  readonly tenantId: string;
  readonly canonical: Uint8Array[];
  readonly leaves: Uint8Array[];
  readonly checkpoints: { size: number; root: Uint8Array; note: string }[];
  readonly frontier: Uint8Array[];
  readonly start: Date;
}

/** One tenant's log of `count` events with a signed checkpoint every `every` events and at the end. */
function buildLog(count: number, every: number): BuiltLog {
  const signer = benchSigner();
  const tenantId = randomUUID();
  const start = new Date(Date.now() - count * 1000);
  const canonical: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  const checkpoints: BuiltLog['checkpoints'] = [];
  let frontier: Uint8Array[] = [];
  for (let seq = 0; seq < count; seq++) {
    const bytes = canonicalJson(sequencedEvent(tenantId, seq, seq, new Date(start.getTime() + seq * 1000)));
    const leaf = leafHash(bytes);
    frontier = appendLeaf(frontier, seq, leaf).frontier;
    canonical.push(bytes);
    leaves.push(leaf);
    if ((seq + 1) % every === 0 || seq + 1 === count) {
      const root = frontierRoot(frontier);
      checkpoints.push({ size: seq + 1, root, note: signNote(formatCheckpoint({ origin: signer.origin(tenantId), size: seq + 1, root }), signer.signer) });
    }
  }
  return { tenantId, canonical, leaves, checkpoints, frontier, start };
}

/** Writes the log as a JSONL export: header, events, each checkpoint after the event completing its size. */
async function writeExport(log: BuiltLog, path: string): Promise<number> {
  const signer = benchSigner();
  const stream = createWriteStream(path);
  const write = (line: ExportLine) => stream.write(`${JSON.stringify(line)}\n`);
  write({ type: 'header', format: EXPORT_FORMAT_VERSION, tenant_id: log.tenantId, origin: signer.origin(log.tenantId), verifier_key: signer.verifierKey, exported_at: new Date().toISOString(), first_seq: 0 });
  const bySize = new Map(log.checkpoints.map((c) => [c.size, c.note]));
  let bytes = 0;
  for (let seq = 0; seq < log.canonical.length; seq++) {
    const line = `${JSON.stringify({ type: 'event', seq, leaf_hash: Buffer.from(log.leaves[seq]!).toString('base64'), canonical: Buffer.from(log.canonical[seq]!).toString('utf8') })}\n`;
    bytes += line.length;
    if (!stream.write(line)) await new Promise<void>((resolve) => stream.once("drain", () => { resolve(); }));
    const note = bySize.get(seq + 1);
    if (note !== undefined) write({ type: 'checkpoint', kind: 'regular', note });
  }
  // An export ends with the checkpoint signed when it is made.
  const exportedAt = new Date().toISOString();
  write({ type: 'checkpoint', kind: 'export', note: signNote(formatCheckpoint({ origin: signer.origin(log.tenantId), size: log.leaves.length, root: rootFromLeaves(log.leaves), extensions: [EXPORT_CHECKPOINT_MARKER, `exported_at ${exportedAt}`] }), signer.signer) });
  stream.end();
  await finished(stream);
  return bytes;
}

/** Runs `fn` and returns events per wall second and per CPU second of this thread. */
async function rate(events: number, fn: () => Promise<void> | void): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.threadCpuUsage();
  const started = performance.now();
  await fn();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.threadCpuUsage(cpu0);
  return { wall: events / seconds, cpu: events / ((cpu.user + cpu.system) / 1e6) };
}

type Work = () => Promise<void> | void;
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * Rounds of a baseline and subjects, the order rotating each round; a subject's ratio is taken
 * against the baseline of the same round.
 */
async function rounds(count: number, events: number, baseline: Work, subjects: readonly { label: string; run: Work }[]) {
  const sides = [{ label: 'baseline', run: baseline }, ...subjects];
  const rates: Rate[][] = sides.map(() => []);
  for (let round = 0; round < count; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (k + round) % sides.length;
      rates[i]!.push(await rate(events, sides[i]!.run));
    }
    out(`  round ${round + 1}/${count}: ${sides.map((side, i) => `${side.label} ${fmt(rates[i]![round]!.wall)}/s`).join(' | ')} | load ${loadAverage()}`);
  }
  const base = rates[0]!;
  return {
    baseline: base,
    subjects: subjects.map((_, j) => {
      const r = rates[j + 1]!;
      return { wall: median(r.map((x) => x.wall)), cpu: median(r.map((x) => x.cpu)), ratios: r.map((x, i) => x.wall / base[i]!.wall) };
    }),
  };
}

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

async function hashing(log: BuiltLog): Promise<void> {
  out();
  out(`== (a) hashing on one thread: ${fmt(SETTINGS.hashEvents)} canonical events per round`);
  const events = log.canonical.slice(0, SETTINGS.hashEvents);
  let sink = 0;
  const result = await rounds(
    SETTINGS.rounds,
    events.length,
    () => {
      for (const bytes of events) sink ^= leafHash(bytes)[0]!;
    },
    [
      {
        label: 'hashEvent',
        run: () => {
          for (const bytes of events) {
            const hashed = hashEvent(bytes);
            if (!hashed.canonicalOk) throw new Error('a built event is not canonical');
            sink ^= hashed.leafHash[0]!;
          }
        },
      },
      {
        label: 'prototype',
        run: () => {
          for (const bytes of events) {
            const hashed = hashEventPrototype(bytes);
            if (!hashed.canonicalOk) throw new Error('a built event is not canonical (prototype)');
            sink ^= hashed.leafHash[0]!;
          }
        },
      },
    ],
  );
  if (sink === 256) out('(unreachable; keeps the hashes alive)');
  const [subject, prototype] = [result.subjects[0]!, result.subjects[1]!];
  for (const line of table(
    ['measure (median of rounds)', 'value', 'target', ''],
    [
      ['baseline: leafHash only, events/s', fmt(median(result.baseline.map((b) => b.wall))), '', ''],
      ['hashEvent, events/s (wall)', fmt(subject.wall), '', ''],
      ['hashEvent, events per CPU-second (per core)', fmt(subject.cpu), `>= ${fmt(SETTINGS.targetHashPerCore)}`, verdict(subject.cpu >= SETTINGS.targetHashPerCore)],
      ['hashEvent / leafHash (median, range)', formatRatio(subject.ratios), '', ''],
      ['prototype (not in src), events per CPU-second', fmt(prototype.cpu), `>= ${fmt(SETTINGS.targetHashPerCore)}`, verdict(prototype.cpu >= SETTINGS.targetHashPerCore)],
      ['prototype / leafHash (median, range)', formatRatio(prototype.ratios), '', ''],
    ],
  )) out(line);
  out('prototype: JSON.parse, then V8\'s JSON.stringify of the parsed value compared byte for byte with the input plus a');
  out('check that every object\'s keys are in UTF-16 order and every string well-formed (RFC 8785 serializes primitives');
  out('exactly as ECMAScript JSON.stringify does); only when that disagrees does it fall back to canonicalJson.');
}

/** Keys in RFC 8785 order (UTF-16 code units, as `<` compares) and well-formed strings, all the way down. */
function sortedAndWellFormed(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(sortedAndWellFormed);
  let previous: string | undefined;
  for (const [key, member] of Object.entries(value)) {
    if ((previous !== undefined && !(previous < key)) || !key.isWellFormed() || !sortedAndWellFormed(member)) return false;
    previous = key;
  }
  return true;
}

/** The prototype of a faster `hashEvent` (see the note printed above); same result, fast path first. */
export function hashEventPrototype(canonical: Uint8Array): { leafHash: Uint8Array; canonicalOk: boolean; seq: number | undefined } {
  const bytes = Buffer.from(canonical.buffer, canonical.byteOffset, canonical.byteLength);
  let canonicalOk = false;
  let seq: number | undefined;
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { seq?: unknown };
    canonicalOk = (sortedAndWellFormed(parsed) && Buffer.from(JSON.stringify(parsed), 'utf8').equals(bytes)) || Buffer.from(canonicalJson(parsed)).equals(bytes);
    seq = typeof parsed.seq === 'number' ? parsed.seq : undefined;
  } catch {
    canonicalOk = false;
  }
  return { leafHash: leafHash(canonical), canonicalOk, seq };
}

async function exportFile(log: BuiltLog): Promise<void> {
  const path = join(tmpdir(), `parapet-audit-bench-${process.pid}.jsonl`);
  try {
    const bytes = await writeExport(log, path);
    const verifierKey = benchSigner().verifierKey;
    out();
    out(`== (b) verifyExportFile: ${fmt(log.canonical.length)} events, ${fmt(log.checkpoints.length)} checkpoints, ${fmt(bytes / 1e6, 1)} MB; hashing on ${Math.max(1, availableParallelism() - 1)} worker thread(s) (the default)`);
    let last: Awaited<ReturnType<typeof verifyExportFile>> | undefined;
    const result = await rounds(
      SETTINGS.fileRounds,
      log.canonical.length,
      async () => {
        let lines = 0;
        for await (const text of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
          if (text !== '') lines += (JSON.parse(text) as { type: string }).type === 'event' ? 1 : 0;
        }
        if (lines !== log.canonical.length) throw new Error(`read ${lines} events`);
      },
      [
        {
          label: 'verifyExportFile',
          run: async () => {
            last = await verifyExportFile(path, { verifierKey });
          },
        },
      ],
    );
    if (last?.ok !== true || last.events !== log.canonical.length || last.checkpointsVerified !== log.checkpoints.length + 1) throw new Error(`export did not verify: ${JSON.stringify(last?.damage.slice(0, 3))}`);
    for (const line of table(
      ['measure (median of rounds)', 'value'],
      [
        ['baseline: readline + JSON.parse of every line, events/s', fmt(median(result.baseline.map((b) => b.wall)))],
        ['verifyExportFile end to end, events/s', fmt(result.subjects[0]!.wall)],
        ['verifyExportFile / baseline (median, range)', formatRatio(result.subjects[0]!.ratios)],
        ['verifyExportFile: main thread CPU per event, µs (hashing is on the worker)', fmt(1e6 / result.subjects[0]!.cpu, 1)],
      ],
    )) out(line);
  } finally {
    await rm(path, { force: true });
  }
}

export async function database(log: BuiltLog, roundCount: number = SETTINGS.fileRounds): Promise<Verdict[]> {
  out();
  out(`== (c) verifyDatabaseLog on the PostgreSQL server: ${fmt(log.canonical.length)} events of one tenant, pages of 5,000`);
  const reason = await serverSkipReason();
  if (reason !== false) {
    out(`skipped: ${reason}`);
    return [{ measure: 'audit verification (database), events/s', value: 'skipped', target: `>= ${fmt(SETTINGS.targetDatabase)}`, met: undefined }];
  }
  const server = await openServerAuditDatabase({ poolSize: 4 });
  try {
    const signer = benchSigner();
    // Stored as the sequencer stores them (rows, checkpoints, head), inserted by the superuser; the
    // tree's interior nodes are left out (verification does not read them).
    for (let from = 0; from < log.canonical.length; from += 1000) {
      const rows = [];
      for (let seq = from; seq < Math.min(log.canonical.length, from + 1000); seq++) {
        rows.push(eventRow(sequencedEvent(log.tenantId, seq, seq, new Date(log.start.getTime() + seq * 1000)), log.canonical[seq]!, log.leaves[seq]!));
      }
      await server.superuser.insertInto('audit_events').values(rows).execute();
    }
    const now = new Date();
    for (let i = 0; i < log.checkpoints.length; i += 1000) {
      await server.superuser
        .insertInto('audit_checkpoints')
        .values(log.checkpoints.slice(i, i + 1000).map((c) => ({ tenant_id: log.tenantId, size: c.size, kind: 'regular' as const, root: Buffer.from(c.root), note: c.note, key_id: signer.signer.keyId, created_at: now })))
        .execute();
    }
    await server.superuser
      .insertInto('audit_tree_heads')
      .values({ tenant_id: log.tenantId, size: log.canonical.length, root: Buffer.from(log.checkpoints.at(-1)!.root), frontier: log.frontier.map((h) => Buffer.from(h)), first_seq: 0, updated_at: now })
      .execute();
    await sql`vacuum analyze audit_events`.execute(server.superuser);
    const verifier = parseVerifierKey(signer.verifierKey);
    const origin = signer.origin(log.tenantId);
    let last: Awaited<ReturnType<typeof verifyDatabaseLog>> | undefined;
    const result = await rounds(
      roundCount,
      log.canonical.length,
      async () => {
        let next = 0;
        let read = 0;
        for (;;) {
          const rows = await server.transactor.withTenant(log.tenantId, (tx) =>
            tx.selectFrom('audit_events').select(['seq', 'canonical', 'leaf_hash']).where('tenant_id', '=', log.tenantId).where('seq', '>=', next).orderBy('seq').limit(5000).execute(),
          );
          if (rows.length === 0) break;
          read += rows.length;
          next = Number(rows.at(-1)!.seq) + 1;
        }
        if (read !== log.canonical.length) throw new Error(`read ${read} rows`);
      },
      [
        {
          label: 'verifyDatabaseLog',
          run: async () => {
            last = await verifyDatabaseLog({ transactor: server.transactor }, log.tenantId, { verifier, origin });
          },
        },
      ],
    );
    if (last?.ok !== true || last.events !== log.canonical.length) throw new Error(`log did not verify: ${JSON.stringify(last?.damage.slice(0, 3))}`);
    const subject = result.subjects[0]!.wall;
    for (const line of table(
      ['measure (median of rounds)', 'value', 'target', ''],
      [
        ['baseline: the same paged reads, rows/s', fmt(median(result.baseline.map((b) => b.wall))), '', ''],
        ['verifyDatabaseLog, events/s', fmt(subject), `>= ${fmt(SETTINGS.targetDatabase)}`, verdict(subject >= SETTINGS.targetDatabase)],
        ['verifyDatabaseLog / baseline (median, range)', formatRatio(result.subjects[0]!.ratios), '', ''],
        ['verifyDatabaseLog: main thread CPU per event, µs (hashing is on the worker)', fmt(1e6 / result.subjects[0]!.cpu, 1), '', ''],
      ],
    )) out(line);
    return [
      { measure: 'audit verification (database), events/s', value: fmt(subject), target: `>= ${fmt(SETTINGS.targetDatabase)}`, met: subject >= SETTINGS.targetDatabase },
      { measure: 'audit verification / its own paged reads', value: formatRatio(result.subjects[0]!.ratios), target: '', met: undefined },
    ];
  } finally {
    await server.close();
  }
}

/** `npm run bench -- audit-verify`: the database verifier (c) on the PostgreSQL server against its own paged reads. */
export const auditVerify: Benchmark = {
  name: 'audit-verify',
  description: 'verifyDatabaseLog on the PostgreSQL server (100,000 events of one tenant) vs the same paged reads alone, alternating rounds',
  onlyWhenNamed: true,
  async run() {
    const log = buildLog(100_000, SETTINGS.checkpointEvery);
    return database(log, 3);
  },
};

async function main(): Promise<void> {
  out(await machineFacts());
  const built = performance.now();
  const log = buildLog(SETTINGS.events, SETTINGS.checkpointEvery);
  const sizes = log.canonical.reduce((range, c) => ({ min: Math.min(range.min, c.length), max: Math.max(range.max, c.length) }), { min: Infinity, max: 0 });
  out(`built one tenant's log of ${fmt(log.canonical.length)} events (canonical ${sizes.min}–${sizes.max} bytes) and ${fmt(log.checkpoints.length)} signed checkpoints in ${fmt((performance.now() - built) / 1000, 1)} s`);
  await hashing(log);
  await exportFile(log);
  await database(log);
}

if (import.meta.main) await main();
