// Benchmark: envelope encryption (ENC-1, ENC-2; issue targets in docs/benchmarks.md).
//
// 1. Field encryption: encryptField + decryptField of a 1 KiB value with a warm tenant key, against
//    raw node:crypto AES-256-GCM (createCipheriv/createDecipheriv, random nonce, same bytes) in the
//    same process, alternating rounds. Key provider calls are counted over the measured rounds.
// 2. Rewrap with the local provider: unwrap a tenant key under the old root version and wrap it
//    under the new one, in memory, against raw AES-256-GCM decrypt + encrypt of 32 bytes.
// 3. The rewrap job end to end on PGlite: 2,000 tenant key versions rewrapped after a root rotation.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { countingProvider } from '../src/modules/keys/key-test-fixture.ts';
import { createFieldEncryption } from '../src/modules/keys/field-encryption.ts';
import { createKeyMaintenance } from '../src/modules/keys/key-maintenance.ts';
import { createLocalKeyProvider } from '../src/platform/crypto/local-key-provider.ts';
import { systemRandom } from '../src/platform/crypto/random.ts';
import { createAuditRecorder } from '../src/modules/audit/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { BENCH_KEYRING, openBenchDatabase } from './databases.ts';
import { formatRate, formatRatio, measureRounds, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 7, ops: 20_000, warmupOps: 5_000, rewrapOps: 40_000, jobKeys: 2_000 };
const TARGETS = { fieldRatio: 0.5, providerCallsPerOp: 0, rewrapPerSecond: 20_000 };

