import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { manualClock } from '../../platform/clock.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createAuditService, exportLines, verifyDatabaseLog } from './index.ts';
import { leafHash, openNote, parseCheckpoint, parseVerifierKey, verifyConsistency, verifyInclusion } from './log/index.ts';
import { createLogVerifier } from './verify/log-verifier.ts';

const DAY = 86_400_000;
const START = new Date('2026-01-01T00:00:00Z');

describe('audit retention (AUD-3)', () => {
  const clock = manualClock(START);
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  /** A log with `perDay` events on each of `days` consecutive days. */
  async function buildLog(days: number, perDay: number): Promise<string> {
    const tenantId = crypto.randomUUID();
    const { recorder, sequencer } = t.app.services.audit;
    for (let d = 0; d < days; d++) {
      clock.set(new Date(START.getTime() + d * DAY));
      await t.transactor.withTenant(tenantId, async (tx) => {
        for (let i = 0; i < perDay; i++) await recorder.record(tx, tenantId, { action: 'api.request', actor: { type: 'system', id: null, display_name: null }, outcome: 'success', metadata: { d, i } });
      });
      await sequencer.drain();
    }
    return tenantId;
  }

  const verify = (tenantId: string) => {
    const { signer } = t.app.services.audit;
    return verifyDatabaseLog({ transactor: t.transactor }, tenantId, { verifier: parseVerifierKey(signer.verifierKey), origin: signer.origin(tenantId), threads: 0 });
  };

  it('AUD-3: purging never touches an event inside its window, and what remains verifies from the signed retention checkpoint (database and export)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 14 }), async (days, perDay, retention) => {
        const tenantId = await buildLog(days, perDay);
        const { retention: service, signer } = t.app.services.audit;
        await t.transactor.withTenant(tenantId, (tx) => tx.insertInto('audit_settings').values({ tenant_id: tenantId, retention_days: retention, updated_at: clock.now() }).execute());
        const now = new Date(START.getTime() + days * DAY);
        clock.set(now);
        const before = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['seq', 'recorded_at']).where('tenant_id', '=', tenantId).execute());
        await service.applyToTenant(tenantId);
        await t.app.services.audit.sequencer.drain();
        const after_ = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['seq', 'recorded_at', 'action']).where('tenant_id', '=', tenantId).execute());
        const cutoff = now.getTime() - retention * DAY;
        for (const event of before) {
          const kept = after_.some((e) => Number(e.seq) === Number(event.seq));
          if (event.recorded_at.getTime() >= cutoff) assert.ok(kept, `seq ${event.seq} inside the window was purged`);
          else assert.ok(!kept, `seq ${event.seq} outside the window was kept`);
        }
        const report = await verify(tenantId);
        assert.ok(report.ok, JSON.stringify(report.damage.slice(0, 2)));

        const lines = [];
        for await (const line of exportLines({ transactor: t.transactor, signer, clock }, tenantId)) lines.push(line);
        const header = lines[0];
        assert.equal(header?.type, 'header');
        const verifier = createLogVerifier({ verifier: parseVerifierKey(signer.verifierKey), origin: signer.origin(tenantId), tenantId, startSeq: header.type === 'header' ? header.first_seq : 0 });
        for (const line of lines) {
          if (line.type === 'event') verifier.addEvent({ seq: line.seq, canonical: Buffer.from(line.canonical), leafHash: Buffer.from(line.leaf_hash, 'base64') });
          else if (line.type === 'checkpoint') verifier.addCheckpoint(line.note);
        }
        const exported = verifier.finish();
        assert.ok(exported.ok, JSON.stringify(exported.damage.slice(0, 2)));

        // Proofs still work across the purged prefix: inclusion of the first kept event, and
        // consistency from the oldest checkpoint, whose leaves are gone from audit_events.
        const prover = createAuditService({ transactor: t.transactor, signer });
        const first = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['id', 'seq']).where('tenant_id', '=', tenantId).orderBy('seq').limit(1).executeTakeFirstOrThrow());
        const proof = await prover.proveInclusion(tenantId, first.id);
        const signed = parseCheckpoint(openNote(proof.checkpoint, [parseVerifierKey(signer.verifierKey)]).body);
        assert.ok(verifyInclusion(leafHash(proof.canonical), Number(first.seq), proof.treeSize, proof.auditPath, signed.root));
        const regular = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_checkpoints').select(['size', 'root']).where('tenant_id', '=', tenantId).where('kind', '=', 'regular').orderBy('size').execute());
        const [oldest, newest] = [regular[0], regular.at(-1)];
        assert.ok(oldest !== undefined && newest !== undefined);
        const consistency = await prover.proveConsistency(tenantId, Number(oldest.size), Number(newest.size));
        assert.ok(verifyConsistency(Number(oldest.size), Number(newest.size), oldest.root, newest.root, consistency.proof));
      }),
      { numRuns: 12 },
    );
  });

  it('AUD-3: the purge function refuses to delete without a signed retention checkpoint of that size', async () => {
    const tenantId = await buildLog(3, 3);
    await assert.rejects(t.transactor.withTenant(tenantId, (tx) => sql`select parapet_audit_purge(4)`.execute(tx)), /needs a signed retention checkpoint/);
  });

  it('AUD-3: a log whose head was cut without a retention checkpoint fails verification', async () => {
    const tenantId = await buildLog(3, 3);
    await t.database.db.withOwner((s) =>
      s.exec(`alter table audit_events disable trigger user; alter table audit_events no force row level security; alter table audit_tree_heads no force row level security;
        delete from audit_events where tenant_id = '${tenantId}' and seq < 4; update audit_tree_heads set first_seq = 4 where tenant_id = '${tenantId}';
        alter table audit_events enable trigger user; alter table audit_events force row level security; alter table audit_tree_heads force row level security;`),
    );
    const report = await verify(tenantId);
    assert.equal(report.damage[0]?.kind, 'retention_unproven');
    assert.equal(report.damage[0]?.seq, 4);
  });

  it('AUD-3: organizations set retention between 90 days and 7 years through the API', async () => {
    const { TEST_PASSWORD } = await import('../../../test/support/app.ts');
    await t.createUser('retention@example.com', TEST_PASSWORD);
    const cookie = await t.login('retention@example.com', TEST_PASSWORD);
    const org = (await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'R' }, headers: { cookie } })).json<{ id: string }>().id;
    const url = `/api/v1/organizations/${org}/audit/retention`;
    assert.equal((await t.inject({ method: 'GET', url, headers: { cookie } })).json<{ retention_days: number }>().retention_days, 400);
    assert.equal((await t.inject({ method: 'PUT', url, payload: { retention_days: 30 }, headers: { cookie } })).statusCode, 400);
    assert.equal((await t.inject({ method: 'PUT', url, payload: { retention_days: 2558 }, headers: { cookie } })).statusCode, 400);
    assert.equal((await t.inject({ method: 'PUT', url, payload: { retention_days: 395 }, headers: { cookie } })).statusCode, 200);
    assert.equal((await t.inject({ method: 'GET', url, headers: { cookie } })).json<{ retention_days: number }>().retention_days, 395);
  });
});
