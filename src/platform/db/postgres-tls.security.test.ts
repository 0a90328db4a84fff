import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestCertificates, type TestCertificates } from '../../modules/audit-streaming/tls-test-fixture.ts';
import { openDatabase } from './connect.ts';
import { postgresConnectionConfig } from './postgres-tls.ts';

// The local PostgreSQL has no TLS, so these tests talk to a stand-in that speaks the start of the
// protocol: it answers the SSLRequest with 'S', completes the TLS handshake with the test
// certificate (issued for 127.0.0.1 and localhost), then refuses the login with a known error.
// Reaching that error means the client accepted the certificate.
const HANDSHAKE_OK = 'stand-in: TLS handshake completed';

function errorResponse(message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0C28000\0M${message}\0\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

function standIn(certs: TestCertificates, host: string): Promise<{ server: Server; port: number; handshakes: () => number }> {
  let handshakes = 0;
  const server = createServer((socket: Socket) => {
    socket.once('data', (request) => {
      // SSLRequest: length 8, code 80877103.
      if (request.length !== 8 || request.readInt32BE(4) !== 80877103) {
        socket.destroy();
        return;
      }
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, cert: certs.certPem, key: certs.keyPem, minVersion: 'TLSv1.2' });
      secure.on('secure', () => {
        handshakes++;
      });
      secure.once('data', () => {
        secure.end(errorResponse(HANDSHAKE_OK));
      });
      secure.on('error', () => undefined);
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      resolve({ server, port: (server.address() as AddressInfo).port, handshakes: () => handshakes });
    });
  });
}

async function ownerConnect(url: string, caFile?: string): Promise<void> {
  const db = await openDatabase({ url, migrationUrl: undefined, dataDir: '/nonexistent', caFile });
  try {
    await db.withOwner(async (session) => session.query('select 1'));
  } finally {
    await db.close();
  }
}

