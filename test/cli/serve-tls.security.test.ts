// `parapet serve` with TLS as a user runs it: HTTPS with the hardened settings, the plain-HTTP
// redirect listener, SIGHUP reloading the certificate (and not stopping the process).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, it } from 'node:test';
import { createTestCertificates } from '../../src/modules/audit-streaming/tls-test-fixture.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function fingerprint(port: number, ca: string[], maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', maxVersion }, () => {
      const print = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(print);
    });
    socket.once('error', reject);
  });
}

describe('parapet serve over HTTPS (ENC-6)', () => {
  it('ENC-6 serve speaks TLS only, redirects plain HTTP with 308, and reloads the certificate on SIGHUP without stopping', async () => {
    const first = createTestCertificates('Parapet Serve A');
    const second = createTestCertificates('Parapet Serve B');
    chmodSync(first.keyFile, 0o600);
    const dataDir = mkdtempSync(join(tmpdir(), 'parapet-serve-tls-'));
    const env = {
      PATH: process.env['PATH'] ?? '',
      PARAPET_DATA_DIR: dataDir,
      PARAPET_PORT: '0',
      PARAPET_LOG_LEVEL: 'warn',
      PARAPET_TLS_CERT_FILE: first.certFile,
      PARAPET_TLS_KEY_FILE: first.keyFile,
      PARAPET_HTTP_REDIRECT_PORT: '0',
      PARAPET_PUBLIC_URL: 'https://localhost:8443',
    };
    const child = spawn(process.execPath, [BIN, 'serve'], { env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const [port, redirectPort] = await new Promise<[number, number]>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`serve did not start: ${output}`));
        }, 150_000);
        child.stdout.on('data', () => {
          const https = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(output);
          const plain = /Plain HTTP on port (\d+) answers 308/.exec(output);
          if (https?.[1] !== undefined && plain?.[1] !== undefined && /prints a fresh link|Sign in at/.test(output)) {
            clearTimeout(timer);
            resolve([Number(https[1]), Number(plain[1])]);
          }
        });
      });
      const original = await fingerprint(port, [first.caPem]);
      assert.equal(await fingerprint(port, [first.caPem], 'TLSv1.2'), original);
      // Plain HTTP to the TLS port is not served.
      const plainOnTls = await new Promise<string>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/healthz' }, (response) => {
          response.resume();
          resolve(`status ${response.statusCode ?? 0}`);
        });
        req.once('error', (error) => {
          resolve(error.message);
        });
        req.end();
      });
      assert.doesNotMatch(plainOnTls, /status 200/);
      const redirected = await new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: redirectPort, path: '/login?x=1' }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => {
            resolve({ status: response.statusCode ?? 0, location: response.headers.location, body });
          });
        });
        req.once('error', reject);
        req.end();
      });
      assert.deepEqual(redirected, { status: 308, location: 'https://localhost:8443/login?x=1', body: '' });

      // SIGHUP with nothing changed: the process keeps serving (its default action would stop it).
      child.kill('SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(child.exitCode, null, output);
      assert.equal(await fingerprint(port, [first.caPem]), original);

      // Renewal: new files in place, SIGHUP; the next handshake presents the new certificate.
      copyFileSync(second.certFile, first.certFile);
      copyFileSync(second.keyFile, first.keyFile);
      child.kill('SIGHUP');
      const deadline = Date.now() + 15_000;
      let seen = original;
      while (seen === original && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen = await fingerprint(port, [first.caPem, second.caPem]);
      }
      assert.notEqual(seen, original, output);
      assert.equal(await fingerprint(port, [second.caPem]), seen);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output);
  });

  it('ENC-6 serve refuses to start with a key file others can read, naming the file', async () => {
    const certs = createTestCertificates('Parapet Serve C');
    chmodSync(certs.keyFile, 0o644);
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { PATH: process.env['PATH'] ?? '', PARAPET_DATA_DIR: mkdtempSync(join(tmpdir(), 'parapet-serve-tls-')), PARAPET_PORT: '0', PARAPET_TLS_CERT_FILE: certs.certFile, PARAPET_TLS_KEY_FILE: certs.keyFile },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.ok(stderr.includes(certs.keyFile), stderr);
    assert.match(stderr, /must not be accessible to group or others/);
  });
});

describe('parapet doctor with TLS (ENC-6, ENC-7)', () => {
  it('ENC-6 doctor checks the certificate pair as start-up would: WARN near expiry, FAIL for a loose key file', async () => {
    const certs = createTestCertificates('Parapet Doctor');
    chmodSync(certs.keyFile, 0o600);
    const env = { PATH: process.env['PATH'] ?? '', PARAPET_DATA_DIR: mkdtempSync(join(tmpdir(), 'parapet-doctor-tls-')), PARAPET_TLS_CERT_FILE: certs.certFile, PARAPET_TLS_KEY_FILE: certs.keyFile };
    const doctor = async (): Promise<string> => {
      const child = spawn(process.execPath, [BIN, 'doctor'], { env });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise((resolve) => child.on('exit', resolve));
      return out;
    };
    assert.match(await doctor(), /WARN\s+TLS certificate\s+.*valid until .*\(0 days\)/, 'a one-day test certificate is within 14 days of expiry');
    chmodSync(certs.keyFile, 0o644);
    assert.match(await doctor(), /FAIL\s+TLS certificate\s+.*must not be accessible to group or others/);
  });
});
