// The server half of bench/audit-append.ts: phases on worker threads, the checkpoint poller for the
// commit → checkpoint latency, and the accounting of where CPU and round trips go.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import pg from 'pg';
import type { AppendWorkerData, AppendWorkerReport, StatementStats } from './audit-append-worker.ts';
import type { CommitSample } from './audit-load.ts';
import { backendCpu, backendCpuSince, fmt, sequencedTotal, loadAverage, openServerAuditDatabase, out, percentile, serverSkipReason, withApplicationName, type ServerAuditDatabase } from './audit-support.ts';
import { report } from './audit-append-report.ts';
import type { Benchmark, Verdict } from './support.ts';

export function serverSettings(quick: boolean, writerThreads = 1) {
  return {
    tenants: 100,
    /** Writer threads (app nodes); each runs `writers` concurrent transactions. The baseline uses as many. */
    writerThreads,
    writers: 8,
    batch: 100,
    rounds: quick ? 1 : 3,
    warmupMs: quick ? 2_000 : 5_000,
    windowMs: quick ? 8_000 : 25_000,
    baselineWarmupMs: 2_000,
    baselineMs: quick ? 5_000 : 10_000,
    /** The paced phase writes at this share of the round's full-speed sequenced rate. */
    pacedShare: 0.6,
    aloneMs: quick ? 5_000 : 15_000,
    pollMs: 50,
    sampleEvery: 4,
    targetRate: 10_000,
    targetRatio: 0.5,
    targetP99Ms: 2_000,
  };
}
export type Settings = ReturnType<typeof serverSettings>;

interface SpawnedWorker {
  readonly ready: Promise<AppendWorkerReport>;
  count(): Promise<AppendWorkerReport>;
  /** Stops the load (the sequencer drains), returns the final report and ends the thread. */
  stop(): Promise<AppendWorkerReport>;
  terminate(): Promise<void>;
}

