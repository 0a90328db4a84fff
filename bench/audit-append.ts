// Audit benchmarks 1 and 2: sustained append through the inbox and the sequencer, and the latency
// from an event's commit to its inclusion in a signed checkpoint.
//
// Subject: writers record events into the inbox (`AuditRecorder.record` inside `withTenant`, one
// INSERT per event, `batch` events per transaction) across 100 tenants while one sequencer (the
// production `startSequencerLoop` around `createSequencer` with default options) sequences them.
// Measured: events sequenced per second over the window. Baseline, same run, alternating rounds:
// the same writers inserting the same rows, finished (canonical bytes included), as one multi-row
// INSERT per batch into a plain copy of audit_events — no inbox, sequencer, hashing, tree or
// checkpoints. Each round also runs the subject paced at 60 % of its own rate (latency when the
// sequencer keeps up) and a variant whose writers use `recordMany` (one INSERT per transaction, as
// the app's api.request buffer does), where the sequencer alone sets the pace.
//
// Server: writers, sequencer and baseline each run on a worker thread with their own pool (as app
// nodes and the leader node would); the main thread polls audit_checkpoints for the latency.
// PGlite: everything on one thread, one connection.
//
//   node_modules/.bin/node bench/audit-append.ts [postgres] [pglite] [--quick] [--writer-threads N]
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createContextSigner, createTransactor } from '../src/platform/db/index.ts';
import { openTestDatabase } from '../test/support/databases.ts';
import { runServer } from './audit-append-server.ts';
import { runInboxWriters, runPlainInserts, startCountedSequencer, type LoadCounters, type SequencerCounters } from './audit-load.ts';
import { canonicalSizes, CONTEXT_KEY, fmt, loadAverage, machineFacts, out, sequencedTotal } from './audit-support.ts';
import { formatRatio, median, table } from './support.ts';

const quick = process.argv.includes('--quick');
const argument = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};

const PGLITE = {
  tenants: 100,
  writers: 2,
  batch: 100,
  rounds: quick ? 1 : 3,
  warmupMs: quick ? 2_000 : 3_000,
  windowMs: quick ? 6_000 : 20_000,
  baselineWarmupMs: 1_000,
  baselineMs: quick ? 4_000 : 8_000,
  targetRate: 3_000,
};

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

// ---------------------------------------------------------------------------------------------
// PGlite

