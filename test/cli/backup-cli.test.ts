// `parapet backup` as an operator runs it, on embedded PGlite: create, verify, refuse a damaged
// file, restore into a fresh data folder, refuse a second restore into it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function run(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', timeout: 240_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('parapet backup CLI on embedded PGlite', () => {
  const root = mkdtempSync(join(tmpdir(), 'parapet-backup-cli-'));
  const source = { PARAPET_DATA_DIR: join(root, 'a') };
  const file = join(root, 'a.backup');
  const target = { PARAPET_DATA_DIR: join(root, 'b'), PARAPET_KEYRING: join(root, 'a', 'keyring.json'), PARAPET_BACKUP_KEYS: join(root, 'a', 'backup-keys.json') };

  it('ENC-5 DATA-5 backup create, verify, and restore into an empty data folder', () => {
    assert.equal(run(['migrate'], source).code, 0);
    assert.equal(run(['setup-link'], source).code, 0);
    const created = run(['backup', 'create', file], source);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /created backup key file .*backup-keys\.json \(mode 0600\)/);
    assert.match(created.out, /setup_tokens: 1 row\(s\)/);
    assert.equal(statSync(target.PARAPET_BACKUP_KEYS).mode & 0o777, 0o600);

    const verified = run(['backup', 'verify', file], source);
    assert.equal(verified.code, 0, verified.err);
    assert.match(verified.out, /OK: header, every frame and every table hash verified/);

    const damaged = Buffer.from(readFileSync(file));
    damaged[damaged.length - 20] = damaged[damaged.length - 20]! ^ 0xff;
    writeFileSync(join(root, 'damaged.backup'), damaged);
    const refused = run(['backup', 'verify', join(root, 'damaged.backup')], source);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /backup damaged or altered: frame \d+ fails authentication/);

    const restored = run(['backup', 'restore', file], target);
    assert.equal(restored.code, 0, restored.err);
    assert.match(restored.out, /setup_tokens: 1 row\(s\)/);
    assert.match(restored.out, /OK: every table read back matches the backup/);

    const again = run(['backup', 'restore', file], target);
    assert.equal(again.code, 1);
    assert.match(again.err, /refused: the target database is not empty \(table [a-z_]+ has rows\)/);

    assert.equal(run(['backup', 'verify'], source).code, 2);
  });
});
