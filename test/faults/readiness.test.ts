// /readyz follows the database: 503 while the server cannot be reached, 200 again once it can,
// with no restart and no manual step. The app reaches PostgreSQL through a loopback TCP relay
// that the test cuts and restores.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, it } from 'node:test';
import type { DB } from '../../src/database.ts';
import { openDatabase } from '../../src/platform/db/index.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { openTestDatabase, postgresSkipReason, type TestDatabase } from '../support/databases.ts';
import { freePort } from '../support/ports.ts';
import { peerSuite } from '../support/peer-suite.ts';

const skipPostgres = await postgresSkipReason();

/**
 * A relay from a loopback port to the PostgreSQL server. `cut` closes every relayed connection and
 * turns the relay into a black hole (connections are accepted and never answered, as across a
 * network partition); `restore` relays again.
 */
function relay(port: number, target: { host: string; port: number }): { start(): Promise<void>; cut(): void; restore(): void; close(): Promise<void> } {
  let open = true;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((socket) => {
    track(socket);
    if (!open) return;
    const upstream = connect(target.port, target.host);
    track(upstream);
    socket.pipe(upstream).pipe(socket);
  });
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          resolve();
        });
      }),
    cut: () => {
      open = false;
      dropAll();
    },
    restore: () => {
      open = true;
      dropAll(); // the black-holed attempts; the client retries
    },
    close: () =>
      new Promise((resolve) => {
        dropAll();
        server.close(() => {
          resolve();
        });
      }),
  };
}

peerSuite('readiness while the database is away', skipPostgres, () => {
  let database: TestDatabase;
  let through: TestDatabase;
  let app: TestApp;
  let link: ReturnType<typeof relay>;

  before(async () => {
    database = await openTestDatabase('postgres');
    const appUrl = new URL(database.urls?.app ?? '');
    const port = await freePort();
    link = relay(port, { host: appUrl.hostname, port: Number(appUrl.port || 5432) });
    await link.start();
    const relayed = new URL(appUrl);
    relayed.port = String(port);
    const db = await openDatabase<DB>({ url: relayed.toString(), migrationUrl: undefined, dataDir: '/nonexistent', poolSize: 2 });
    through = { db, kind: 'postgres', urls: database.urls, close: () => db.close() };
    app = await createTestApp({ database: through });
  });

  after(async () => {
    await app.close();
    await link.close();
    await through.close();
    await database.close();
  });

  /** The probe's status, or 0 when it has not answered within 8 s (a load balancer's probe gives up too). */
  const ready = () =>
    Promise.race([
      app.inject({ method: 'GET', url: '/readyz' }).then((response) => response.statusCode),
      new Promise<number>((resolve) => {
        setTimeout(() => {
          resolve(0);
        }, 8_000).unref();
      }),
    ]);

  it('answers 503 while the database cannot be reached and 200 again within 5 s of its return', { timeout: 60_000 }, async () => {
    assert.equal(await ready(), 200);
    link.cut();
    assert.equal(await ready(), 503, 'ready (or no answer) while the database is unreachable');
    assert.equal(await ready(), 503);
    link.restore();
    const started = Date.now();
    let status = await ready();
    while (status !== 200 && Date.now() - started < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await ready();
    }
    assert.equal(status, 200, 'not ready 5 s after the database came back');
    // And the app works again, not just the probe.
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@example.com', password: 'not the password at all' } })).statusCode, 401);
  });
});
