// Child process of bench/footprint.ts: loads one component, then prints its cost as JSON
// ({ ms, rssMb }: wall time of the load and resident memory after it, both after a GC).
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const [component = 'none', dataDir = ''] = process.argv.slice(2);
const rssMb = () => process.memoryUsage().rss / 1048576;
const gc = (globalThis as { gc?: () => void }).gc;

async function load(): Promise<void> {
  switch (component) {
    case 'none':
      return;
    case 'modules': {
      // Every module the server imports (src/start.ts pulls in the app and all modules).
      await import('../src/start.ts');
      return;
    }
    case 'zxcvbn': {
      const { estimatePasswordStrength } = await import('../src/modules/identity/password-strength.ts');
      estimatePasswordStrength('Correct-Horse-9');
      return;
    }
    case 'blocklist': {
      const { isCommonPassword } = await import('../src/modules/identity/password-policy.ts');
      isCommonPassword('password123');
      return;
    }
    case 'argon2': {
      const { createPasswordHasher } = await import('../src/modules/identity/password-hasher.ts');
      const hasher = await createPasswordHasher();
      await hasher.verify(hasher.dummyHash, 'x');
      return;
    }
    case 'pglite': {
      const { PGlite } = await import('@electric-sql/pglite');
      mkdirSync(dataDir, { recursive: true });
      const pglite = await PGlite.create({ dataDir, postgresqlconf: ['shared_buffers = 16MB'] });
      await pglite.query('select 1');
      return;
    }
    default:
      throw new Error(`unknown component ${component}`);
  }
}

gc?.();
const before = rssMb();
const started = performance.now();
await load();
const ms = performance.now() - started;
gc?.();
await sleep(500);
gc?.();
process.stdout.write(`${JSON.stringify({ component, ms, rssBeforeMb: before, rssMb: rssMb() })}\n`);
process.exit(0);
