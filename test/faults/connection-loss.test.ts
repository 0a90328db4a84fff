// Two nodes on one PostgreSQL lose every database connection ten times under write load
// (pg_terminate_backend, as a failover, an idle-session killer or a pooler restart would): no node
// dies, no acknowledged write is lost, both are ready again within 5 s, and the change feed still
// carries a revocation from one node to the other afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import pg from 'pg';
import { createServerDatabase, PG_ADMIN_URL, postgresSkipReason } from '../support/databases.ts';
import { killAllNodes, startNode, type ServeNode } from '../support/serve-node.ts';
import { peerSuite } from '../support/peer-suite.ts';

const skipPostgres = await postgresSkipReason();
const KILLS = 10;
const READY_WITHIN_MS = 5_000;

after(killAllNodes);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function post(node: ServeNode, path: string, body: object, cookie = ''): Promise<Response> {
  return fetch(`${node.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
}

async function signIn(node: ServeNode, email: string, password: string): Promise<string> {
  const response = await post(node, '/api/v1/auth/login', { email, password });
  assert.equal(response.status, 200, await response.text());
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** Polls `/readyz` until it answers 200; returns how long that took, or Infinity after `limitMs`. */
async function readyWithin(node: ServeNode, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const status = await fetch(`${node.base}/readyz`, { signal: AbortSignal.timeout(limitMs) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return Date.now() - started;
    await sleep(50);
  }
  return Number.POSITIVE_INFINITY;
}

peerSuite('losing the database connections', skipPostgres, () => {
  it('two nodes survive ten terminations of all their backends under write load: no death, no lost write, ready within 5 s, revocation still crosses nodes', { timeout: 110_000 }, async (t) => {
    const database = await createServerDatabase();
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      const env = {
        PARAPET_DATA_DIR: mkdtempSync(join(tmpdir(), 'parapet-connection-loss-')),
        PARAPET_DATABASE_URL: database.app,
        PARAPET_MIGRATION_DATABASE_URL: database.owner,
        PARAPET_PUBLIC_URL: 'http://parapet.test',
      };
      const a = await startNode(env);
      const token = /setup#token=([A-Za-z0-9_-]{43})/.exec(a.output())?.[1] ?? '';
      const password = 'connection loss passphrase';
      assert.equal((await post(a, '/api/v1/setup', { token, email: 'ops@example.com', password, display_name: 'Ops' })).status, 201);
      const b = await startNode(env);
      const cookies = new Map([[a, await signIn(a, 'ops@example.com', password)], [b, await signIn(b, 'ops@example.com', password)]]);
      const org = (await (await post(a, '/api/v1/organizations', { name: 'Connection loss' }, cookies.get(a))).json()) as { id: string };

      // Write load: three writers per node creating projects for as long as the kills go on.
      const acknowledged: string[] = [];
      let failed = 0;
      let stop = false;
      const writers = [a, b].flatMap((node) =>
        Array.from({ length: 3 }, async (_, w) => {
          for (let i = 0; !stop; i++) {
            const response = await post(node, `/api/v1/organizations/${org.id}/projects`, { name: `p-${node === a ? 'a' : 'b'}-${w}-${i}` }, cookies.get(node)).catch(() => undefined);
            if (response?.status === 201) acknowledged.push(((await response.json()) as { id: string }).id);
            else {
              failed++;
              await sleep(20);
            }
          }
        }),
      );

      const recovery: number[] = [];
      try {
        for (let kill = 0; kill < KILLS; kill++) {
          await sleep(400);
          const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database.name]);
          assert.ok((rowCount ?? 0) > 0, 'there were backends to terminate');
          const [ra, rb] = await Promise.all([readyWithin(a, READY_WITHIN_MS), readyWithin(b, READY_WITHIN_MS)]);
          recovery.push(Math.max(ra, rb));
          if (a.child.exitCode !== null || b.child.exitCode !== null) break;
        }
        await sleep(500);
      } finally {
        stop = true;
        await Promise.all(writers);
      }

      t.diagnostic(`${acknowledged.length} writes acknowledged, ${failed} refused; ready again after (ms): ${recovery.join(', ')}`);
      assert.equal(a.child.exitCode ?? a.child.signalCode, null, `node A died:\n${a.output()}`);
      assert.equal(b.child.exitCode ?? b.child.signalCode, null, `node B died:\n${b.output()}`);
      assert.ok(recovery.every((ms) => ms <= READY_WITHIN_MS), `readiness after each kill (ms): ${recovery.join(', ')}`);
      assert.ok(acknowledged.length > 50, `only ${acknowledged.length} acknowledged writes (${failed} failed)`);
      const check = new pg.Client({ connectionString: database.owner.replace('parapet_owner', 'postgres') });
      await check.connect();
      try {
        const found = await check.query<{ id: string }>('select id from projects where id = any($1::uuid[])', [acknowledged]);
        assert.equal(found.rowCount, acknowledged.length, `${acknowledged.length - (found.rowCount ?? 0)} of ${acknowledged.length} acknowledged writes are missing`);
      } finally {
        await check.end();
      }

      // The change feed still works: a session cached on B ends within 1 s of its logout on A.
      const cookie = await signIn(a, 'ops@example.com', password);
      const onB = () => fetch(`${b.base}/api/v1/auth/session`, { headers: { cookie } }).then((response) => response.status);
      assert.equal(await onB(), 200);
      assert.equal(await onB(), 200, 'now cached on node B');
      assert.equal((await post(a, '/api/v1/auth/logout', {}, cookie)).status, 204);
      const started = Date.now();
      let status = 200;
      while (Date.now() - started < 1000 && status !== 401) {
        await sleep(20);
        status = await onB();
      }
      assert.equal(status, 401, 'node B still accepted the ended session after 1 s');

      for (const node of [a, b]) node.child.kill('SIGTERM');
      assert.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0]);
    } finally {
      killAllNodes();
      await admin.end();
      await database.drop();
    }
  });
});
