import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { accessTables } from '../../scripts/access-tables.ts';
import { configTable } from '../../scripts/config-table.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('opens with the two commands: install-and-run, and test', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.match(firstBlock, /^npm install && npm start/m);
    assert.match(firstBlock, /^npm test/m);
    assert.ok(readme.indexOf('```sh') < readme.indexOf('Parapet is'), 'the commands come first');
  });

  it('documents every configuration option with its default (regenerate with node scripts/config-table.ts)', () => {
    const table = /<!-- config-table:start[^>]*-->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
    assert.equal(table, configTable());
  });
});

describe('docs/access-control.md', () => {
  it('AC-2: lists exactly the built-in roles and permission catalogue in the code (regenerate with node scripts/access-tables.ts)', () => {
    const page = readFileSync(new URL('../../docs/access-control.md', import.meta.url), 'utf8');
    const tables = /<!-- access-tables:start -->\n([\s\S]*?)\n<!-- access-tables:end -->/.exec(page)?.[1];
    assert.equal(tables, accessTables());
  });
});
