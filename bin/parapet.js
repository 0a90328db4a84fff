#!/usr/bin/env node
// Runs src/main.ts on Node 24+ (type stripping). When started by an older system Node, re-runs
// itself with the Node 24 that the `node` devDependency installed into node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import(join(root, 'src', 'main.ts'));
} else {
  const local = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(local)) {
    process.stderr.write(`parapet needs Node.js 24 or newer (this is ${process.version}); run npm install first.\n`);
    process.exit(1);
  }
  const result = spawnSync(local, [join(root, 'src', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
