// The module contract (docs/architecture.md): the list composes in dependency order, every table has
// exactly one owner, and a module's SQL names only its own tables (or a cross-module read that is
// listed below, with the owner's API it should go through instead).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { MODULES } from '../../src/modules/index.ts';
import { errorCatalogue, PLATFORM_ERRORS } from '../../src/platform/http/errors.ts';
import { checkModuleOrder, ModuleCompositionError } from '../../src/platform/module.ts';
import { PLATFORM_TABLES, schemaMigrations, TABLE_OWNERS } from '../../src/schema.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const MODULES_DIR = join(ROOT, 'src/modules');

/**
 * Where a module's SQL still names another module's tables: `module -> owner: tables`. Each entry is
 * debt (the module should ask the owner's API); the list may only shrink. A new cross-module
 * statement fails this test until it goes through the owner or is argued for here.
 */
const KNOWN_CROSS_MODULE_SQL: Readonly<Record<string, readonly string[]>> = {};

/** Production source files of a module folder. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'static' || entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.includes('test-fixture') ? [path] : [];
  });
}

/**
 * Tables a file names: in Kysely calls (`selectFrom('users')`, `insertInto('x')`, joins …) and in
 * raw SQL inside `sql` templates (`from x`, `join x`, `into x`, `update x`).
 */