function spawn(data: AppendWorkerData): SpawnedWorker {
  const worker = new Worker(new URL('./audit-append-worker.ts', import.meta.url), { workerData: data });
  let pending: { resolve: (report: AppendWorkerReport) => void; reject: (error: Error) => void } | undefined;
  let failure: Error | undefined;
  const next = () =>
    new Promise<AppendWorkerReport>((resolve, reject) => {
      if (failure !== undefined) reject(failure);
      else pending = { resolve, reject };
    });
  const ready = next();
  worker.on('message', (report: AppendWorkerReport) => {
    const waiting = pending;
    pending = undefined;
    waiting?.resolve(report);
  });
  worker.on('error', (error: Error) => {
    failure = error;
    pending?.reject(error);
    pending = undefined;
  });
  const ask = (message: 'count' | 'stop') => {
    const answer = next();
    worker.postMessage(message);
    return answer;
  };
  return {
    ready,
    count: () => ask('count'),
    stop: async () => {
      const report = await ask('stop');
      await worker.terminate();
      return report;
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** Several workers of one role as one: counts, CPU and samples summed, utilization averaged. */
function spawnMany(datas: readonly AppendWorkerData[]): SpawnedWorker {
  const workers = datas.map(spawn);
  const combine = (reports: AppendWorkerReport[]): AppendWorkerReport => {
    const statements: StatementStats = new Map();
    for (const report of reports) {
      for (const [kind, v] of report.statements) {
        const entry = statements.get(kind) ?? { n: 0, ms: 0 };
        statements.set(kind, { n: entry.n + v.n, ms: entry.ms + v.ms });
      }
    }
    return {
      type: reports[0]!.type,
      count: reports.reduce((sum, r) => sum + r.count, 0),
      at: Math.max(...reports.map((r) => r.at)),
      utilization: reports.reduce((sum, r) => sum + r.utilization, 0) / reports.length,
      cpuMicros: reports.reduce((sum, r) => sum + r.cpuMicros, 0),
      passes: reports.reduce((sum, r) => sum + r.passes, 0),
      passMs: reports.reduce((sum, r) => sum + r.passMs, 0),
      statements,
      samples: reports.flatMap((r) => r.samples),
    };
  };
  return {
    ready: Promise.all(workers.map((w) => w.ready)).then(combine),
    count: async () => combine(await Promise.all(workers.map((w) => w.count()))),
    stop: async () => combine(await Promise.all(workers.map((w) => w.stop()))),
    terminate: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** `threads` copies of a writer role, with distinct event numbers and (baseline) seq ranges. */
function writerGroup(data: AppendWorkerData, threads: number): SpawnedWorker {
  // Each thread starts at another point of the tenant list, so threads do not write the same tenant at once.
  const shift = (i: number) => Math.floor((i * data.tenants.length) / threads);
  return spawnMany(
    Array.from({ length: threads }, (_, i) => ({
      ...data,
      tenants: [...data.tenants.slice(shift(i)), ...data.tenants.slice(0, shift(i))],
      firstEvent: data.firstEvent + i * 1_000_000,
      seqBase: data.seqBase + i * 10_000_000,
    })),
  );
}

/** Polls every tenant's largest signed checkpoint and remembers when each size was first seen. */
function startCheckpointPoller(url: string, tenants: readonly string[], intervalMs: number) {
  const client = new pg.Client({ connectionString: withApplicationName(url, 'audit-bench-poller') });
  const seen = new Map<string, { at: number; size: number }[]>();
  let stopped = false;
  const pollOnce = async () => {
    const { rows } = await client.query<{ tenant_id: string; size: string | null }>(
      `select t.tenant_id, (select max(c.size) from audit_checkpoints c where c.tenant_id = t.tenant_id and c.kind = 'regular') as size
         from unnest($1::uuid[]) as t(tenant_id)`,
      [tenants],
    );
    // Received after the commit of every checkpoint it shows: an upper bound on when each was signed.
    const at = Date.now();
    for (const row of rows) {
      const size = Number(row.size ?? 0);
      const list = seen.get(row.tenant_id) ?? [];
      if (list.length === 0 || list.at(-1)!.size < size) list.push({ at, size });
      seen.set(row.tenant_id, list);
    }
  };
  const ready = client.connect().then(pollOnce);
  const loop = ready.then(async () => {
    while (!stopped) {
      await sleep(intervalMs);
      await pollOnce();
    }
    await client.end();
  });
  return {
    ready,
    stop: async () => {
      stopped = true;
      await loop;
    },
    /** When a checkpoint covering `seq` (size > seq) was first seen. */
    includedAt: (tenantId: string, seq: number): number | undefined => seen.get(tenantId)?.find((o) => o.size > seq)?.at,
  };
}

/** Each sampled event's latency: the first poll that saw a checkpoint covering its seq, minus its commit. */
async function commitToCheckpoint(server: ServerAuditDatabase, samples: readonly CommitSample[], includedAt: (tenantId: string, seq: number) => number | undefined) {
  const client = new pg.Client({ connectionString: server.superUrl });
  await client.connect();
  const seqs = new Map<string, number>();
  try {
    const { rows } = await client.query<{ id: string; seq: string }>(
      'select e.id::text as id, e.seq from audit_events e join unnest($1::uuid[], $2::uuid[]) as s(tenant_id, id) on e.tenant_id = s.tenant_id and e.id = s.id',
      [samples.flatMap((s) => s.ids.map(() => s.tenantId)), samples.flatMap((s) => s.ids)],
    );
    for (const row of rows) seqs.set(row.id, Number(row.seq));
  } finally {
    await client.end();
  }
  const latencies: number[] = [];
  let notIncluded = 0;
  for (const sample of samples) {
    for (const id of sample.ids) {
      const seq = seqs.get(id);
      const at = seq === undefined ? undefined : includedAt(sample.tenantId, seq);
      if (at === undefined) notIncluded++;
      else latencies.push(at - sample.committedAt);
    }
  }
  return { latencies, notIncluded };
}

function statementsSince(before: StatementStats, after: StatementStats): StatementStats {
  const delta: StatementStats = new Map();
  for (const [kind, now] of after) {
    const then = before.get(kind) ?? { n: 0, ms: 0 };
    if (now.n > then.n) delta.set(kind, { n: now.n - then.n, ms: now.ms - then.ms });
  }
  return delta;
}

/** CPU microseconds per event: this side's node thread and its server backends. */
export interface CpuPerEvent {
  readonly node: number;
  readonly db: number;
}

export interface SubjectResult {
  readonly windowMs: number;
  readonly sequenced: number;
  readonly sequencedPerSecond: number;
  readonly committedPerSecond: number;
  readonly backlogAtEnd: number;
  readonly passes: number;
  readonly meanPassMs: number;
  readonly sequencerStatements: StatementStats;
  readonly writerCpu: CpuPerEvent;
  readonly sequencerCpu: CpuPerEvent;
  readonly writerBusy: number;
  readonly sequencerBusy: number;
  readonly latenciesMs: number[];
  readonly notIncluded: number;
}

async function subjectPhase(server: ServerAuditDatabase, tenants: readonly string[], s: Settings, round: number, variant: { eventsPerSecond?: number; recordMany?: boolean } = {}): Promise<SubjectResult> {
  const { eventsPerSecond } = variant;
  const firstEvent = round * 10_000_000 + (eventsPerSecond === undefined ? 0 : 3_000_000) + (variant.recordMany === true ? 6_000_000 : 0);
  const common = { tenants, writers: s.writers, batch: s.batch, sampleEvery: s.sampleEvery, firstEvent, seqBase: 0, ...(variant.recordMany === true ? { recordMany: true } : {}) };
  const poller = startCheckpointPoller(server.superUrl, tenants, s.pollMs);
  await poller.ready;
  const sequencer = spawn({ ...common, role: 'sequencer', url: withApplicationName(server.appUrl, 'audit-bench-sequencer') });
  const writers = writerGroup({ ...common, ...(eventsPerSecond === undefined ? {} : { eventsPerSecond: eventsPerSecond / s.writerThreads }), role: 'writers', url: withApplicationName(server.appUrl, 'audit-bench-writers') }, s.writerThreads);
  try {
    await Promise.all([sequencer.ready, writers.ready]);
    await sleep(s.warmupMs);
    const [w0, s0, db0, h0] = await Promise.all([writers.count(), sequencer.count(), backendCpu(server.superuser, server.name), sequencedTotal(server.superuser)]);
    await sleep(s.windowMs);
    const [w1, s1, db1, h1] = await Promise.all([writers.count(), sequencer.count(), backendCpu(server.superuser, server.name), sequencedTotal(server.superuser)]);
    const backlog = await sql<{ n: string }>`select count(*) as n from audit_inbox`.execute(server.superuser);
    const finalWriters = await writers.stop();
    await sequencer.stop();
    await poller.stop();
    const windowed = finalWriters.samples.filter((sample) => sample.committedAt >= w0.at && sample.committedAt <= w1.at);
    const { latencies, notIncluded } = await commitToCheckpoint(server, windowed, poller.includedAt);
    // Counted from the tree heads, not per pass: a pass over a large backlog can outlast the window.
    const sequenced = h1.events - h0.events;
    const committed = w1.count - w0.count;
    const dbCpu = backendCpuSince(db0, db1);
    return {
      windowMs: h1.at - h0.at,
      sequenced,
      sequencedPerSecond: sequenced / ((h1.at - h0.at) / 1000),
      committedPerSecond: committed / ((w1.at - w0.at) / 1000),
      backlogAtEnd: Number(backlog.rows[0]!.n),
      passes: s1.passes - s0.passes,
      meanPassMs: (s1.passMs - s0.passMs) / Math.max(1, s1.passes - s0.passes),
      sequencerStatements: statementsSince(s0.statements, s1.statements),
      writerCpu: { node: (w1.cpuMicros - w0.cpuMicros) / committed, db: (dbCpu.get('audit-bench-writers') ?? 0) / committed },
      sequencerCpu: { node: (s1.cpuMicros - s0.cpuMicros) / sequenced, db: (dbCpu.get('audit-bench-sequencer') ?? 0) / sequenced },
      writerBusy: w1.utilization,
      sequencerBusy: s1.utilization,
      latenciesMs: latencies,
      notIncluded,
    };
  } finally {
    await Promise.all([writers.terminate(), sequencer.terminate(), poller.stop().catch(() => undefined)]);
  }
}

async function baselinePhase(server: ServerAuditDatabase, tenants: readonly string[], s: Settings, round: number): Promise<{ rowsPerSecond: number; cpu: CpuPerEvent }> {
  const plain = writerGroup({ tenants, writers: s.writers, batch: s.batch, sampleEvery: 0, firstEvent: round * 10_000_000, seqBase: round * 100_000_000, role: 'plain', url: withApplicationName(server.superUrl, 'audit-bench-plain') }, s.writerThreads);
  try {
    await plain.ready;
    await sleep(s.baselineWarmupMs);
    const [p0, db0] = await Promise.all([plain.count(), backendCpu(server.superuser, server.name)]);
    await sleep(s.baselineMs);
    const [p1, db1] = await Promise.all([plain.count(), backendCpu(server.superuser, server.name)]);
    await plain.stop();
    const rows = p1.count - p0.count;
    return { rowsPerSecond: rows / ((p1.at - p0.at) / 1000), cpu: { node: (p1.cpuMicros - p0.cpuMicros) / rows, db: (backendCpuSince(db0, db1).get('audit-bench-plain') ?? 0) / rows } };
  } finally {
    await plain.terminate();
  }
}

/** Each side alone: writers with no sequencer running, then the sequencer draining what they wrote. */
async function alonePhases(server: ServerAuditDatabase, tenants: readonly string[], s: Settings): Promise<{ writersPerSecond: number; sequencerPerSecond: number; events: number }> {
  const common = { tenants, writers: s.writers, batch: s.batch, sampleEvery: 0, firstEvent: 90_000_000, seqBase: 0 };
  const writers = writerGroup({ ...common, role: 'writers', url: withApplicationName(server.appUrl, 'audit-bench-writers') }, s.writerThreads);
  let writersPerSecond: number;
  let events: number;
  try {
    const w0 = await writers.ready;
    await sleep(s.aloneMs);
    const w1 = await writers.stop();
    events = w1.count;
    writersPerSecond = (w1.count - w0.count) / ((w1.at - w0.at) / 1000);
  } finally {
    await writers.terminate();
  }
  const sequencer = spawn({ ...common, role: 'sequencer', url: withApplicationName(server.appUrl, 'audit-bench-sequencer') });
  try {
    const s0 = await sequencer.ready;
    let s1 = s0;
    while (s1.count < events) {
      await sleep(100);
      s1 = await sequencer.count();
    }
    await sequencer.stop();
    return { writersPerSecond, sequencerPerSecond: s1.count / ((s1.at - s0.at) / 1000), events };
  } finally {
    await sequencer.terminate();
  }
}

/**
 * `lean` (for `npm run bench -- audit-append`): only the alternating full-speed subject, `recordMany`
 * variant and baseline rounds; no paced phase and no writers-alone / sequencer-alone diagnostics.
 */
export async function runServer(quick: boolean, writerThreads: number, options: { rounds?: number; lean?: boolean } = {}): Promise<Verdict[]> {
  const s = { ...serverSettings(quick, writerThreads), ...(options.rounds === undefined ? {} : { rounds: options.rounds }) };
  out();
  out(`== audit append, PostgreSQL server: ${s.tenants} tenants; writers: ${s.writers} concurrent transactions x ${s.batch} events (one INSERT each) on each of ${s.writerThreads} thread(s); one sequencer (production loop, default options: ≤ 1000 events/tenant/transaction, checkpoint every 1 s or 1000 events) on another`);
  const reason = await serverSkipReason();
  if (reason !== false) {
    out(`skipped: ${reason}`);
    return [{ measure: 'audit append (server), sequenced events/s', value: 'skipped', target: `>= ${fmt(s.targetRate)}`, met: undefined }];
  }
  const server = await openServerAuditDatabase({ poolSize: 2, superPoolSize: 2 });
  try {
    await sql`create table audit_events_plain (like audit_events including all)`.execute(server.superuser);
    const tenants = Array.from({ length: s.tenants }, () => randomUUID());
    const full: SubjectResult[] = [];
    const paced: SubjectResult[] = [];
    const many: SubjectResult[] = [];
    const baselines: { rowsPerSecond: number; cpu: CpuPerEvent }[] = [];
    for (let round = 0; round < s.rounds; round++) {
      // Alternate which side runs first, so neither always runs on the fresher database.
      if (round % 2 === 1) baselines.push(await baselinePhase(server, tenants, s, round));
      full.push(await subjectPhase(server, tenants, s, round));
      if (round % 2 === 0) baselines.push(await baselinePhase(server, tenants, s, round));
      const f = full.at(-1)!;
      const b = baselines.at(-1)!;
      out(
        `  round ${round + 1}/${s.rounds}: baseline ${fmt(b.rowsPerSecond)}/s | sequenced ${fmt(f.sequencedPerSecond)}/s (writers committed ${fmt(f.committedPerSecond)}/s, inbox ${fmt(f.backlogAtEnd)} at end) | ` +
          `pass ${fmt(f.meanPassMs)} ms | busy: writers ${(100 * f.writerBusy).toFixed(0)} %, sequencer ${(100 * f.sequencerBusy).toFixed(0)} % | ` +
          `commit→checkpoint p50 ${fmt(percentile(f.latenciesMs, 50))} ms, p99 ${fmt(percentile(f.latenciesMs, 99))} ms | load ${loadAverage()}`,
      );
      const pace = Math.round(f.sequencedPerSecond * s.pacedShare);
      if (options.lean !== true) paced.push(await subjectPhase(server, tenants, s, round, { eventsPerSecond: pace }));
      const p = paced.at(-1);
      if (p !== undefined) out(
        `    paced at ${fmt(pace)} events/s: sequenced ${fmt(p.sequencedPerSecond)}/s, inbox ${fmt(p.backlogAtEnd)} at end, pass ${fmt(p.meanPassMs)} ms, ` +
          `commit→checkpoint p50 ${fmt(percentile(p.latenciesMs, 50))} ms, p99 ${fmt(percentile(p.latenciesMs, 99))} ms (${fmt(p.latenciesMs.length)} events${p.notIncluded > 0 ? `, ${p.notIncluded} not seen` : ''})`,
      );
      many.push(await subjectPhase(server, tenants, s, round, { recordMany: true }));
      const v = many.at(-1)!;
      out(
        `    variant, writers use recordMany (one INSERT per transaction): sequenced ${fmt(v.sequencedPerSecond)}/s (writers committed ${fmt(v.committedPerSecond)}/s, inbox ${fmt(v.backlogAtEnd)} at end), ` +
          `pass ${fmt(v.meanPassMs)} ms, busy: writers ${(100 * v.writerBusy).toFixed(0)} %, sequencer ${(100 * v.sequencerBusy).toFixed(0)} %`,
      );
    }
    const alone = options.lean === true ? undefined : await alonePhases(server, tenants, s);
    return report(s, { full, paced, many }, baselines, alone);
  } finally {
    await server.close();
  }
}

/** `npm run bench -- audit-append`: the server append benchmark, two alternating rounds, lean. */
export const auditAppend: Benchmark = {
  name: 'audit-append',
  description: 'audit append through inbox + sequencer on the PostgreSQL server (record per event, and recordMany) vs a plain batched INSERT of the same rows, alternating rounds',
  onlyWhenNamed: true,
  run: () => runServer(true, 1, { rounds: 2, lean: true }),
};
