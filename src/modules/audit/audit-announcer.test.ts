import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import type { TestDatabase } from '../../../test/support/databases.ts';
import type { DB } from '../../database.ts';
import { openDatabase } from '../../platform/db/index.ts';
import { startDeliveryLoop } from '../audit-streaming/delivery-loop.ts';
import type { DeliveryWorker } from '../audit-streaming/delivery-worker.ts';
import { SYSTEM_ACTOR } from './audit-event.ts';
import { startSequencerLoop } from './sequencer-loop.ts';

/** Polls `check` every 20 ms for up to `ms`; true once it holds. */
async function within(ms: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < ms; await new Promise((resolve) => setTimeout(resolve, 20))) if (await check()) return true;
  return false;
}

/** Long enough that only an announcement can explain a loop running again within the test. */
const SAFETY_POLL_MS = 600_000;

describe('idle audit loops wait on announcements, not polls', () => {
  let a: TestApp;
  let b: TestApp;
  let second: TestDatabase | undefined;

  before(async () => {
    a = await createTestApp();
    // Node B: on a server, its own pool and its own LISTEN connection to the same database.
    const urls = a.database.urls;
    if (urls !== undefined) {
      const db = await openDatabase<DB>({ url: urls.app, migrationUrl: urls.owner, dataDir: mkdtempSync(join(tmpdir(), 'parapet-node-b-')) });
      second = { db, kind: 'postgres', urls, close: () => db.close() };
    }
    b = await createTestApp({ database: second ?? a.database });
  });
  after(async () => {
    await b.close();
    await a.close();
    await second?.close();
  });

  it('AUD-2: an event recorded on node A is sequenced by the sequencer idling on node B, and the grown log wakes the delivery loop on node A, without waiting for either poll', async () => {
    const passes = { delivery: 0 };
    const worker: DeliveryWorker = {
      deliverDestination: () => Promise.resolve({ status: 'idle' }),
      runOnce: () => {
        passes.delivery++;
        return Promise.resolve({ delivered: 0, failed: 0 });
      },
      drain: () => Promise.resolve(0),
    };
    const logger = a.app.http.log as never;
    const stopSequencer = startSequencerLoop({ db: b.database.db, sequencer: b.app.services.audit.sequencer, logger, announcer: b.app.services.audit.announcer, idleMs: SAFETY_POLL_MS });
    const stopDelivery = startDeliveryLoop({ db: a.database.db, worker, logger, announcer: a.app.services.audit.announcer, idleMs: SAFETY_POLL_MS });
    try {
      // Both loops have made their first pass and are idle.
      assert.ok(await within(10_000, () => passes.delivery === 1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const tenantId = crypto.randomUUID();
      const id = await a.transactor.withTenant(tenantId, (tx) => a.app.services.audit.recorder.record(tx, tenantId, { action: 'organization.created', actor: SYSTEM_ACTOR, outcome: 'success' }));
      const sequenced = () => a.transactor.withTenant(tenantId, async (tx) => (await sql<{ n: number }>`select count(*)::int as n from audit_events where id = ${id}`.execute(tx)).rows[0]?.n === 1);
      assert.ok(await within(20_000, sequenced), 'node B did not sequence the event before its safety poll');
      assert.ok(await within(20_000, () => passes.delivery >= 2), 'the delivery loop on node A did not wake when the log grew');
    } finally {
      await stopDelivery();
      await stopSequencer();
    }
  });

  it('AUD-2: after its LISTEN connection is killed, node B reconnects and still sequences what node A records, without waiting for its poll', { skip: process.env['PARAPET_TEST_DB'] === 'postgres' ? false : 'needs a PostgreSQL server (PARAPET_TEST_DB=postgres): PGlite has no connection to kill' }, async () => {
    const logger = a.app.http.log as never;
    const stopSequencer = startSequencerLoop({ db: b.database.db, sequencer: b.app.services.audit.sequencer, logger, announcer: b.app.services.audit.announcer, idleMs: SAFETY_POLL_MS });
    const admin = new pg.Client({ connectionString: a.database.urls?.admin });
    await admin.connect();
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const name = a.database.urls?.app === undefined ? '' : new URL(a.database.urls.app).pathname.slice(1);
      const killed = await admin.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1 and query ilike 'listen %' and pg_terminate_backend(pid)", [name]);
      assert.ok(killed.rows.length >= 2, `killed ${killed.rows.length} listening connections`);
      for (let i = 0; i < 3; i++) {
        const tenantId = crypto.randomUUID();
        const id = await a.transactor.withTenant(tenantId, (tx) => a.app.services.audit.recorder.record(tx, tenantId, { action: 'organization.created', actor: SYSTEM_ACTOR, outcome: 'success' }));
        const sequenced = () => a.transactor.withTenant(tenantId, async (tx) => (await sql<{ n: number }>`select count(*)::int as n from audit_events where id = ${id}`.execute(tx)).rows[0]?.n === 1);
        assert.ok(await within(20_000, sequenced), `event ${i + 1} was not sequenced before the safety poll`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      await admin.end();
      await stopSequencer();
    }
  });
});
