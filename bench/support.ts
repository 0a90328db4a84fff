// Shared machinery for the benchmarks: alternating rounds, medians, concurrency, round-trip counting
// and printing. Every benchmark compares a subject with a baseline measured in the same process, in
// alternating rounds, because the machines it runs on are shared and noisy: a ratio of medians taken
// side by side survives noise that an absolute figure does not.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { loadConfig } from '../src/config/index.ts';
import { createHttpMetrics } from '../src/platform/http/metrics.ts';
import { createIpRateLimiter } from '../src/platform/http/rate-limit.ts';
import { Problem } from '../src/platform/http/schemas.ts';
import { createHttpServer } from '../src/platform/http/server.ts';
import type { createLogger } from '../src/platform/log/logger.ts';

/** One thing a benchmark measures: `run(ops)` performs `ops` operations and resolves when all are done. */
export interface Side {
  readonly label: string;
  run(ops: number): Promise<void>;
}

export interface SideStats {
  readonly label: string;
  /** Operations per second in each round, in round order. */
  readonly perRound: readonly number[];
  readonly medianOpsPerSecond: number;
  /**
   * CPU time of the whole process (user + system, all threads) per operation in each round, in
   * microseconds. On a machine shared with other work, wall-clock rounds swing with the scheduler;
   * CPU spent per operation swings far less, so its ratio is a second view of the same rounds.
   */
  readonly cpuMicrosPerOp: readonly number[];
}

export interface RoundsResult {
  readonly baseline: SideStats;
  readonly subjects: readonly (SideStats & { readonly ratios: readonly number[]; readonly medianRatio: number; readonly cpuRatios: readonly number[] })[];
}

/** What a benchmark reports for the summary: one line per target. */
export interface Verdict {
  readonly measure: string;
  readonly value: string;
  readonly target: string;
  /** `undefined` when the measure was skipped. */
  readonly met: boolean | undefined;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  /** Runs only when named on the command line. */
  readonly onlyWhenNamed?: boolean;
  run(out: (line: string) => void): Promise<Verdict[]>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `fn(0..ops-1)` with at most `concurrency` calls in flight. */
export async function runConcurrently(ops: number, concurrency: number, fn: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const index = next++;
      await fn(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker));
}

/**
 * Warms every side up, then runs `rounds` rounds of `ops` operations per side. The order of the
 * sides rotates each round so neither always runs first (after a GC, or on a cooler CPU). A
 * subject's ratio is its throughput over the baseline's in the same round; the reported figure
 * is the median of those per-round ratios.
 */
export async function measureRounds(options: {
  readonly baseline: Side;
  readonly subjects: readonly Side[];
  readonly rounds: number;
  readonly ops: number;
  readonly warmupOps: number;
  readonly out: (line: string) => void;
}): Promise<RoundsResult> {
  const sides = [options.baseline, ...options.subjects];
  for (const side of sides) await side.run(options.warmupOps);
  const perRound = sides.map(() => [] as number[]);
  const cpuPerRound = sides.map(() => [] as number[]);
  for (let round = 0; round < options.rounds; round++) {
    const order = sides.map((_, i) => (i + round) % sides.length);
    const cells: string[] = [];
    for (const i of order) {
      const side = sides[i]!;
      const cpu = process.cpuUsage();
      const started = performance.now();
      await side.run(options.ops);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      perRound[i]!.push(options.ops / seconds);
      cpuPerRound[i]!.push((used.user + used.system) / options.ops);
    }
    for (let i = 0; i < sides.length; i++) cells.push(`${sides[i]!.label} ${formatRate(perRound[i]![round]!)}`);
    options.out(`  round ${round + 1}/${options.rounds}: ${cells.join(' | ')}`);
  }
  const stats = (i: number): SideStats => ({ label: sides[i]!.label, perRound: perRound[i]!, medianOpsPerSecond: median(perRound[i]!), cpuMicrosPerOp: cpuPerRound[i]! });
  const baseline = stats(0);
  return {
    baseline,
    subjects: options.subjects.map((_, j) => {
      const s = stats(j + 1);
      const ratios = s.perRound.map((rate, round) => rate / baseline.perRound[round]!);
      // Like the throughput ratio: baseline CPU per operation over the subject's (higher is better).
      const cpuRatios = s.cpuMicrosPerOp.map((cpu, round) => baseline.cpuMicrosPerOp[round]! / cpu);
      return { ...s, ratios, medianRatio: median(ratios), cpuRatios };
    }),
  };
}

/**
 * Counts the statements node-postgres sends while `fn` runs. Each `Client.query` call is one round
 * trip to the server (Parse/Bind/Execute/Sync go out together), so this is the round-trip count.
 */
export async function countPgRoundTrips(fn: () => Promise<void>): Promise<number> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let count = 0;
  proto.query = function counted(this: unknown, ...args: unknown[]): unknown {
    count++;
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return count;
}

/** Median of per-round ratios with the range, e.g. `0.41 (0.39–0.44)`. */
export function formatRatio(ratios: readonly number[]): string {
  return `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
}

export function formatRate(opsPerSecond: number): string {
  return `${Math.round(opsPerSecond).toLocaleString('en-US')}/s`;
}

/** Prints rows as an aligned plain-text table (valid Markdown as well). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

/** Polls `check` every `intervalMs` until it is true or `timeoutMs` passes; returns whether it became true. */
export async function pollUntil(check: () => Promise<boolean>, intervalMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return false;
}

/** The app's HTTP platform with nothing registered: the baseline server the route benchmarks add one route to. */
export async function bareHttpServer(config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>): Promise<FastifyInstance> {
  const http = await createHttpServer({
    logger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    tls: false,
    limiter: createIpRateLimiter(config.rateLimitPerMinute, 'ip'),
    authLimiter: createIpRateLimiter(config.authRateLimitPerMinute, 'auth'),
    metrics: createHttpMetrics(),
  });
  http.addSchema(Problem);
  return http;
}
