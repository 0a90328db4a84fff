import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Server as HttpServer } from 'node:http';
import { get as httpsGet, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createTlsServer, type ConnectionOptions } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Logger } from 'pino';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { loadConfig } from '../../config/index.ts';
import { createTestCertificates, type TestCertificates } from '../../modules/audit-streaming/tls-test-fixture.ts';
import { startRuntime } from '../../start.ts';
import { createLogger } from '../log/logger.ts';
import { createRedirectServer, watchCertificates } from './tls.ts';

interface Handshake {
  readonly protocol: string | null;
  readonly cipher: string;
  readonly fingerprint: string;
}

function handshake(port: number, ca: string | string[], options: ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name, fingerprint: socket.getPeerCertificate().fingerprint256 };
      socket.end();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

function certificates(): TestCertificates {
  const certs = createTestCertificates('Parapet HTTPS Test');
  chmodSync(certs.keyFile, 0o600);
  return certs;
}

function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

describe('HTTPS listener (ENC-6)', () => {
  let certs: TestCertificates;
  let t: TestApp;
  let port: number;

  before(async () => {
    certs = certificates();
    t = await createTestApp({ env: { PARAPET_TLS_CERT_FILE: certs.certFile, PARAPET_TLS_KEY_FILE: certs.keyFile, PARAPET_PUBLIC_URL: 'https://localhost:4443' } });
    await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    port = portOf(t.app.http.server);
  });
  after(async () => {
    await t.close();
  });

  it('ENC-6 refuses TLS 1.0 and 1.1 from a client that a permissive server would accept', async () => {
    const legacy: ConnectionOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' };
    // Control: the same client completes a TLS 1.0/1.1 handshake with a server that allows it,
    // so the refusal below is Parapet's doing, not the client's.
    const permissive = createTlsServer({ cert: certs.certPem, key: certs.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (socket) => socket.end());
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    try {
      const control = await handshake(portOf(permissive), certs.caPem, legacy);
      assert.match(String(control.protocol), /^TLSv1(\.1)?$/);
    } finally {
      permissive.close();
    }
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      await assert.rejects(handshake(port, certs.caPem, { ...legacy, minVersion: version, maxVersion: version }), (error: NodeJS.ErrnoException) => {
        assert.match(`${error.code ?? ''} ${error.message}`, /version|PROTOCOL|alert/i, `${version}: ${error.message}`);
        return true;
      });
    }
  });

  it('ENC-6 accepts TLS 1.2 and TLS 1.3, negotiating AEAD suites only', async () => {
    const tls13 = await handshake(port, certs.caPem);
    assert.equal(tls13.protocol, 'TLSv1.3');
    assert.match(tls13.cipher, /^TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305)_SHA(256|384)$/);
    const tls12 = await handshake(port, certs.caPem, { maxVersion: 'TLSv1.2' });
    assert.equal(tls12.protocol, 'TLSv1.2');
    assert.match(tls12.cipher, /^ECDHE-ECDSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)$/);
    for (const cipher of ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      assert.equal((await handshake(port, certs.caPem, { maxVersion: 'TLSv1.2', ciphers: cipher })).cipher, cipher);
    }
  });

  it('ENC-6 refuses CBC cipher suites (Node accepts them by default)', async () => {
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA']) {
      await assert.rejects(handshake(port, certs.caPem, { maxVersion: 'TLSv1.2', ciphers: cipher }), /handshake failure|no shared cipher|alert/i, cipher);
    }
  });

  it('ENC-6 sends Strict-Transport-Security max-age=63072000 on every HTTPS response', async () => {
    for (const path of ['/healthz', '/login', '/api/v1/organizations', '/no/such/page']) {
      const { status, hsts } = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
        httpsGet({ host: '127.0.0.1', port, path, ca: certs.caPem, servername: 'localhost' }, (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, hsts: response.headers['strict-transport-security'] });
        }).once('error', reject);
      });
      assert.ok(status > 0, path);
      assert.equal(hsts, 'max-age=63072000', path);
    }
  });

  it('ENC-6 a new certificate is presented at the next handshake without a restart; a broken one is refused and the old kept', async () => {
    const logger = t.app.http.log as unknown as Logger;
    const reloader = watchCertificates(t.app.http.server as unknown as HttpsServer, { certFile: certs.certFile, keyFile: certs.keyFile }, logger, { debounceMs: 50 });
    try {
      const before = await handshake(port, certs.caPem);
      const next = certificates();
      // Renewal as certbot does it: both files replaced.
      copyFileSync(next.certFile, certs.certFile);
      copyFileSync(next.keyFile, certs.keyFile);
      const deadline = Date.now() + 10_000;
      let seen = before.fingerprint;
      while (seen === before.fingerprint && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = (await handshake(port, [certs.caPem, next.caPem])).fingerprint;
      }
      assert.notEqual(seen, before.fingerprint, 'the watcher installed the new certificate');
      assert.equal(seen, (await handshake(port, next.caPem)).fingerprint);

      // A certificate that does not match the key: logged, old pair kept.
      const other = certificates();
      copyFileSync(other.certFile, certs.certFile);
      assert.equal(reloader.reload(), false);
      assert.equal((await handshake(port, next.caPem)).fingerprint, seen);
      // A key file others can read: refused as at start-up.
      copyFileSync(next.certFile, certs.certFile);
      chmodSync(certs.keyFile, 0o644);
      assert.equal(reloader.reload(), false);
      assert.ok(t.logs.some((line) => line.includes('TLS certificate reload failed') && line.includes('must not be accessible to group or others')));
      chmodSync(certs.keyFile, 0o600);
      assert.equal(reloader.reload(), true);
      assert.equal((await handshake(port, next.caPem)).fingerprint, seen);
    } finally {
      reloader.close();
    }
  });
});

