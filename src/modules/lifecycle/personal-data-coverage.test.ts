import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { PERSONAL_DATA_COLUMNS, PERSONAL_DATA_EXCLUSIONS } from './index.ts';

describe('personal data coverage (DATA-2)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  /** Every table of the migrated schema with a column that names a person, and those columns. */
  async function tablesNamingPeople(): Promise<Map<string, string[]>> {
    const rows = await t.database.db.withOwner((s) =>
      s.query<{ table_name: string; column_name: string }>(
        `select c.table_name, c.column_name from information_schema.columns c
           join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
          where c.table_schema = 'public' and c.column_name = any($1) order by 1, 2`,
        [PERSONAL_DATA_COLUMNS],
      ),
    );
    const tables = new Map<string, string[]>();
    for (const { table_name, column_name } of rows) tables.set(table_name, [...(tables.get(table_name) ?? []), column_name]);
    return tables;
  }

  it('DATA-2: every table with a user_id (or another column naming a person) is exported by some section or excluded with a reason', async () => {
    const tables = await tablesNamingPeople();
    assert.ok(tables.has('sessions') && tables.has('passkeys') && tables.has('invitations'), 'the schema query found the tables it should');
    const exported = new Map(t.app.services.lifecycle.personalData.flatMap((c) => c.tables.map((table) => [table, c.section] as const)));
    const uncovered = [...tables].filter(([table]) => !exported.has(table) && PERSONAL_DATA_EXCLUSIONS[table] === undefined).map(([table, columns]) => `${table} (${columns.join(', ')})`);
    assert.deepEqual(uncovered, [], 'add the table to a module’s personal-data section, or to PERSONAL_DATA_EXCLUSIONS with the reason');
  });

  it('lists no exclusion or section table that is not in the schema, nor one both exported and excluded', async () => {
    const tables = await tablesNamingPeople();
    const sectionTables = t.app.services.lifecycle.personalData.flatMap((c) => c.tables);
    assert.deepEqual(Object.keys(PERSONAL_DATA_EXCLUSIONS).filter((table) => !tables.has(table)), [], 'stale exclusion');
    assert.deepEqual(sectionTables.filter((table) => !tables.has(table) && table !== 'refresh_tokens'), [], 'a section names a table that does not name a person');
    assert.deepEqual(sectionTables.filter((table) => PERSONAL_DATA_EXCLUSIONS[table] !== undefined), [], 'both exported and excluded');
  });
});