export const encryption: Benchmark = {
  name: 'encryption',
  description: 'encryptField+decryptField (1 KiB, warm key) vs raw AES-256-GCM; provider calls; local rewrap rate',
  run: async (out) => {
    const bench = await openBenchDatabase('pglite', { tenants: 1, projectsPerTenant: 1 });
    try {
      const { tenantId } = bench.target;
      const provider = countingProvider(createLocalKeyProvider({ keyring: BENCH_KEYRING }));
      const fields = createFieldEncryption({ transactor: bench.transactor, provider, clock: systemClock, random: systemRandom });
      const context = { tenantId, table: 'audit_destinations', column: 'secret_sealed', rowId: '018f0000-0000-7000-8000-000000000001' };
      const plaintext = 'x'.repeat(1024);
      const bytes = Buffer.from(plaintext, 'utf8');
      const rawKey = randomBytes(32);
      const aad = Buffer.from(JSON.stringify(['pk1', context.tenantId, context.table, context.column, context.rowId, 1]));
      let sink = 0;
      // Sanity: a round trip, and the key is warm before counting.
      if ((await fields.decryptField(context, await fields.encryptField(context, plaintext))) !== plaintext) throw new Error('round trip failed');
      const callsBefore = provider.total();
      let fieldOps = 0;

      const rounds = await measureRounds({
        baseline: {
          label: 'raw AES-256-GCM',
          run: async (ops) => {
            for (let i = 0; i < ops; i++) {
              const nonce = randomBytes(12);
              const cipher = createCipheriv('aes-256-gcm', rawKey, nonce);
              cipher.setAAD(aad);
              const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
              const tag = cipher.getAuthTag();
              const decipher = createDecipheriv('aes-256-gcm', rawKey, nonce);
              decipher.setAAD(aad);
              decipher.setAuthTag(tag);
              sink += Buffer.concat([decipher.update(body), decipher.final()]).length;
            }
          },
        },
        subjects: [
          {
            label: 'encryptField+decryptField',
            run: async (ops) => {
              for (let i = 0; i < ops; i++) sink += (await fields.decryptField(context, await fields.encryptField(context, plaintext))).length;
              fieldOps += ops;
            },
          },
        ],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.ops,
        warmupOps: SETTINGS.warmupOps,
        out,
      });
      const providerCalls = provider.total() - callsBefore;
      const callsPerOp = providerCalls / fieldOps;
      const [field] = rounds.subjects;

      // 2. Rewrap in memory: unwrap under local/1, wrap under local/2.
      const rewrapProvider = createLocalKeyProvider({ keyring: BENCH_KEYRING });
      const wrapped = await Promise.all(Array.from({ length: 256 }, (_, i) => rewrapProvider.generateDataKey({ tenantId, keyVersion: i + 1 })));
      await rewrapProvider.rotate();
      const rawWrapped = Array.from({ length: 256 }, () => {
        const nonce = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', rawKey, nonce);
        return { nonce, body: Buffer.concat([cipher.update(randomBytes(32)), cipher.final()]), tag: cipher.getAuthTag() };
      });
      const rewrap = await measureRounds({
        baseline: {
          label: 'raw decrypt+encrypt 32 B',
          run: async (ops) => {
            for (let i = 0; i < ops; i++) {
              const w = rawWrapped[i & 255]!;
              const decipher = createDecipheriv('aes-256-gcm', rawKey, w.nonce);
              decipher.setAuthTag(w.tag);
              const key = Buffer.concat([decipher.update(w.body), decipher.final()]);
              const cipher = createCipheriv('aes-256-gcm', rawKey, randomBytes(12));
              sink += Buffer.concat([cipher.update(key), cipher.final(), cipher.getAuthTag()]).length;
            }
          },
        },
        subjects: [
          {
            label: 'local provider rewrap',
            run: async (ops) => {
              for (let i = 0; i < ops; i++) {
                const index = i & 255;
                const context_ = { tenantId, keyVersion: index + 1 };
                const key = await rewrapProvider.unwrap(wrapped[index]!.wrapped, context_);
                sink += (await rewrapProvider.wrap(key, context_)).ciphertext.length;
                key.fill(0);
              }
            },
          },
        ],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.rewrapOps,
        warmupOps: SETTINGS.warmupOps,
        out,
      });
      const [rewrapStats] = rewrap.subjects;

      // 3. The job end to end: many versions of one tenant key, rewrapped after a root rotation.
      const jobProvider = createLocalKeyProvider({ keyring: BENCH_KEYRING });
      const now = new Date();
      const rows = await Promise.all(
        Array.from({ length: SETTINGS.jobKeys }, async (_, i) => {
          const { wrapped: w } = await jobProvider.generateDataKey({ tenantId, keyVersion: i + 10 });
          return { tenant_id: tenantId, version: i + 10, state: 'retired' as const, root_version: w.rootVersion, wrapped: w.ciphertext, wrapped_at: now, encryptions: 0, created_at: now, retired_at: now, destroyed_at: null };
        }),
      );
      for (let i = 0; i < rows.length; i += 500) await bench.transactor.withTenant(tenantId, (tx) => tx.insertInto('tenant_keys').values(rows.slice(i, i + 500)).execute());
      const jobFields = createFieldEncryption({ transactor: bench.transactor, provider: jobProvider, clock: systemClock, random: systemRandom });
      const maintenance = createKeyMaintenance({
        transactor: bench.transactor,
        provider: jobProvider,
        fields: jobFields,
        audit: createAuditRecorder({ clock: systemClock, random: systemRandom }),
        clock: systemClock,
        options: { rotationDays: 0, cacheMaxAgeMs: 300_000, batchSize: 500 },
      });
      await jobProvider.rotate();
      const started = performance.now();
      let rewrapped = 0;
      for (let work = await maintenance.pass(); work > 0; work = await maintenance.pass()) rewrapped += work;
      const jobRate = rewrapped / ((performance.now() - started) / 1000);

      if (sink === 0) out('(nothing computed?)');
      for (const line of table(
        ['measure', 'value', 'target', ''],
        [
          ['raw AES-256-GCM enc+dec 1 KiB, ops/s', formatRate(rounds.baseline.medianOpsPerSecond), '', ''],
          ['encryptField+decryptField 1 KiB, ops/s', formatRate(field!.medianOpsPerSecond), '', ''],
          ['field / raw (median, range)', formatRatio(field!.ratios), `>= ${TARGETS.fieldRatio}`, field!.medianRatio >= TARGETS.fieldRatio ? 'met' : 'MISSED'],
          ['key provider calls per operation (steady state)', `${providerCalls} in ${fieldOps.toLocaleString('en')} ops`, `${TARGETS.providerCallsPerOp}`, callsPerOp === 0 ? 'met' : 'MISSED'],
          ['raw decrypt+encrypt 32 B, ops/s', formatRate(rewrap.baseline.medianOpsPerSecond), '', ''],
          ['local provider rewrap, data keys/s', formatRate(rewrapStats!.medianOpsPerSecond), `>= ${formatRate(TARGETS.rewrapPerSecond)}`, rewrapStats!.medianOpsPerSecond >= TARGETS.rewrapPerSecond ? 'met' : 'MISSED'],
          ['rewrap / raw (median, range)', formatRatio(rewrapStats!.ratios), '', ''],
          [`rewrap job on PGlite, ${rewrapped} keys, keys/s`, formatRate(jobRate), '', ''],
        ],
      )) out(line);
      return [
        { measure: 'encryptField+decryptField / raw AES-GCM', value: `${field!.medianRatio.toFixed(2)}x`, target: `>= ${TARGETS.fieldRatio}x`, met: field!.medianRatio >= TARGETS.fieldRatio },
        { measure: 'provider calls per operation', value: callsPerOp.toFixed(6), target: '0', met: callsPerOp === 0 },
        { measure: 'local rewrap, data keys/s', value: formatRate(rewrapStats!.medianOpsPerSecond), target: `>= ${formatRate(TARGETS.rewrapPerSecond)}`, met: rewrapStats!.medianOpsPerSecond >= TARGETS.rewrapPerSecond },
      ] satisfies Verdict[];
    } finally {
      await bench.close();
    }
  },
};