describe('TLS start-up checks (ENC-6)', () => {
  it('ENC-6 start-up refuses a key file readable by group or others, naming the file', async () => {
    const certs = certificates();
    chmodSync(certs.keyFile, 0o640);
    const config = loadConfig({ env: { PARAPET_DATABASE_URL: 'memory:', PARAPET_DATA_DIR: certs.dir, PARAPET_TLS_CERT_FILE: certs.certFile, PARAPET_TLS_KEY_FILE: certs.keyFile } });
    await assert.rejects(startRuntime(config, createLogger('silent')), (error: Error) => {
      assert.ok(error.message.includes(certs.keyFile), error.message);
      assert.match(error.message, /PARAPET_TLS_KEY_FILE.*mode 0640.*chmod 600/);
      return true;
    });
  });

  it('ENC-6 start-up refuses a certificate that does not belong to the key', async () => {
    const certs = certificates();
    const other = certificates();
    writeFileSync(certs.certFile, other.certPem);
    const config = loadConfig({ env: { PARAPET_DATABASE_URL: 'memory:', PARAPET_DATA_DIR: certs.dir, PARAPET_TLS_CERT_FILE: certs.certFile, PARAPET_TLS_KEY_FILE: certs.keyFile } });
    await assert.rejects(startRuntime(config, createLogger('silent')), /not a usable pair/);
  });
});

describe('plain-HTTP redirect listener (ENC-6)', () => {
  let server: HttpServer;
  let port: number;
  before(async () => {
    server = createRedirectServer('https://parapet.example:8443');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = portOf(server);
  });
  after(() => {
    server.close();
  });

  function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.once('error', reject);
      req.end(body);
    });
  }

  it('ENC-6 answers every request with 308 to the HTTPS public URL and no content', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/login?next=%2Fconsole', 'https://parapet.example:8443/login?next=%2Fconsole'],
      ['GET', '/healthz', 'https://parapet.example:8443/healthz'],
      ['GET', '/metrics', 'https://parapet.example:8443/metrics'],
      ['POST', '/api/v1/auth/login', 'https://parapet.example:8443/api/v1/auth/login'],
      ['DELETE', '/api/v1/organizations/x', 'https://parapet.example:8443/api/v1/organizations/x'],
    ];
    for (const [method, path, location] of cases) {
      const response = await send(method, path, { 'content-type': 'application/json', host: 'attacker.example' }, method === 'POST' ? '{"email":"a@b.c","password":"x"}' : undefined);
      assert.equal(response.status, 308, `${method} ${path}`);
      assert.equal(response.headers['location'], location, 'the target comes from the public URL, not the Host header');
      assert.equal(response.body, '', 'nothing but the redirect');
      assert.equal(response.headers['set-cookie'], undefined);
      assert.equal(response.headers['content-type'], undefined);
    }
  });
});

describe('HSTS options (ENC-6)', () => {
  it('ENC-6 adds includeSubDomains only when configured', async () => {
    for (const [flag, expected] of [['false', 'max-age=63072000'], ['true', 'max-age=63072000; includeSubDomains']] as const) {
      const app = await createTestApp({ env: { PARAPET_PUBLIC_URL: 'https://parapet.example', PARAPET_HSTS_INCLUDE_SUBDOMAINS: flag } });
      try {
        const response = await app.inject({ method: 'GET', url: '/healthz' });
        assert.equal(response.headers['strict-transport-security'], expected);
      } finally {
        await app.close();
      }
    }
  });
});
