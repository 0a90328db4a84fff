// What each part of a Parapet process costs at start: resident memory and load time of the module
// graph, the zxcvbn dictionaries, the password blocklist, the argon2id hasher and embedded PGlite,
// each loaded alone in a fresh `node --expose-gc` (bench/footprint-probe.ts), against a bare node
// process (the baseline). PGlite opens a data folder initialised by a first, unmeasured open.
// Components loaded lazily by the server (zxcvbn, blocklist) cost nothing until first used; the
// table says which are paid at start. Audit verification's hash workers start only for a verify.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, table, type Benchmark } from './support.ts';

const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const RUNS = 3;
const COMPONENTS = [
  { name: 'none', label: 'bare node (baseline)', paid: 'always' },
  { name: 'modules', label: 'module graph (src/start.ts and all modules)', paid: 'at start' },
  { name: 'argon2', label: 'argon2id hasher (dummy hash + one verify)', paid: 'at start' },
  { name: 'pglite', label: 'PGlite, existing data folder, one query', paid: 'at start (embedded only)' },
  { name: 'zxcvbn', label: 'zxcvbn dictionaries + first estimate', paid: 'first new password' },
  { name: 'blocklist', label: 'password blocklist (122 k) + first check', paid: 'first new password' },
] as const;

interface Probe {
  readonly ms: number;
  readonly rssBeforeMb: number;
  readonly rssMb: number;
}

function probe(component: string, dataDir: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--conditions=parapet-source', '--expose-gc', join(import.meta.dirname, 'footprint-probe.ts'), component, dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) reject(new Error(`probe ${component} exited ${code}:\n${output}`));
      else resolve(JSON.parse(line) as Probe);
    });
  });
}

export const footprint: Benchmark = {
  name: 'footprint',
  description: 'resident memory and load time of each start-up component, each alone in a fresh process',
  onlyWhenNamed: true,
  run: async (out) => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'parapet-bench-footprint-')), 'pgdata');
    try {
      await probe('pglite', dataDir); // initdb, not measured
      const samples = new Map<string, Probe[]>(COMPONENTS.map((c) => [c.name, []]));
      // Rounds alternate across components, so each sees the same machine load.
      for (let round = 0; round < RUNS; round++) for (const c of COMPONENTS) samples.get(c.name)?.push(await probe(c.name, dataDir));
      const base = median((samples.get('none') ?? []).map((s) => s.rssMb));
      const rows = COMPONENTS.map((c) => {
        const s = samples.get(c.name) ?? [];
        const rss = median(s.map((x) => x.rssMb));
        return [c.label, c.paid, c.name === 'none' ? `${rss.toFixed(0)} MB` : `+${(rss - base).toFixed(0)} MB`, `${median(s.map((x) => x.ms)).toFixed(0)} ms`];
      });
      for (const line of table(['component', 'paid', `RSS (median of ${RUNS})`, 'load time (median)'], rows)) out(line);
      return [];
    } finally {
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    }
  },
};
