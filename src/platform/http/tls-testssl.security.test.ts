// ENC-6 checked by an outside scanner: Debian's testssl.sh (3.0.8) probes a Parapet HTTPS listener
// for every protocol and every cipher suite it knows, and reads the HSTS header. `.ci/run` installs
// it; where it is missing the test is skipped with the reason printed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestCertificates } from '../../modules/audit-streaming/tls-test-fixture.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

interface Finding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
}

/** Debian installs it as `testssl`; upstream's name is `testssl.sh`. */
function findTestssl(): string | undefined {
  for (const folder of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const name of ['testssl', 'testssl.sh']) {
      const path = join(folder, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const testssl = findTestssl();
const skip = testssl === undefined ? 'testssl.sh is not installed (apt-get install testssl.sh; .ci/run installs it)' : false;
if (skip !== false) process.stdout.write(`# skipping the testssl.sh scan: ${skip}\n`);

peerSuite('testssl.sh scan of the HTTPS listener (ENC-6)', skip, () => {
  let t: TestApp;
  let findings: Finding[];
  let output: string;

  before(async () => {
    const certs = createTestCertificates('Parapet testssl');
    chmodSync(certs.keyFile, 0o600);
    t = await createTestApp({ env: { PARAPET_TLS_CERT_FILE: certs.certFile, PARAPET_TLS_KEY_FILE: certs.keyFile, PARAPET_PUBLIC_URL: 'https://localhost:4443' } });
    await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.http.server.address() as AddressInfo).port;
    const work = mkdtempSync(join(tmpdir(), 'parapet-testssl-'));
    const jsonFile = join(work, 'scan.json');
    // -p protocols, -E every cipher suite per protocol (sockets, so also suites the local OpenSSL
    // lacks), -h HTTP headers. No DNS; no warnings prompt; neutral user agent.
    const args = ['--quiet', '--warnings', 'off', '--color', '0', '--sneaky', '--nodns', 'none', '--connect-timeout', '10', '--openssl-timeout', '10', '-p', '-E', '-h', '--jsonfile', jsonFile, `https://127.0.0.1:${port}`];
    // Asynchronously: the server answering the scan runs on this event loop.
    output = await new Promise<string>((resolve, reject) => {
      execFile(testssl ?? 'testssl', args, { cwd: work, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        // testssl.sh exits non-zero when it reports findings; the JSON file is what counts.
        if (error !== null && error.killed) reject(new Error(`testssl.sh timed out\n${stdout}${stderr}`));
        else resolve(`${stdout}${stderr}`);
      });
    });
    findings = JSON.parse(readFileSync(jsonFile, 'utf8')) as Finding[];
  });
  after(async () => {
    await t.close();
  });

  function finding(id: string): Finding {
    const found = findings.find((f) => f.id === id);
    assert.ok(found !== undefined, `testssl.sh reported no "${id}"\n${output}`);
    return found;
  }

  it('ENC-6 testssl.sh: no protocol below TLS 1.2 offered; TLS 1.2 and 1.3 offered', () => {
    for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) assert.match(finding(id).finding, /^not offered/, id);
    assert.match(finding('TLS1_2').finding, /^offered/);
    assert.match(finding('TLS1_3').finding, /^offered/);
  });

  it('ENC-6 testssl.sh: every cipher suite offered is AEAD (AES-GCM or ChaCha20-Poly1305)', () => {
    const ciphers = findings.filter((f) => f.id.startsWith('cipher-') && f.id !== 'cipher_order');
    assert.ok(ciphers.length > 0, `testssl.sh listed no cipher suites\n${output}`);
    for (const cipher of ciphers) {
      assert.match(cipher.id, /^cipher-tls1_[23]_/, `only TLS 1.2/1.3 suites: ${cipher.finding}`);
      assert.match(cipher.finding, /_(AES_(128|256)_GCM|CHACHA20_POLY1305)_SHA(256|384)\s*$/, `non-AEAD suite offered: ${cipher.finding}`);
    }
    assert.ok(ciphers.some((c) => c.id.startsWith('cipher-tls1_2_')) && ciphers.some((c) => c.id.startsWith('cipher-tls1_3_')));
  });

  it('ENC-6 testssl.sh: HSTS present with max-age of at least 63072000 seconds; nothing rated high or critical', () => {
    const hsts = finding('HSTS_time').finding;
    const seconds = Number(/=(\d+) seconds/.exec(hsts)?.[1]);
    assert.ok(seconds >= 63_072_000, `HSTS max-age: ${hsts}`);
    const severe = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'CRITICAL');
    assert.deepEqual(severe, []);
    assert.equal(findings.filter((f) => f.id === 'scanProblem').length, 0, output);
  });
});
