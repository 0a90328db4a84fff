#!/usr/bin/env node
// Runs src/main.ts on Node 24+ (type stripping). When started by an older system Node, re-runs
// itself with the Node 24 that the `node` devDependency installed into node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
// V8's compile cache (Node's own, keyed by source content) saves about a third of the CPU of
// loading Parapet's modules on every start after the first (docs/benchmarks.md, start-up).
const compileCache = process.env['NODE_COMPILE_CACHE'] ?? join(tmpdir(), 'parapet-compile-cache');
if (major >= 24) {
  module.enableCompileCache?.(compileCache);
  await import(join(root, 'src', 'main.ts'));
} else {
  const local = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(local)) {
    process.stderr.write(`parapet needs Node.js 24 or newer (this is ${process.version}); run npm install first.\n`);
    process.exit(1);
  }
  const result = spawnSync(local, [join(root, 'src', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, NODE_COMPILE_CACHE: compileCache } });
  process.exit(result.status ?? 1);
}
