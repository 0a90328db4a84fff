// docs/console.md shows screenshots the browser suites take (`screenshot(page, name)` in
// test/support/browser.ts, written when PARAPET_SCREENSHOTS=1): every image the page shows exists
// and is taken by some test, so `npm run screenshots` keeps each one current.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/console.md'), 'utf8');
const shown = [...doc.matchAll(/\]\(images\/console-([a-z0-9-]+)\.png\)/g)].map((m) => m[1] ?? '');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}
const taken = new Set(
  [...testFiles(join(root, 'test')), ...testFiles(join(root, 'src'))].flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/screenshot\(\s*[\w.]+\s*,\s*'([a-z0-9-]+)'\s*\)/g)].map((m) => m[1] ?? '')),
);

describe('console screenshots in docs/console.md', () => {
  it('shows at least one screenshot', () => {
    assert.ok(shown.length > 0);
  });
  it('every screenshot shown exists and is taken by a browser test', () => {
    for (const name of shown) {
      assert.ok(existsSync(join(root, `docs/images/console-${name}.png`)), `docs/images/console-${name}.png is missing: run npm run screenshots`);
      assert.ok(taken.has(name), `no test calls screenshot(page, '${name}')`);
    }
  });
});
