// Soak (issue 15, part 7): two `parapet serve` nodes on one PostgreSQL database and one Redis, under
// mixed traffic for PARAPET_SOAK_MINUTES (default 10): each node's RSS (read from /proc every 5 s,
// the median of a minute's 12 samples, so one GC or allocation spike does not make a minute) and the
// p99 latency per minute, with each node's V8 heap (used / total) and external memory from its
// /metrics for telling heap from native memory. Not part of `npm test`: run it with `npm run soak`.
// Loopback only; bounded in time and in requests in flight (PARAPET_SOAK_CONCURRENCY, default 8).
//
// Investigation only (its RSS figures are not the soak's): PARAPET_SOAK_HEAP_SNAPSHOTS=<dir> writes
// a heap snapshot of each node into <dir> at the end of minute 2 and at the end (compare them with
// bench/heap-diff.ts); PARAPET_SOAK_NODE_OPTIONS is passed to the nodes as NODE_OPTIONS.
//
// Traffic, spread over both nodes: 55 % GET a project with a session cookie, 20 % with a bearer
// access token, 10 % list projects, 8 % create a project, 2 % sign in (argon2id; one at a time,
// else a GET), 5 % /healthz.
// Pass: no error answers (anything but the expected 2xx), RSS growth from the end of minute 2 to the
// end < 10 % on each node, and no minute's p99 above 3× the median minute's p99.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { killAllNodes, startNode as startServeNode, type ServeNode } from '../test/support/serve-node.ts';
import { createServerDatabase, postgresSkipReason } from '../test/support/databases.ts';
import { median, table } from './support.ts';