async function runPglite(): Promise<void> {
  out();
  out(`== audit append, PGlite (in memory, one connection, one thread): ${PGLITE.tenants} tenants, ${PGLITE.writers} writer loops x ${PGLITE.batch} events per transaction, one sequencer loop`);
  const test = await openTestDatabase('pglite');
  try {
    const { db } = test;
    // The embedded session is a superuser: the plain table needs no grants, and RLS does not apply to it.
    await sql`create table audit_events_plain (like audit_events including all)`.execute(db.app);
    const transactor = createTransactor(db.app, createContextSigner(CONTEXT_KEY));
    const tenants = Array.from({ length: PGLITE.tenants }, () => randomUUID());
    const settings = { tenants, writers: PGLITE.writers, batch: PGLITE.batch, sampleEvery: 0 };
    const subjects: { sequenced: number; committed: number; backlog: number; passMs: number }[] = [];
    const many: typeof subjects = [];
    const baselines: number[] = [];
    const measure = async (counters: LoadCounters, warmupMs: number, windowMs: number) => {
      await sleep(warmupMs);
      const c0 = counters.count;
      const t0 = Date.now();
      await sleep(windowMs);
      return { delta: counters.count - c0, seconds: (Date.now() - t0) / 1000 };
    };
    const subject = async (round: number, recordMany: boolean) => {
      const writerCounters: LoadCounters = { count: 0, samples: [] };
      const sequencerCounters: SequencerCounters = { count: 0, samples: [], passes: 0, passMs: 0 };
      const controller = new AbortController();
      const stopSequencer = startCountedSequencer(db, transactor, sequencerCounters);
      const writing = runInboxWriters(transactor, { ...settings, firstEvent: round * 10_000_000 + (recordMany ? 5_000_000 : 0), ...(recordMany ? { recordMany } : {}) }, writerCounters, controller.signal);
      await sleep(PGLITE.warmupMs);
      const w0 = writerCounters.count;
      const p0 = { passes: sequencerCounters.passes, ms: sequencerCounters.passMs };
      // Counted from the tree heads (the superuser session sees every tenant's), not per pass.
      const h0 = await sequencedTotal(db.app);
      await sleep(PGLITE.windowMs);
      const h1 = await sequencedTotal(db.app);
      const committed = writerCounters.count - w0;
      const sequenced = { delta: h1.events - h0.events, seconds: (h1.at - h0.at) / 1000 };
      controller.abort();
      await writing;
      const backlog = await sql<{ n: string }>`select count(*) as n from audit_inbox`.execute(db.app);
      await stopSequencer();
      (recordMany ? many : subjects).push({
        sequenced: sequenced.delta / sequenced.seconds,
        committed: committed / sequenced.seconds,
        backlog: Number(backlog.rows[0]!.n),
        passMs: (sequencerCounters.passMs - p0.ms) / Math.max(1, sequencerCounters.passes - p0.passes),
      });
    };
    const baseline = async (round: number) => {
      const counters: LoadCounters = { count: 0, samples: [] };
      const controller = new AbortController();
      const writing = runPlainInserts(db.app, { ...settings, firstEvent: round * 10_000_000, seqBase: round * 100_000_000 }, counters, controller.signal);
      const result = await measure(counters, PGLITE.baselineWarmupMs, PGLITE.baselineMs);
      controller.abort();
      await writing;
      baselines.push(result.delta / result.seconds);
    };
    for (let round = 0; round < PGLITE.rounds; round++) {
      if (round % 2 === 1) await baseline(round);
      await subject(round, false);
      await subject(round, true);
      if (round % 2 === 0) await baseline(round);
      const s = subjects.at(-1)!;
      const v = many.at(-1)!;
      out(
        `  round ${round + 1}/${PGLITE.rounds}: baseline ${fmt(baselines.at(-1)!)}/s | sequenced ${fmt(s.sequenced)}/s (writers committed ${fmt(s.committed)}/s, inbox ${fmt(s.backlog)} at end, pass ${fmt(s.passMs)} ms) | ` +
          `variant recordMany: sequenced ${fmt(v.sequenced)}/s (writers committed ${fmt(v.committed)}/s, inbox ${fmt(v.backlog)} at end, pass ${fmt(v.passMs)} ms) | load ${loadAverage()}`,
      );
    }
    const ratios = subjects.map((s, i) => s.sequenced / baselines[i]!);
    const rate = median(subjects.map((s) => s.sequenced));
    for (const line of table(
      ['measure (median of rounds)', 'value', 'target', ''],
      [
        ['baseline: plain batched INSERT, rows/s', fmt(median(baselines)), '', ''],
        ['subject: sequenced events/s', fmt(rate), `>= ${fmt(PGLITE.targetRate)}`, verdict(rate >= PGLITE.targetRate)],
        ['subject / baseline (median, range)', formatRatio(ratios), '', ''],
        ['writers committed events/s', fmt(median(subjects.map((s) => s.committed))), '', ''],
        ['variant recordMany: sequenced events/s', fmt(median(many.map((v) => v.sequenced))), `>= ${fmt(PGLITE.targetRate)}`, verdict(median(many.map((v) => v.sequenced)) >= PGLITE.targetRate)],
        ['variant recordMany / baseline (median, range)', formatRatio(many.map((v, i) => v.sequenced / baselines[i]!)), '', ''],
        ['variant recordMany: writers committed events/s', fmt(median(many.map((v) => v.committed))), '', ''],
      ],
    )) out(line);
  } finally {
    await test.close();
  }
}

async function main(): Promise<void> {
  const named = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--writer-threads');
  const which = named.length === 0 ? ['postgres', 'pglite'] : named;
  out(await machineFacts());
  const sizes = canonicalSizes();
  out(`canonical event size: ${sizes.min}–${sizes.max} bytes, mean ${fmt(sizes.mean)}`);
  if (which.includes('postgres')) await runServer(quick, Number(argument('--writer-threads') ?? 1));
  if (which.includes('pglite')) await runPglite();
}

await main();
