// Benchmark: the public trust center pages (TR-4; target ≤ 100 ms p99 server time from cache).
//
// The full app on in-memory PGlite, with 20 certifications, 20 documents, 40 subprocessors and 40
// questions published and every check run once. Requests through inject (no sockets), one at a
// time, each timed: GET /trust/controls (the largest page) from cache and rendered afresh (cache
// invalidated before each request), against GET /healthz of the same app as the baseline.
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { PLATFORM_TENANT_ID } from '../src/modules/audit/index.ts';
import { createPasswordHasher } from '../src/modules/identity/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom, uuidv7 } from '../src/platform/crypto/random.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { BENCH_KEYRING, openBenchDatabase } from './databases.ts';
import { formatRate, median, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { requests: 1_000, coldRequests: 100, rounds: 5 };
const TARGET_P99_MS = 100;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const trustPages: Benchmark = {
  name: 'trust-pages',
  description: 'public trust center pages from cache and rendered afresh, against /healthz (PGlite, inject)',
  onlyWhenNamed: true,
  run: async (out) => {
    const bench = await openBenchDatabase('pglite', { tenants: 2, projectsPerTenant: 1 });
    const config = loadConfig({ env: { PARAPET_RATE_LIMIT: '1000000', PARAPET_LOG_LEVEL: 'warn', PARAPET_AUDIT_API_SAMPLING: '0', PARAPET_SECURITY_CONTACTS: 'mailto:security@example.com' } });
    const app = await buildApp({ config, logger: createLogger(config.logLevel), db: bench.db, transactor: bench.transactor, hasher: await createPasswordHasher(), clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
    try {
      const now = new Date();
      await bench.transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const rows = [
          ...Array.from({ length: 20 }, (_, i) => ({ kind: 'certification' as const, data: { name: `Certification ${i}`, status: 'certified', auditor: 'Auditor LLP', scope: 'The production platform', issued_on: '2026-01-01' } })),
          ...Array.from({ length: 20 }, (_, i) => ({ kind: 'document' as const, data: { title: `Report ${i}`, description: 'A report', access: 'nda' } })),
          ...Array.from({ length: 40 }, (_, i) => ({ kind: 'subprocessor' as const, data: { name: `Vendor ${i}`, purpose: 'Hosting', data_categories: ['account data', 'logs'], location: 'EU', effective_from: '2026-01-01' } })),
          ...Array.from({ length: 40 }, (_, i) => ({ kind: 'faq' as const, data: { section: 'faq', question: `Question ${i}?`, answer: 'An answer of a few sentences. '.repeat(5), claims: ['TEN-1'] } })),
        ];
        await tx.insertInto('trust_entries').values(rows.map((row, i) => ({ id: uuidv7(systemClock, systemRandom), kind: row.kind, position: i, data: JSON.stringify(row.data), created_at: now, updated_at: now }))).execute();
      });
      await app.modules.trust.runner.runAll();
      const time = async (url: string, before?: () => void): Promise<number> => {
        before?.();
        const started = performance.now();
        const response = await app.http.inject({ method: 'GET', url });
        const ms = performance.now() - started;
        if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode}`);
        return ms;
      };
      const page = await app.http.inject({ method: 'GET', url: '/trust/controls' });
      out(`  /trust/controls: ${page.body.length.toLocaleString('en')} bytes`);
      const sides = [
        { label: '/healthz', run: () => time('/healthz') },
        { label: '/trust/controls (cache)', run: () => time('/trust/controls') },
        { label: '/trust (cache)', run: () => time('/trust') },
      ];
      for (const side of sides) for (let i = 0; i < 200; i++) await side.run();
      const samples = sides.map(() => [] as number[]);
      const ratePerRound = sides.map(() => [] as number[]);
      for (let round = 0; round < SETTINGS.rounds; round++) {
        for (let k = 0; k < sides.length; k++) {
          const i = (k + round) % sides.length;
          const started = performance.now();
          for (let n = 0; n < SETTINGS.requests; n++) samples[i]?.push(await (sides[i]?.run() ?? Promise.resolve(0)));
          ratePerRound[i]?.push(SETTINGS.requests / ((performance.now() - started) / 1000));
        }
      }
      const cold: number[] = [];
      for (let n = 0; n < SETTINGS.coldRequests; n++) cold.push(await time('/trust/controls', app.modules.trust.center.invalidate));
      const rows = sides.map((side, i) => {
        const sorted = [...(samples[i] ?? [])].sort((a, b) => a - b);
        const ratio = median(ratePerRound[i] ?? []) / median(ratePerRound[0] ?? []);
        return [side.label, formatRate(median(ratePerRound[i] ?? [])), percentile(sorted, 50).toFixed(2), percentile(sorted, 99).toFixed(2), i === 0 ? '1' : ratio.toFixed(2)];
      });
      const coldSorted = [...cold].sort((a, b) => a - b);
      rows.push(['/trust/controls (rendered, no cache)', formatRate(1000 / median(cold)), percentile(coldSorted, 50).toFixed(2), percentile(coldSorted, 99).toFixed(2), '']);
      for (const line of table(['request', 'rate (median of rounds)', 'p50 ms', 'p99 ms', 'rate ratio vs /healthz'], rows)) out(line);
      const p99 = percentile([...(samples[1] ?? [])].sort((a, b) => a - b), 99);
      return [{ measure: 'trust-pages: /trust/controls p99 from cache', value: `${p99.toFixed(2)} ms`, target: `≤ ${TARGET_P99_MS} ms`, met: p99 <= TARGET_P99_MS } satisfies Verdict];
    } finally {
      await app.http.close();
      await bench.close();
    }
  },
};
