// AUD-2 incremental verification (issue 20): each run verifies every organization's audit log only
// from its last verified checkpoint (the events since, and the link to what was proved before), and
// a full pass rehashes the whole log at least daily. An attacker with the database owner's
// credentials edits an event after the stored position (the next run finds it), before it (only the
// full pass can: it does), or the stored position itself (the chain link refuses it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { FULL_PASS_INTERVAL_MS, incrementalLogCheck } from './checks/incremental-log-check.ts';

describe('AUD-2 incremental verification of organizations\' audit logs', () => {
  let t: TestApp;
  let cookie: string;
  let orgId: string;
  let now = new Date();
  const clock = { now: () => now };
  let check: ReturnType<typeof incrementalLogCheck>;

  /** SQL as the table owner with forced RLS and the append-only triggers lifted: what an attacker with owner credentials can do. */
  const asAttacker = (statement: string, tables: readonly string[]) =>
    t.database.db.withOwner(async (session) => {
      for (const table of tables) await session.exec(`alter table ${table} no force row level security; alter table ${table} disable trigger user`);
      try {
        await session.exec(statement);
      } finally {
        for (const table of tables) await session.exec(`alter table ${table} force row level security; alter table ${table} enable trigger user`);
      }
    });
  const ownerRead = <R>(statement: string) =>
    t.database.db.withOwner(async (session) => {
      await session.exec('alter table audit_events no force row level security; alter table trust_log_positions no force row level security');
      try {
        return await session.query<R>(statement);
      } finally {
        await session.exec('alter table audit_events force row level security; alter table trust_log_positions force row level security');
      }
    });
  const drain = () => t.app.services.audit.sequencer.drain();
  const storedSize = async () => Number((await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('trust_log_positions').select('size').where('tenant_id', '=', orgId).executeTakeFirstOrThrow())).size);
  /** Appends events to the organization's log through the API and lets the sequencer sign them. */
  const moreEvents = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      const r = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects`, headers: { cookie }, payload: { name: `P${String(Date.now())}${String(i)}` } });
      assert.equal(r.statusCode, 201, r.body);
    }
    await drain();
  };
  /** Flips one byte of the stored event at `seq` and returns how to put it back. */
  const tamper = async (seq: number) => {
    const [original] = await ownerRead<{ hex: string }>(`select encode(canonical, 'hex') as hex from audit_events where tenant_id = '${orgId}' and seq = ${seq}`);
    assert.ok(original !== undefined, `event ${seq} exists`);
    await asAttacker(`update audit_events set canonical = overlay(canonical placing '\\x21'::bytea from 5 for 1) where tenant_id = '${orgId}' and seq = ${seq}`, ['audit_events']);
    return () => asAttacker(`update audit_events set canonical = '\\x${original.hex}' where tenant_id = '${orgId}' and seq = ${seq}`, ['audit_events']);
  };

  before(async () => {
    t = await createTestApp();
    await t.createUser('incremental@example.com', TEST_PASSWORD);
    cookie = await t.login('incremental@example.com', TEST_PASSWORD);
    const org = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie }, payload: { name: 'Incremental' } });
    assert.equal(org.statusCode, 201, org.body);
    orgId = org.json<{ id: string }>().id;
    await moreEvents(2);
    check = incrementalLogCheck({ transactor: t.transactor, clock, signer: t.app.services.audit.signer });
  });
  after(async () => {
    await t.close();
  });

  it('AUD-2 the first run verifies the whole log and stores the position; later runs verify only the new events', async () => {
    const first = await check.run();
    assert.equal(first.status, 'pass', first.detail);
    assert.match(first.statement, /1 in full, 0 from their last verified checkpoint/);
    const size = await storedSize();
    assert.ok(size >= 3, String(size));
    await moreEvents(2);
    now = new Date(now.getTime() + 60_000);
    const incremental = await check.verifyOne(orgId, 'incremental');
    assert.equal(incremental.ok, true, incremental.summary);
    assert.equal(incremental.mode, 'incremental');
    const [head] = await ownerRead<{ n: number }>(`select count(*)::int as n from audit_events where tenant_id = '${orgId}'`);
    assert.equal(incremental.events, (head?.n ?? 0) - size, 'only the events after the stored position were rehashed');
    assert.ok((await storedSize()) > size, 'the position moved on');
    const second = await check.run();
    assert.equal(second.status, 'pass', second.detail);
    assert.match(second.statement, /0 in full, 1 from their last verified checkpoint/);
  });

  it('AUD-2 an event altered after the stored position fails the next incremental run', async () => {
    const position = await storedSize();
    await moreEvents(2);
    const restore = await tamper(position + 1);
    try {
      now = new Date(now.getTime() + 60_000);
      const result = await check.run();
      assert.equal(result.status, 'fail', result.statement);
      assert.match(result.statement, /0 in full, 1 from their last verified checkpoint/);
      assert.match(result.detail, /incremental verification found .*event_altered/);
      assert.equal(await storedSize(), position, 'a failing run does not move the position on');
    } finally {
      await restore();
    }
    const healed = await check.run();
    assert.equal(healed.status, 'pass', healed.detail);
  });

  it('AUD-2 an event altered before the stored position is found by the periodic full pass', async () => {
    await moreEvents(1);
    assert.equal((await check.run()).status, 'pass');
    const restore = await tamper(1);
    try {
      // Within the interval the run is incremental and does not reread old events (the documented bound)…
      now = new Date(now.getTime() + 60_000);
      const quick = await check.run();
      assert.equal(quick.status, 'pass', 'an incremental run does not reread events before the position');
      // …and once the last full pass is older than the interval, the next run rehashes everything.
      now = new Date(now.getTime() + FULL_PASS_INTERVAL_MS);
      const full = await check.run();
      assert.equal(full.status, 'fail', full.statement);
      assert.match(full.statement, /1 in full/);
      assert.match(full.detail, /full verification found .*event_altered/);
    } finally {
      await restore();
    }
    const healed = await check.run();
    assert.equal(healed.status, 'pass', healed.detail);
  });

  it('AUD-2 a forged stored position (advanced past a rewritten history, or with another frontier) is refused by the chain link', async () => {
    await moreEvents(1);
    now = new Date(now.getTime() + 60_000);
    assert.equal((await check.run()).status, 'pass');
    const [saved] = await ownerRead<{ size: string; frontier: string; root: string }>(`select size::text as size, frontier, root from trust_log_positions where tenant_id = '${orgId}'`);
    assert.ok(saved !== undefined);
    const restore = () => asAttacker(`update trust_log_positions set size = ${saved.size}, frontier = '${saved.frontier}', root = '${saved.root}' where tenant_id = '${orgId}'`, ['trust_log_positions']);
    try {
      // Moved forward past events the attacker wants never verified: the note no longer matches the size.
      await asAttacker(`update trust_log_positions set size = size + 1 where tenant_id = '${orgId}'`, ['trust_log_positions']);
      now = new Date(now.getTime() + 60_000);
      const skipped = await check.run();
      assert.equal(skipped.status, 'fail', skipped.statement);
      assert.match(skipped.detail, /stored verified position is not a checkpoint of this log/);
      await restore();
      // A frontier of a rewritten history (another hash) under the genuine note: it does not hash to the signed root.
      await asAttacker(`update trust_log_positions set frontier = regexp_replace(frontier, '^.', case when left(frontier, 1) = 'A' then 'B' else 'A' end) where tenant_id = '${orgId}'`, ['trust_log_positions']);
      const forged = await check.run();
      assert.equal(forged.status, 'fail', forged.statement);
      assert.match(forged.detail, /stored frontier does not hash to the signed root/);
    } finally {
      await restore();
    }
    assert.equal((await check.run()).status, 'pass');
  });
});
