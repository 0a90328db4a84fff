// Benchmark 3: how long a second `npm start` takes until /readyz answers 200, and the idle memory
// of that server, on embedded PGlite (the default with no database configured).
//
// `node src/main.ts serve` is started once on an empty data folder (initdb, keyring, migrations),
// stopped with SIGTERM, then started again three times on the same data; each of those starts is
// timed from spawn to the first 200 from /readyz, polled every 25 ms, and its VmRSS is read after
// 3 s idle. Baseline, same run: a bare Node HTTP server answering /readyz, started and polled the
// same way: the floor that process start-up and polling alone cost.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, pollUntil, table, type Benchmark } from './support.ts';

const ROOT = join(import.meta.dirname, '..');
// What `npm start` runs: npm puts node_modules/.bin first on PATH.
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const STARTS = 3;
const IDLE_MS = 3_000;
const POLL_MS = 25;
const TARGET_START_S = 3;
const TARGET_RSS_MB = 250;

const BASELINE_SERVER = `require('node:http').createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"status":"ready"}'); }).listen(Number(process.argv[1]), '127.0.0.1');`;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The environment with no PARAPET_* settings inherited, plus `settings`. */
function environment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('PARAPET_')) env[name] = value;
  return { ...env, ...settings };
}

interface Started {
  readonly child: ChildProcess;
  readonly seconds: number;
  /** The last few kilobytes the process printed, for error messages. */
  output(): string;
}

async function startAndWait(args: readonly string[], env: NodeJS.ProcessEnv, port: number, timeoutMs: number): Promise<Started> {
  let output = '';
  const started = performance.now();
  const child = spawn(NODE, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const ready = await pollUntil(
    async () => {
      if (exited) throw new Error(`server exited before it was ready:\n${output}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        return response.status === 200;
      } catch {
        return false;
      }
    },
    POLL_MS,
    timeoutMs,
  );
  const seconds = (performance.now() - started) / 1000;
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`/readyz did not answer 200 within ${timeoutMs} ms:\n${output}`);
  }
  return { child, seconds, output: () => output };
}

/** Resident set size of a process in MB, from /proc (Linux). */
function rssMegabytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** SIGTERM, then wait for the exit; SIGKILL after 30 s. Returns the exit code. */
async function stop(started: Started): Promise<number | null> {
  const { child } = started;
  if (child.exitCode !== null) return child.exitCode;
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  const result = await Promise.race([exit, sleep(30_000).then(() => undefined)]);
  if (result === undefined) {
    child.kill('SIGKILL');
    throw new Error(`server did not stop within 30 s of SIGTERM:\n${started.output()}`);
  }
  return result[0];
}

interface Sample {
  readonly seconds: number;
  readonly rssMb: number;
}

async function sample(args: readonly string[], env: NodeJS.ProcessEnv, port: number): Promise<Sample> {
  const started = await startAndWait(args, env, port, 60_000);
  try {
    await sleep(IDLE_MS);
    return { seconds: started.seconds, rssMb: rssMegabytes(started.child.pid!) };
  } finally {
    const code = await stop(started);
    if (code !== 0 && code !== null) throw new Error(`server exited with ${code} on SIGTERM:\n${started.output()}`);
  }
}

export const startup: Benchmark = {
  name: 'startup',
  description: 'second `npm start` (embedded PGlite) until /readyz answers, and idle RSS',
  run: async (out) => {
    if (process.platform !== 'linux') {
      out('skipped: reads /proc, Linux only');
      return [{ measure: 'second start to /readyz', value: 'skipped', target: `<= ${TARGET_START_S} s`, met: undefined }];
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'parapet-bench-start-'));
    try {
      const port = await freePort();
      const env = environment({ PARAPET_DATA_DIR: dataDir, PARAPET_PORT: String(port), PARAPET_HOST: '127.0.0.1' });
      const serve = ['src/main.ts', 'serve'];

      const first = await startAndWait(serve, env, port, 120_000);
      out(`first start (empty data folder: initdb, keyring, migrations): ${first.seconds.toFixed(2)} s`);
      await stop(first);

      const subject: Sample[] = [];
      const baseline: Sample[] = [];
      // Alternate, so both sides see the same machine load.
      for (let i = 0; i < STARTS; i++) {
        const s = await sample(serve, env, port);
        subject.push(s);
        const b = await sample(['-e', BASELINE_SERVER, String(port)], env, port);
        baseline.push(b);
        out(`  start ${i + 1}/${STARTS}: parapet ${s.seconds.toFixed(2)} s, ${s.rssMb.toFixed(0)} MB idle | bare node ${b.seconds.toFixed(2)} s, ${b.rssMb.toFixed(0)} MB`);
      }
      const seconds = median(subject.map((s) => s.seconds));
      const rss = median(subject.map((s) => s.rssMb));
      const baseSeconds = median(baseline.map((s) => s.seconds));
      const baseRss = median(baseline.map((s) => s.rssMb));
      for (const line of table(
        ['process', `start to /readyz (median of ${STARTS})`, `RSS after ${IDLE_MS / 1000} s idle (median)`],
        [
          ['bare node HTTP server (baseline)', `${baseSeconds.toFixed(2)} s`, `${baseRss.toFixed(0)} MB`],
          ['parapet serve, second start', `${seconds.toFixed(2)} s (${(seconds / baseSeconds).toFixed(1)}x)`, `${rss.toFixed(0)} MB (${(rss / baseRss).toFixed(1)}x)`],
        ],
      )) out(line);
      return [
        { measure: 'second start to /readyz (PGlite)', value: `${seconds.toFixed(2)} s`, target: `<= ${TARGET_START_S} s`, met: seconds <= TARGET_START_S },
        { measure: 'idle RSS after start (PGlite)', value: `${rss.toFixed(0)} MB`, target: `<= ${TARGET_RSS_MB} MB`, met: rss <= TARGET_RSS_MB },
      ];
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
