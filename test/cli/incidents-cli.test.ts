// `parapet incidents …` as an operator runs it: real processes on an embedded database.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import type { DB } from '../../src/database.ts';
import { PLATFORM_TENANT_ID } from '../../src/modules/audit/index.ts';
import { readKeyring } from '../../src/platform/crypto/keyring.ts';
import { createContextSigner, createTransactor, openDatabase } from '../../src/platform/db/index.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function run(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('parapet incidents (CLI)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-incidents-cli-'));
  const env = { PARAPET_DATA_DIR: dataDir };
  const id = crypto.randomUUID();
  const title = 'Login outage \u001b[2J<script>';

  before(async () => {
    const migrated = run(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.err);
    const config = loadConfig({ env });
    const keyring = readKeyring(config.keyringPath);
    const db = await openDatabase<DB>({ url: undefined, migrationUrl: undefined, dataDir: config.dataDir });
    try {
      const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
      const detected = new Date(Date.now() - 2 * 3_600_000);
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        await tx.insertInto('incidents').values({ id, title, severity: 'critical', phase: 'contain', detected_at: detected, personal_data_breach: false, aware_at: null, resolved_at: null, affected_components: [], affected_organizations: [], created_by: null, commander_id: null, communications_id: null, created_at: detected, updated_at: detected }).execute();
        // The first notice (1 h) is an hour overdue.
        await tx.insertInto('incident_clocks').values({ id: crypto.randomUUID(), incident_id: id, clock: 'first_notice', started_at: detected, due_at: new Date(detected.getTime() + 3_600_000), met_at: null, met_by: null, overdue_alerted_at: null, warn_at: new Date(detected.getTime() + 2_700_000), warned_at: null }).execute();
        await tx.insertInto('incident_entries').values({ id: crypto.randomUUID(), incident_id: id, kind: 'note', body: 'Paged the on-call.', author_id: null, created_at: detected }).execute();
      });
    } finally {
      await db.close();
    }
  });

  it('IR-1: list shows each incident with its overdue clocks, the title as a JSON string (no terminal control); show prints its clocks and timeline', () => {
    const listed = run(['incidents', 'list', '--open'], env);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`${id}\\s+critical\\s+contain\\s+open\\s+overdue 1\\s+warning 0`));
    assert.ok(listed.out.includes(JSON.stringify(title)), listed.out);
    assert.ok(!listed.out.includes('\u001b'), 'no raw escape sequence reaches the terminal');
    const json = JSON.parse(run(['incidents', 'list', '--json'], env).out) as { items: { id: string; overdue_clocks: number }[] };
    assert.deepEqual(json.items.map((i) => [i.id, i.overdue_clocks]), [[id, 1]]);
    const shown = run(['incidents', 'show', id], env);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /first_notice\s+due \S+\s+overdue \(-\d+ s\)/);
    assert.match(shown.out, /note\s+"Paged the on-call\."/);
  });

  it('IR-1: a malformed or unknown id is refused with usage or not_found', () => {
    assert.equal(run(['incidents', 'show', 'not-an-id'], env).code, 2);
    const missing = run(['incidents', 'show', crypto.randomUUID()], env);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /not_found/);
  });
});