const MINUTES = Number(process.env['PARAPET_SOAK_MINUTES'] ?? 10);
const CONCURRENCY = Number(process.env['PARAPET_SOAK_CONCURRENCY'] ?? 8);
const REDIS_URL = process.env['PARAPET_SOAK_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SNAPSHOTS = process.env['PARAPET_SOAK_HEAP_SNAPSHOTS'];
const NODE_OPTIONS = [process.env['PARAPET_SOAK_NODE_OPTIONS'] ?? '', SNAPSHOTS === undefined ? '' : `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAPSHOTS}`].join(' ').trim();
const PASSWORD = 'a soak test passphrase';
const METRICS_TOKEN = 'soak-metrics-token-0123456789abcdef';
const out = (line: string) => process.stdout.write(`${line}\n`);

/** Start-up under load takes minutes on 2 shared cores: the soak allows 5. */
const startNode = (env: Record<string, string>) => startServeNode(env, { timeoutMs: 300_000 });

function rssMb(node: ServeNode): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${node.child.pid}/status`, 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}

/** Heap used, heap total and external memory in MB, from the node's Prometheus metrics. */
async function heapMb(node: ServeNode): Promise<{ used: number; total: number; external: number }> {
  const text = await (await fetch(`${node.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const gauge = (name: string) => Number(new RegExp(`^parapet_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
  return { used: gauge('nodejs_heap_size_used_bytes'), total: gauge('nodejs_heap_size_total_bytes'), external: gauge('nodejs_external_memory_bytes') };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

async function main(): Promise<number> {
  const skip = await postgresSkipReason();
  if (skip !== false) {
    out(`skipped: ${skip}`);
    return 0;
  }
  const database = await createServerDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'parapet-soak-'));
  const env = {
    PARAPET_DATABASE_URL: database.app,
    PARAPET_MIGRATION_DATABASE_URL: database.owner,
    PARAPET_REDIS_URL: REDIS_URL,
    PARAPET_REDIS_PREFIX: `parapet-soak:${database.name}:`,
    PARAPET_KEYRING: join(dir, 'keyring.json'),
    PARAPET_PUBLIC_URL: 'http://parapet.test',
    PARAPET_METRICS_TOKEN: METRICS_TOKEN,
    ...(NODE_OPTIONS === '' ? {} : { NODE_OPTIONS }),
  };
  try {
    const first = await startNode({ ...env, PARAPET_DATA_DIR: join(dir, 'a') });
    const second = await startNode({ ...env, PARAPET_DATA_DIR: join(dir, 'b') });
    const nodes = [first, second];
    const token = /setup#token=([A-Za-z0-9_-]{43})/.exec(first.output())?.[1] ?? '';
    const post = (base: string, path: string, body: object, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const setup = await post(first.base, '/api/v1/setup', { token, email: 'soak@example.com', password: PASSWORD, display_name: 'Soak' });
    if (setup.status !== 201) throw new Error(`setup answered ${setup.status}: ${await setup.text()}`);
    const login = await post(first.base, '/api/v1/auth/login', { email: 'soak@example.com', password: PASSWORD });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const tokenLogin = await post(first.base, '/api/v1/auth/login', { email: 'soak@example.com', password: PASSWORD, response_type: 'token' });
    let bearer = ((await tokenLogin.json()) as { access_token: string }).access_token;
    const org = (await (await post(first.base, '/api/v1/organizations', { name: 'Soak' }, { cookie })).json()) as { id: string };
    const project = (await (await post(first.base, `/api/v1/organizations/${org.id}/projects`, { name: 'soak' }, { cookie })).json()) as { id: string };
    if (typeof org.id !== 'string' || typeof project.id !== 'string') throw new Error('could not create the organization and project');
    // Access tokens live 15 minutes at most; a fresh one every 5 minutes.
    const refresh = setInterval(() => {
      void post(first.base, '/api/v1/auth/login', { email: 'soak@example.com', password: PASSWORD, response_type: 'token' })
        .then((r) => r.json() as Promise<{ access_token: string }>)
        .then((body) => {
          bearer = body.access_token;
        });
    }, 5 * 60_000);

    let latencies: number[] = [];
    const errors: string[] = [];
    let requests = 0;
    let counter = 0;
    // One sign-in in flight at a time: the one account's throttle counts each attempt as a failure
    // until it succeeds (issue 14), so five parallel sign-ins of one account are refused by design.
    let signingIn = false;
    const one = async (): Promise<void> => {
      const node = nodes[counter++ % 2]!;
      const pick = Math.random() * 100;
      const projectUrl = `${node.base}/api/v1/organizations/${org.id}/projects/${project.id}`;
      const started = performance.now();
      let response: Response;
      let expected = 200;
      if (pick < 55) response = await fetch(projectUrl, { headers: { cookie } });
      else if (pick < 75) response = await fetch(projectUrl, { headers: { authorization: `Bearer ${bearer}` } });
      else if (pick < 85) response = await fetch(`${node.base}/api/v1/organizations/${org.id}/projects?limit=20`, { headers: { cookie } });
      else if (pick < 93) {
        expected = 201;
        response = await post(node.base, `/api/v1/organizations/${org.id}/projects`, { name: `p-${counter}` }, { cookie });
      } else if (pick < 95 && !signingIn) {
        signingIn = true;
        try {
          response = await post(node.base, '/api/v1/auth/login', { email: 'soak@example.com', password: PASSWORD });
        } finally {
          signingIn = false;
        }
      } else if (pick < 95) response = await fetch(projectUrl, { headers: { cookie } });
      else response = await fetch(`${node.base}/healthz`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      requests++;
      if (response.status !== expected && errors.length < 20) errors.push(`${response.status} from ${response.url}`);
    };
    let stop = false;
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (!stop) {
        try {
          await one();
        } catch (error) {
          if (errors.length < 20) errors.push(error instanceof Error ? error.message : String(error));
        }
      }
    });
    const rows: string[][] = [];
    const samples: { p99: number; rss: number[] }[] = [];
    const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    out(`soak: ${MINUTES} min, 2 nodes, PostgreSQL ${database.name}, Redis ${REDIS_URL}, ${CONCURRENCY} requests in flight; load average ${load()}`);
    for (let minute = 1; minute <= MINUTES; minute++) {
      const before = requests;
      const rssSamples: number[][] = nodes.map(() => []);
      for (let tick = 0; tick < 12; tick++) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        nodes.forEach((node, i) => rssSamples[i]?.push(rssMb(node)));
      }
      const minuteLatencies = latencies;
      latencies = [];
      const rss = rssSamples.map((values) => median(values));
      const heaps = await Promise.all(nodes.map(heapMb));
      const p99 = percentile(minuteLatencies, 99);
      samples.push({ p99, rss });
      const pair = (values: readonly number[]) => values.map((v) => v.toFixed(0)).join(' / ');
      rows.push([
        String(minute), String(requests - before), percentile(minuteLatencies, 50).toFixed(1), p99.toFixed(1), pair(rss),
        pair(heaps.map((h) => h.used)), pair(heaps.map((h) => h.total)), pair(heaps.map((h) => h.external)), String(errors.length), load(),
      ]);
      if (SNAPSHOTS !== undefined && (minute === 2 || minute === MINUTES)) for (const node of nodes) node.child.kill('SIGUSR2');
      out(`  minute ${minute}: ${rows.at(-1)?.join(' | ')}`);
    }
    stop = true;
    clearInterval(refresh);
    await Promise.all(workers);
    for (const line of table(['minute', 'requests', 'p50 ms', 'p99 ms', 'RSS MB (node 1 / node 2)', 'heap used MB', 'heap total MB', 'external MB', 'errors so far', 'load average'], rows)) out(line);
    const warm = samples[Math.min(1, samples.length - 1)];
    const last = samples.at(-1);
    const growth = warm !== undefined && last !== undefined ? last.rss.map((r, i) => (r - (warm.rss[i] ?? r)) / (warm.rss[i] ?? r)) : [];
    const medianP99 = median(samples.map((s) => s.p99));
    const worstP99 = Math.max(...samples.map((s) => s.p99));
    out(`error answers: ${errors.length}${errors.length > 0 ? ` (first: ${errors.slice(0, 5).join('; ')})` : ''}`);
    out(`RSS growth after warm-up (end of minute 2 to the end): ${growth.map((g) => `${(g * 100).toFixed(1)} %`).join(' / ')} (target < 10 %)`);
    out(`p99 per minute: median ${medianP99.toFixed(1)} ms, worst ${worstP99.toFixed(1)} ms (stable if worst ≤ 3× median)`);
    for (const node of nodes) node.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.exited));
    const passed = errors.length === 0 && growth.every((g) => g < 0.1) && worstP99 <= 3 * medianP99;
    out(passed ? 'soak: passed' : 'soak: FAILED');
    return passed ? 0 : 1;
  } finally {
    killAllNodes();
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killAllNodes();
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