describe('PostgreSQL connection TLS (ENC-7)', () => {
  let certs: TestCertificates;
  let otherCa: TestCertificates;
  let loopback: Awaited<ReturnType<typeof standIn>>;
  let otherAddress: Awaited<ReturnType<typeof standIn>>;

  before(async () => {
    certs = createTestCertificates('Parapet DB Test');
    otherCa = createTestCertificates('Parapet Other CA');
    loopback = await standIn(certs, '127.0.0.1');
    // 127.0.0.2 reaches the same machine but is not named by the certificate.
    otherAddress = await standIn(certs, '127.0.0.2');
  });
  after(() => {
    loopback.server.close();
    otherAddress.server.close();
  });

  it('ENC-7 sslmode=verify-full yields a verifying TLS configuration and a URL without ssl parameters', () => {
    const config = postgresConnectionConfig('postgres://parapet_app:pw@db.example:5432/parapet?sslmode=verify-full&application_name=parapet', certs.caFile);
    assert.ok(config.ssl !== false);
    assert.equal(config.ssl.rejectUnauthorized, true);
    assert.equal(config.ssl.ca, certs.caPem);
    assert.equal(config.ssl.servername, 'db.example');
    assert.equal(config.ssl.checkServerIdentity, undefined, 'Node checks the host name against the certificate');
    // node-postgres lets a URL's ssl settings override the ssl object, so none may remain.
    assert.equal(config.connectionString, 'postgres://parapet_app:pw@db.example:5432/parapet?application_name=parapet');
  });

  it('ENC-7 chooses the mode from the URL and the CA file', () => {
    assert.equal(postgresConnectionConfig('postgres://a@127.0.0.1/p').ssl, false, 'nothing asked: plain TCP');
    assert.equal(postgresConnectionConfig('postgres://a@db.example/p?sslmode=disable', certs.caFile).ssl, false);
    const byCaFile = postgresConnectionConfig('postgres://a@db.example/p', certs.caFile).ssl;
    assert.ok(byCaFile !== false && byCaFile.rejectUnauthorized === true && byCaFile.servername === 'db.example', 'a CA file alone means verify-full');
    const require = postgresConnectionConfig('postgres://a@db.example/p?sslmode=require').ssl;
    assert.ok(require !== false && require.rejectUnauthorized === true && require.checkServerIdentity === undefined && require.ca === undefined, 'require verifies against the system roots');
    const rootCert = postgresConnectionConfig(`postgres://a@db.example/p?sslmode=verify-full&sslrootcert=${encodeURIComponent(otherCa.caFile)}`, certs.caFile).ssl;
    assert.ok(rootCert !== false && rootCert.ca === otherCa.caPem, 'sslrootcert wins over the CA file');
    const verifyCa = postgresConnectionConfig('postgres://a@db.example/p?sslmode=verify-ca', certs.caFile).ssl;
    assert.ok(verifyCa !== false && verifyCa.rejectUnauthorized === true && typeof verifyCa.checkServerIdentity === 'function');
    const ip = postgresConnectionConfig('postgres://a@127.0.0.1/p?sslmode=verify-full', certs.caFile).ssl;
    assert.ok(ip !== false && ip.servername === undefined, 'no SNI for an address; Node checks its IP SANs');
    assert.throws(() => postgresConnectionConfig('postgres://a@db.example/p?sslmode=prefer'), /unsupported sslmode "prefer"/);
    assert.throws(() => postgresConnectionConfig('postgres://a@db.example/p?sslmode=verify-full', join(certs.dir, 'missing.pem')), /cannot read the database CA file/);
  });

  it('ENC-7 verify-full with the right CA and host name completes the handshake', async () => {
    const before = loopback.handshakes();
    await assert.rejects(ownerConnect(`postgres://parapet_app@127.0.0.1:${loopback.port}/parapet?sslmode=verify-full`, certs.caFile), new RegExp(HANDSHAKE_OK));
    await assert.rejects(ownerConnect(`postgres://parapet_app@localhost:${loopback.port}/parapet?sslmode=verify-full`, certs.caFile), new RegExp(HANDSHAKE_OK));
    assert.equal(loopback.handshakes(), before + 2);
  });

  it('ENC-7 verify-full refuses a certificate that does not name the host, on the pool and the owner connection', async () => {
    const url = `postgres://parapet_app@127.0.0.2:${otherAddress.port}/parapet?sslmode=verify-full`;
    await assert.rejects(ownerConnect(url, certs.caFile), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID', error.message);
      return true;
    });
    const db = await openDatabase({ url, migrationUrl: undefined, dataDir: '/nonexistent', caFile: certs.caFile });
    try {
      await assert.rejects(sql`select 1`.execute(db.app), (error: NodeJS.ErrnoException) => error.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
    } finally {
      await db.close();
    }
    assert.equal(otherAddress.handshakes(), 0, 'the client aborted every handshake');
  });

  it('ENC-7 verify-full refuses a certificate from another CA; verify-ca checks the CA but not the name', async () => {
    await assert.rejects(ownerConnect(`postgres://parapet_app@127.0.0.1:${loopback.port}/parapet?sslmode=verify-full`, otherCa.caFile), (error: NodeJS.ErrnoException) => {
      assert.match(String(error.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/, error.message);
      return true;
    });
    await assert.rejects(ownerConnect(`postgres://parapet_app@127.0.0.2:${otherAddress.port}/parapet?sslmode=verify-ca`, certs.caFile), new RegExp(HANDSHAKE_OK));
    const wrongCaFile = join(certs.dir, 'wrong-ca.pem');
    writeFileSync(wrongCaFile, otherCa.caPem);
    await assert.rejects(ownerConnect(`postgres://parapet_app@127.0.0.2:${otherAddress.port}/parapet?sslmode=verify-ca`, wrongCaFile), (error: NodeJS.ErrnoException) => error.code !== undefined && /VERIFY|SELF_SIGNED|ISSUER/.test(error.code));
  });
});
