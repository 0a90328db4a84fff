import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KeyringError, loadOrCreateKeyring, readKeyring } from './keyring.ts';

describe('local keyring', () => {
  it('is created on first use with mode 0600 and never overwritten', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keyring-')), 'nested', 'keyring.json');
    const first = loadOrCreateKeyring(path);
    assert.equal(first.created, true);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const bytes = readFileSync(path);
    const second = loadOrCreateKeyring(path);
    assert.equal(second.created, false);
    assert.deepEqual(readFileSync(path), bytes);
    assert.deepEqual(second.keyring.derive('tenant-context-mac'), first.keyring.derive('tenant-context-mac'));
  });

  it('refuses a keyring that group or others can read', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keyring-')), 'keyring.json');
    loadOrCreateKeyring(path);
    chmodSync(path, 0o644);
    assert.throws(() => readKeyring(path), (error: Error) => error instanceof KeyringError && /mode 0644/.test(error.message));
    assert.throws(() => loadOrCreateKeyring(path), /mode 0644/);
  });

  it('derives distinct keys per purpose', () => {
    const { keyring } = loadOrCreateKeyring(join(mkdtempSync(join(tmpdir(), 'keyring-')), 'k.json'));
    assert.notDeepEqual(keyring.derive('tenant-context-mac'), keyring.derive('session-token'));
    assert.equal(keyring.derive('setup-token').length, 32);
  });
});
