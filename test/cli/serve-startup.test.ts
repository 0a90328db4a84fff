// Start-up faults of `parapet serve` nodes: a port already taken, a fresh cluster's setup link, a
// node without the installation's keyring.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createServerDatabase, postgresSkipReason } from '../support/databases.ts';
import { killAllNodes, spawnParapet, startNode } from '../support/serve-node.ts';

const skipPostgres = await postgresSkipReason();

after(killAllNodes);

const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `parapet-${name}-`));

/** Resolves with the process's exit, or 'still running' after `ms`. */
function exitWithin(exited: Promise<number | NodeJS.Signals>, ms: number): Promise<number | NodeJS.Signals | 'still running'> {
  return Promise.race([
    exited,
    new Promise<'still running'>((resolve) => {
      setTimeout(() => {
        resolve('still running');
      }, ms).unref();
    }),
  ]);
}

describe('serve start-up', () => {
  it('a node that cannot bind its port exits non-zero, naming EADDRINUSE, instead of running on without a listener', { timeout: 120_000 }, async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const node = spawnParapet(['serve'], { PARAPET_PORT: String(port), PARAPET_DATA_DIR: tempDir('eaddrinuse') });
      const code = await exitWithin(node.exited, 100_000);
      if (code === 'still running') node.child.kill('SIGKILL');
      assert.match(node.output(), /EADDRINUSE/);
      assert.ok(code !== 'still running' && code !== 0, `exit: ${String(code)}\n${node.output()}`);
    } finally {
      taken.close();
    }
  });

  it('every node of a fresh cluster leaves one setup link working: the first prints it, the others say it was issued', { skip: skipPostgres, timeout: 420_000 }, async () => {
    const database = await createServerDatabase();
    try {
      const keyring = join(tempDir('cluster-keyring'), 'keyring.json');
      const env = (name: string) => ({ PARAPET_DATA_DIR: tempDir(name), PARAPET_KEYRING: keyring, PARAPET_DATABASE_URL: database.app, PARAPET_MIGRATION_DATABASE_URL: database.owner, PARAPET_PUBLIC_URL: 'http://parapet.test' });
      const nodes = await Promise.all([startNode(env('node-a')), startNode(env('node-b'))]);
      const links = nodes.flatMap((node) => [...node.output().matchAll(/setup#token=([A-Za-z0-9_-]{43})/g)].map((match) => match[1] ?? ''));
      assert.equal(links.length, 1, nodes.map((node) => node.output()).join('\n---\n'));
      assert.equal(nodes.filter((node) => /setup link was already issued/.test(node.output())).length, 1);
      const third = await startNode(env('node-c'));
      assert.match(third.output(), /setup link was already issued/);
      // The one link printed works, on any node.
      const response = await fetch(`${third.base}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: links[0], email: 'root@example.com', password: 'cluster setup passphrase', display_name: 'Root' }) });
      assert.equal(response.status, 201, await response.text());
      for (const node of [...nodes, third]) node.child.kill('SIGTERM');
      assert.deepEqual(await Promise.all([...nodes, third].map((node) => node.exited)), [0, 0, 0]);
    } finally {
      killAllNodes();
      await database.drop();
    }
  });

  it('a node without the installation\'s keyring is refused before it writes a keyring of its own', { skip: skipPostgres, timeout: 120_000 }, async () => {
    const database = await createServerDatabase();
    try {
      const base = { PARAPET_DATABASE_URL: database.app, PARAPET_MIGRATION_DATABASE_URL: database.owner, PARAPET_PUBLIC_URL: 'http://parapet.test' };
      const first = spawnParapet(['migrate'], { ...base, PARAPET_DATA_DIR: tempDir('keyring-first') });
      assert.equal(await first.exited, 0, first.output());
      const otherDir = tempDir('keyring-missing');
      const second = spawnParapet(['serve'], { ...base, PARAPET_PORT: '0', PARAPET_DATA_DIR: otherDir });
      const code = await exitWithin(second.exited, 60_000);
      assert.equal(code, 1, second.output());
      assert.match(second.output(), /no keyring at .*keyring\.json, but this database was set up with one/);
      assert.equal(existsSync(join(otherDir, 'keyring.json')), false, 'a keyring.json was written before the refusal');
    } finally {
      killAllNodes();
      await database.drop();
    }
  });
});
