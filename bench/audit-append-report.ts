// The report of the server append benchmark (bench/audit-append-server.ts): targets, CPU per
// event and where the sequencer's time went.
import type { CpuPerEvent, Settings, SubjectResult } from './audit-append-server.ts';
import { fmt, out, percentile } from './audit-support.ts';
import { formatRatio, median, table, type Verdict } from './support.ts';

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const us = (n: number) => fmt(n);

export function report(
  s: Settings,
  { full, paced, many }: { full: SubjectResult[]; paced: SubjectResult[]; many: SubjectResult[] },
  baselines: { rowsPerSecond: number; cpu: CpuPerEvent }[],
  alone: { writersPerSecond: number; sequencerPerSecond: number; events: number } | undefined,
): Verdict[] {
  const ratios = full.map((f, i) => f.sequencedPerSecond / baselines[i]!.rowsPerSecond);
  const rate = median(full.map((f) => f.sequencedPerSecond));
  const p99 = (results: SubjectResult[]) => results.map((r) => percentile(r.latenciesMs, 99));
  const m = (values: number[]) => median(values);
  out();
  for (const line of table(
    ['measure (median of rounds)', 'value', 'target', ''],
    [
      ['baseline: plain batched INSERT, rows/s', fmt(m(baselines.map((b) => b.rowsPerSecond))), '', ''],
      ['subject: sequenced events/s', fmt(rate), `>= ${fmt(s.targetRate)}`, verdict(rate >= s.targetRate)],
      ['subject / baseline (median, range)', formatRatio(ratios), `>= ${s.targetRatio}`, verdict(m(ratios) >= s.targetRatio)],
      ['writers committed events/s (same phase)', fmt(m(full.map((f) => f.committedPerSecond))), '', ''],
      ['full speed: commit → checkpoint p50 / p99, ms', `${fmt(m(full.map((f) => percentile(f.latenciesMs, 50))))} / ${fmt(m(p99(full)))}`, `p99 <= ${fmt(s.targetP99Ms)}`, verdict(m(p99(full)) <= s.targetP99Ms)],
      ...(paced.length === 0 ? [] : [[`paced at ${s.pacedShare} x full speed: p50 / p99, ms`, `${fmt(m(paced.map((p) => percentile(p.latenciesMs, 50))))} / ${fmt(m(p99(paced)))}`, `p99 <= ${fmt(s.targetP99Ms)}`, verdict(m(p99(paced)) <= s.targetP99Ms)]]),
      ['variant recordMany: sequenced events/s', fmt(m(many.map((v) => v.sequencedPerSecond))), `>= ${fmt(s.targetRate)}`, verdict(m(many.map((v) => v.sequencedPerSecond)) >= s.targetRate)],
      ['variant recordMany / baseline (median, range)', formatRatio(many.map((v, i) => v.sequencedPerSecond / baselines[i]!.rowsPerSecond)), `>= ${s.targetRatio}`, verdict(m(many.map((v, i) => v.sequencedPerSecond / baselines[i]!.rowsPerSecond)) >= s.targetRatio)],
      ['variant recordMany: writers committed events/s', fmt(m(many.map((v) => v.committedPerSecond))), '', ''],
      ...(alone === undefined
        ? []
        : [
            ['writers alone (no sequencer), events/s', fmt(alone.writersPerSecond), '', ''],
            [`sequencer alone (draining ${fmt(alone.events)}), events/s`, fmt(alone.sequencerPerSecond), '', ''],
          ]),
    ],
  )) out(line);
  out(`latency: events of every ${s.sampleEvery}th writer transaction committed in the window; checkpoints polled every ${s.pollMs} ms, so figures are upper bounds by up to one poll`);
  out();
  out('CPU per event, microseconds (median of rounds; node thread + its server backends):');
  for (const line of table(
    ['side', 'node thread', 'server', 'total'],
    [
      ['baseline writers (per row)', us(m(baselines.map((b) => b.cpu.node))), us(m(baselines.map((b) => b.cpu.db))), us(m(baselines.map((b) => b.cpu.node + b.cpu.db)))],
      ['subject writers (per committed event)', us(m(full.map((f) => f.writerCpu.node))), us(m(full.map((f) => f.writerCpu.db))), us(m(full.map((f) => f.writerCpu.node + f.writerCpu.db)))],
      ['subject sequencer (per sequenced event)', us(m(full.map((f) => f.sequencerCpu.node))), us(m(full.map((f) => f.sequencerCpu.db))), us(m(full.map((f) => f.sequencerCpu.node + f.sequencerCpu.db)))],
      ['variant recordMany writers (per committed event)', us(m(many.map((v) => v.writerCpu.node))), us(m(many.map((v) => v.writerCpu.db))), us(m(many.map((v) => v.writerCpu.node + v.writerCpu.db)))],
      ['variant recordMany sequencer (per sequenced event)', us(m(many.map((v) => v.sequencerCpu.node))), us(m(many.map((v) => v.sequencerCpu.db))), us(m(many.map((v) => v.sequencerCpu.node + v.sequencerCpu.db)))],
    ],
  )) out(line);
  out();
  statementTable('full speed, record per event', full.at(-1)!);
  statementTable('variant recordMany', many.at(-1)!);
  const manyRate = m(many.map((v) => v.sequencedPerSecond));
  const manyRatios = many.map((v, i) => v.sequencedPerSecond / baselines[i]!.rowsPerSecond);
  return [
    { measure: 'audit append (record per event) / plain batched INSERT', value: formatRatio(ratios), target: `>= ${s.targetRatio}`, met: m(ratios) >= s.targetRatio },
    { measure: 'audit append (record per event), sequenced events/s', value: fmt(rate), target: `>= ${fmt(s.targetRate)}`, met: rate >= s.targetRate },
    { measure: 'audit append (recordMany) / plain batched INSERT', value: formatRatio(manyRatios), target: `>= ${s.targetRatio}`, met: m(manyRatios) >= s.targetRatio },
    { measure: 'audit append (recordMany), sequenced events/s', value: fmt(manyRate), target: `>= ${fmt(s.targetRate)}`, met: manyRate >= s.targetRate },
  ];
}

/** Where the sequencer's time went in one window: statements per 1,000 events and their round-trip times. */
function statementTable(label: string, last: SubjectResult): void {
  out();
  const kinds = [...last.sequencerStatements].sort((a, b) => b[1].ms - a[1].ms);
  const statementMs = kinds.reduce((sum, [, v]) => sum + v.ms, 0);
  const transactions = last.sequencerStatements.get('begin')?.n ?? 0;
  out(
    `sequencer in the last window (${label}): ${fmt(last.passes)} passes of ${fmt(last.meanPassMs)} ms, ${fmt((1000 * transactions) / last.sequenced, 1)} transactions and ` +
      `${fmt((1000 * kinds.reduce((sum, [, v]) => sum + v.n, 0)) / last.sequenced)} statements per 1,000 events; waiting on statements ${((100 * statementMs) / last.windowMs).toFixed(0)} % of the time:`,
  );
  for (const line of table(
    ['statement', 'per 1,000 events', 'mean ms', 'share of statement time'],
    kinds.map(([kind, v]) => [kind, fmt((1000 * v.n) / last.sequenced, 1), (v.ms / v.n).toFixed(2), `${((100 * v.ms) / statementMs).toFixed(0)} %`]),
  )) out(line);
}
