// The log's signing identity belongs to the deployment, not to the URL a node runs with (AUD-2):
// nodes with different public URLs, a moved deployment and a database signed under the old
// URL-derived names all keep one verifiable history.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { openTestDatabase, TEST_KEYRING, type TestDatabase } from '../../../test/support/databases.ts';
import { systemClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../../platform/db/index.ts';
import { createAuditRecorder, createAuditSigner, createSequencer, exportLines, verifyDatabaseLog, verifyExportFile, type AuditSigner } from './index.ts';
import type { AppTransactor } from '../../database.ts';

const silent = pino({ level: 'silent' });

async function record(transactor: AppTransactor, tenantId: string, count: number): Promise<void> {
  const recorder = createAuditRecorder({ clock: systemClock, random: systemRandom });
  await transactor.withTenant(tenantId, async (tx) => {
    for (let i = 0; i < count; i++) {
      await recorder.record(tx, tenantId, { action: 'project.created', actor: { type: 'system', id: null, display_name: null }, outcome: 'success', targets: [{ type: 'project', id: `p-${i}` }], source: { ip: null, user_agent: null, request_id: null } });
    }
  });
}

async function verifyBoth(transactor: AppTransactor, signer: AuditSigner, tenantId: string, trustedKey: string, size: number): Promise<void> {
  const inDatabase = await verifyDatabaseLog({ transactor }, tenantId, { verifiers: signer.verifiers, threads: 0 });
  assert.ok(inDatabase.ok, JSON.stringify(inDatabase.damage));
  assert.equal(inDatabase.provedSize, size);
  let text = '';
  for await (const line of exportLines({ transactor, signer, clock: { now: () => new Date() } }, tenantId)) text += `${JSON.stringify(line)}\n`;
  const path = join(mkdtempSync(join(tmpdir(), 'parapet-identity-')), 'export.jsonl');
  writeFileSync(path, text);
  const offline = await verifyExportFile(path, { verifierKey: trustedKey, threads: 0 });
  assert.ok(offline.ok, JSON.stringify(offline.damage));
  assert.equal(offline.provedSize, size);
}

describe('the audit log signing identity (AUD-2)', () => {
  it('AUD-2: two nodes with different public URLs lead the sequencer in turn, then the URL changes, and the log verifies throughout, offline and in the database', async () => {
    const database: TestDatabase = await openTestDatabase();
    const apps: TestApp[] = [];
    try {
      const node = async (url: string) => {
        const app = await createTestApp({ database, env: { PARAPET_PUBLIC_URL: url } });
        apps.push(app);
        return app;
      };
      const a = await node('http://node-a.internal:4000');
      const b = await node('http://node-b.internal:4001');
      const firstKey = a.app.services.audit.signer.verifierKey;
      const tenantId = crypto.randomUUID();
      let size = 0;
      for (const leader of [a, b, a, b]) {
        await record(leader.transactor, tenantId, 3);
        size += 3;
        await leader.app.services.audit.sequencer.drain();
        for (const reader of [a, b]) await verifyBoth(reader.transactor, reader.app.services.audit.signer, tenantId, firstKey, size);
      }
      // The deployment moves to a new domain (and a CLI runs without the server's port).
      const moved = await node('https://audit.example.com');
      await record(moved.transactor, tenantId, 3);
      size += 3;
      await moved.app.services.audit.sequencer.drain();
      await verifyBoth(moved.transactor, moved.app.services.audit.signer, tenantId, firstKey, size);
      const cli = await node('http://127.0.0.1');
      await verifyBoth(cli.transactor, cli.app.services.audit.signer, tenantId, firstKey, size);
      assert.deepEqual(new Set(apps.map((app) => app.app.services.audit.signer.verifierKey)), new Set([firstKey]));
    } finally {
      for (const app of apps) await app.close();
      await database.close();
    }
  });

  it('AUD-2: a database whose checkpoints were signed under two nodes\' URL-derived names keeps verifying with the old key after the identity is fixed', async () => {
    const database: TestDatabase = await openTestDatabase();
    let app: TestApp | undefined;
    try {
      const transactor = createTransactor(database.db.app, createContextSigner(TEST_KEYRING.derive('tenant-context-mac')));
      const legacy = (name: string) => createAuditSigner(TEST_KEYRING, { keyName: name, keyNames: [name] });
      const tenantId = crypto.randomUUID();
      for (const name of ['node-a.internal:4000/audit', 'node-b.internal:4001/audit']) {
        await record(transactor, tenantId, 4);
        await createSequencer({ transactor, clock: { now: () => new Date() }, signer: legacy(name), logger: silent }).drain();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      app = await createTestApp({ database, env: { PARAPET_PUBLIC_URL: 'https://audit.example.com' } });
      const { signer } = app.app.services.audit;
      assert.equal(signer.signer.name, 'node-b.internal:4001/audit', 'the most recently used name stays current');
      assert.equal(signer.verifierKeys.length, 2);
      await record(transactor, tenantId, 2);
      await app.app.services.audit.sequencer.drain();
      await verifyBoth(app.transactor, signer, tenantId, legacy('node-a.internal:4000/audit').verifierKey, 10);
    } finally {
      await app?.close();
      await database.close();
    }
  });
});