function tablesNamedIn(source: string): Set<string> {
  const named = new Set<string>();
  for (const match of source.matchAll(/\b(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|mergeInto)\(\s*'([a-z_]+)(?: as [a-z_]+)?'/g)) {
    if (match[1] !== undefined) named.add(match[1]);
  }
  for (const template of source.matchAll(/\bsql(?:<[^`]*?>)?`([^`]*)`/g)) {
    for (const match of (template[1] ?? '').matchAll(/\b(?:from|join|into|update)\s+([a-z_]+)\b/gi)) {
      const table = match[1];
      if (table !== undefined && TABLE_OWNERS.has(table)) named.add(table);
    }
  }
  return named;
}

/**
 * Tables a file writes: Kysely's insertInto/updateTable/deleteFrom/mergeInto, and raw SQL
 * (`delete from x`, `update x set`, `insert into x`, `merge into x`) in templates and strings.
 */
function tablesWrittenIn(source: string): Set<string> {
  const written = new Set<string>();
  for (const match of source.matchAll(/\b(?:insertInto|updateTable|deleteFrom|mergeInto)\(\s*'([a-z_]+)(?: as [a-z_]+)?'/g)) {
    if (match[1] !== undefined) written.add(match[1]);
  }
  for (const match of source.matchAll(/\b(?:delete\s+from|insert\s+into|merge\s+into)\s+([a-z_]+)\b|\bupdate\s+([a-z_]+)\s+set\b/gi)) {
    const table = match[1] ?? match[2];
    if (table !== undefined && TABLE_OWNERS.has(table)) written.add(table);
  }
  return written;
}

/** `module -> owner` pairs with the tables named (or, with `tablesWrittenIn`, written), from the source tree as it is. */
function crossModuleSql(tablesIn: (source: string) => Set<string> = tablesNamedIn): Map<string, Set<string>> {
  const pairs = new Map<string, Set<string>>();
  for (const module of MODULES) {
    for (const file of sourceFiles(join(MODULES_DIR, module.name))) {
      for (const table of tablesIn(readFileSync(file, 'utf8'))) {
        const owner = TABLE_OWNERS.get(table)?.owner;
        assert.ok(owner !== undefined, `${relative(ROOT, file)} names table ${table}, which no module declares`);
        if (owner === module.name) continue;
        const key = `${module.name} -> ${owner}`;
        pairs.set(key, (pairs.get(key) ?? new Set()).add(table));
      }
    }
  }
  return pairs;
}

describe('the module contract', () => {
  let database: TestDatabase;
  before(async () => {
    database = await openTestDatabase();
  });
  after(async () => {
    await database.close();
  });

  it('lists every module after the modules it depends on, each once, one folder each', () => {
    checkModuleOrder(MODULES);
    const folders = readdirSync(MODULES_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    assert.deepEqual([...folders].sort(), MODULES.map((module) => module.name).sort(), 'every folder under src/modules is a module in the list, named as its folder');
  });

  it('refuses a list where a module comes before its dependency, or twice', () => {
    assert.throws(() => { checkModuleOrder([{ name: 'b', dependsOn: ['a'] }, { name: 'a', dependsOn: [] }]); }, ModuleCompositionError);
    assert.throws(() => { checkModuleOrder([{ name: 'a', dependsOn: [] }, { name: 'a', dependsOn: [] }]); }, ModuleCompositionError);
  });

  it('gives every table of the migrated schema exactly one owner, and declares no table the schema lacks', async () => {
    const rows = await database.db.withOwner((session) => session.query<{ name: string }>("select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p')"));
    const actual = new Set(rows.map((row) => row.name));
    const unowned = [...actual].filter((table) => !TABLE_OWNERS.has(table));
    assert.deepEqual(unowned, [], 'tables no module declares (add them to the owning module’s manifest)');
    const missing = [...TABLE_OWNERS.keys()].filter((table) => !actual.has(table));
    assert.deepEqual(missing, [], 'tables declared by a manifest that the migrations do not create');
  });

  it('exempts from row-level security exactly the tables declared platform-level, each with a reason', () => {
    for (const table of PLATFORM_TABLES) {
      const entry = TABLE_OWNERS.get(table);
      assert.ok(entry?.scope.scope === 'platform' && entry.scope.reason.length > 10, `${table} needs a reason to be platform-level`);
    }
  });

  it('numbers migrations in one sequence across the platform and every module', () => {
    const names = schemaMigrations().map((m) => m.name);
    assert.equal(new Set(names.map((name) => name.slice(0, 4))).size, names.length);
    assert.ok(names[0]?.startsWith('0001_'), 'the platform context migration comes first');
  });

  it("has every module's SQL name only its own tables, except the cross-module reads listed as debt", () => {
    const found = crossModuleSql();
    const unlisted = [...found].flatMap(([pair, tables]) => [...tables].filter((table) => !(KNOWN_CROSS_MODULE_SQL[pair] ?? []).includes(table)).map((table) => `${pair}: ${table}`));
    assert.deepEqual(unlisted, [], 'new SQL on another module’s tables: call the owning module’s API instead');
    const gone = Object.entries(KNOWN_CROSS_MODULE_SQL).flatMap(([pair, tables]) => tables.filter((table) => found.get(pair)?.has(table) !== true).map((table) => `${pair}: ${table}`));
    assert.deepEqual(gone, [], 'cross-module SQL that no longer exists: remove it from KNOWN_CROSS_MODULE_SQL');
  });

  it('has no module write another module\'s table: writes go through the owner\'s API (no debt allowed)', () => {
    const found = [...crossModuleSql(tablesWrittenIn)].flatMap(([pair, tables]) => [...tables].map((table) => `${pair}: ${table}`));
    assert.deepEqual(found, [], 'a module writes a table another module owns: add a function to the owner and call it');
  });

  it('declares each retention data type in the module that owns its table, each type once', () => {
    const types = MODULES.flatMap((module) => (module.retention ?? []).map((spec) => ({ module: module.name, spec })));
    assert.ok(types.length > 0);
    const misplaced = types.filter(({ module, spec }) => TABLE_OWNERS.get(spec.table)?.owner !== module).map(({ module, spec }) => `${module}: ${spec.type} on ${spec.table}`);
    assert.deepEqual(misplaced, [], 'a retention type must be declared by the module owning its table');
    const names = types.map(({ spec }) => spec.type);
    assert.equal(new Set(names).size, names.length, 'retention type names are unique');
  });

  it('has modules take config values from config/options.ts, never config/index.ts (which loads every module: an import cycle)', () => {
    const offending = MODULES.flatMap((module) =>
      sourceFiles(join(MODULES_DIR, module.name)).filter((file) => /^import (?!type\b)[^;]*config\/index\.ts';$/m.test(readFileSync(file, 'utf8'))).map((file) => relative(ROOT, file)),
    );
    assert.deepEqual(offending, [], "import option helpers from '../../config/options.ts' (types may come from index.ts)");
  });

  it('finds a cross-module write in source text, Kysely or raw SQL (the check can fail)', () => {
    assert.deepEqual([...tablesWrittenIn("await tx.updateTable('users').set({ a: 1 })")], ['users']);
    assert.deepEqual([...tablesWrittenIn('await sql`delete from sessions where ctid = any(array(select ctid from sessions))`.execute(tx)')], ['sessions']);
    assert.deepEqual([...tablesWrittenIn("sql`UPDATE memberships SET role = 'owner'`; tx.selectFrom('users')")], ['memberships']);
  });

  it('finds a cross-module statement in source text (the check can fail)', () => {
    assert.deepEqual([...tablesNamedIn("await tx.selectFrom('users').select('id')")], ['users']);
    assert.deepEqual([...tablesNamedIn("tx.insertInto('memberships').values(row); tx.innerJoin('role_bindings as b', 'b.id', 'x.id')")].sort(), ['memberships', 'role_bindings']);
    assert.deepEqual([...tablesNamedIn('sql`select 1 where exists (select 1 from refresh_tokens r where r.x = 1)`')], ['refresh_tokens']);
    assert.deepEqual([...tablesNamedIn("const detail = 'removed from organizations'; // join users")], []);
  });

  it('names every module in docs/architecture.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    for (const module of MODULES) assert.ok(doc.includes(`\`${module.name}\``), `docs/architecture.md does not describe the module ${module.name}`);
  });

  it('declares every error code thrown in src once: the platform\'s shared codes or the throwing module\'s own', () => {
    const declared = errorCatalogue();
    const byModule = new Map<string, string>();
    for (const module of MODULES) {
      for (const code of Object.keys(module.errors ?? {})) {
        assert.ok(!Object.hasOwn(PLATFORM_ERRORS, code), `${module.name} redeclares the platform code ${code}`);
        assert.equal(byModule.get(code), undefined, `${code} is declared by ${byModule.get(code)} and ${module.name}`);
        byModule.set(code, module.name);
        assert.deepEqual(declared.get(code as never), module.errors?.[code], `${code} of ${module.name} is in the catalogue`);
      }
    }
    const files = [join(ROOT, 'src/platform'), join(ROOT, 'src/sdk'), MODULES_DIR].flatMap((dir) => sourceFiles(dir));
    let seen = 0;
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/new AppError\(\s*'([a-z0-9_]+)'/g)) {
        seen++;
        assert.ok(declared.has(match[1] as never), `${relative(ROOT, file)} throws the undeclared code ${match[1]}`);
      }
    }
    assert.ok(seen > 100, `found only ${seen} thrown codes: the scan is broken`);
  });

  it('gives every advisory-lock key in src one owner (a shared key made a second node wait forever for the setup link)', () => {
    const owners = new Map<string, string>();
    const files = [join(ROOT, 'src/platform'), MODULES_DIR].flatMap((dir) => sourceFiles(dir));
    let seen = 0;
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:=|\()\s*(74501040\d\d)\b/g)) {
        seen++;
        const where = relative(ROOT, file);
        const owner = owners.get(match[1]!);
        assert.ok(owner === undefined || owner === where, `advisory-lock key ${match[1]} is used by ${owner} and ${where}`);
        owners.set(match[1]!, where);
      }
    }
    assert.ok(seen >= 8, `found only ${seen} lock keys: the scan is broken`);
  });

  it('builds the DB type from module table types only', async () => {
    const source = readFileSync(join(ROOT, 'src/database.ts'), 'utf8');
    assert.doesNotMatch(source, /PLATFORM_TABLES/, 'platform tables are declared by the manifests (src/schema.ts), not by hand');
    await sql`select 1`.execute(database.db.app);
  });
});
