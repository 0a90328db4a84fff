// `parapet config check` must refuse what start-up would refuse: a network list that is not made
// of CIDR ranges (one strict parser, src/platform/net/cidr.ts) is named, not passed as valid.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function configCheck(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-config-check-'));
  const result = spawnSync(process.execPath, [BIN, 'config', 'check'], { env: { PATH: process.env['PATH'] ?? '', PARAPET_DATA_DIR: dataDir, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('parapet config check and network options', () => {
  it('refuses PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS=999.1.1.1/99, naming the option', () => {
    const bad = configCheck({ PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS: '999.1.1.1/99' });
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.err, /PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS/);
  });

  it('refuses out-of-range prefixes and malformed proxy addresses, and accepts good ones', () => {
    for (const [name, value] of [['PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS', '10.0.0.0/33'], ['PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS', 'fd00::/200'], ['PARAPET_TRUST_PROXY', '10.0.0.300'], ['PARAPET_TRUST_PROXY', '::1/129']] as const) {
      const bad = configCheck({ [name]: value });
      assert.equal(bad.code, 1, `${name}=${value}: ${bad.out}`);
      assert.match(bad.err, new RegExp(name));
    }
    const ok = configCheck({ PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS: '10.20.0.0/16,fd00::/8', PARAPET_TRUST_PROXY: '10.0.0.1,10.1.0.0/16' });
    assert.equal(ok.code, 0, ok.err);
  });
});
