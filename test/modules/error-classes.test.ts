// Issue 12: internal errors share one base class with a stable code (the jose style).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('internal error classes', () => {
  it('every error class extends ParapetError, not Error (the stand-alone SDK excepted)', () => {
    const direct = sourceFiles(SRC)
      .filter((file) => !relative(SRC, file).startsWith('sdk/') && !file.endsWith(join('platform', 'errors.ts')))
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends Error\b/g)].map((m) => `${relative(SRC, file)}: ${m[1]}`));
    assert.deepEqual(direct, []);
  });

  it('every ParapetError subclass declares a snake_case code', async () => {
    const classes = sourceFiles(SRC).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends ParapetError \{\n([\s\S]*?)\n\}/g)].map((m) => ({ file: relative(SRC, file), name: m[1], body: m[2] ?? '' })));
    assert.ok(classes.length >= 20, `found ${classes.length} classes`);
    for (const { file, name, body } of classes) {
      const literal = /readonly code(?:: \w+)? = '([a-z][a-z0-9_]*)'/.exec(body);
      const typed = /readonly code: \w+;/.test(body);
      assert.ok(literal !== null || typed, `${file}: ${name} declares no snake_case code`);
    }
  });
});
