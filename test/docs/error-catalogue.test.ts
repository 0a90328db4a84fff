import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import '../../src/modules/index.ts';
import { errorCatalogue } from '../../src/platform/http/errors.ts';

test('docs/http-api.md lists every declared error code with its status, and no other', () => {
  const doc = readFileSync(new URL('../../docs/http-api.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Errors'), doc.indexOf('## Every response'));
  const documented = new Map<string, number>();
  for (const row of section.matchAll(/^\| (.+) \| (\d{3}) \|$/gm)) {
    for (const code of row[1]!.matchAll(/`([a-z0-9_]+)`/g)) documented.set(code[1]!, Number(row[2]));
  }
  const declared = new Map([...errorCatalogue()].map(([code, entry]) => [code as string, entry.status]));
  assert.deepEqual(new Map([...documented].sort()), new Map([...declared].sort()));
});
