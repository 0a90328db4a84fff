// The tamper matrix (AUD-2): each kind of damage an attacker with write access to the database or
// the export file could do is detected and localised, at random positions (fast-check), against an
// export and against the database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { buildTestLog, type TestLog } from '../../../test/support/audit-log.ts';
import { createAuditService, exportLines, verifyDatabaseLog } from './index.ts';
import type { ExportCheckpointLine, ExportEventLine, ExportLine } from './export/export-format.ts';
import { canonicalJson, ed25519SignerFromSeed, formatCheckpoint, leafHash, openNote, parseCheckpoint, signNote, verifyInclusion } from './log/index.ts';
import { createLogVerifier, type VerifyReport } from './verify/log-verifier.ts';

const EVENTS = 240;

function verifyLines(lines: readonly ExportLine[], log: TestLog, known: readonly string[] = []): VerifyReport {
  const verifier = createLogVerifier({ verifier: log.verifier, origin: log.origin, tenantId: log.tenantId });
  for (const note of known) verifier.addCheckpoint(note);
  for (const line of lines) {
    if (line.type === 'event') verifier.addEvent({ seq: line.seq, canonical: Buffer.from(line.canonical, 'utf8'), leafHash: Buffer.from(line.leaf_hash, 'base64') });
    else if (line.type === 'checkpoint') verifier.addCheckpoint(line.note);
  }
  return verifier.finish();
}

const isEvent = (line: ExportLine): line is ExportEventLine => line.type === 'event';
const isCheckpoint = (line: ExportLine): line is ExportCheckpointLine => line.type === 'checkpoint';

describe('tamper matrix (AUD-2)', () => {
  let t: TestApp;
  let log: TestLog;
  let lines: ExportLine[];
  let newest: string;

  before(async () => {
    t = await createTestApp();
    log = await buildTestLog(t, EVENTS, { checkpointEvery: 40 });
    lines = [];
    for await (const line of exportLines({ transactor: t.transactor, signer: t.app.services.audit.signer, clock: { now: () => new Date() } }, log.tenantId)) lines.push(line);
    newest = lines.filter(isCheckpoint).at(-1)?.note ?? '';
  });
  after(async () => {
    await t.close();
  });

  it('AUD-2: the untouched export verifies', () => {
    const report = verifyLines(lines, log, [newest]);
    assert.ok(report.ok, JSON.stringify(report.damage));
    assert.equal(report.events, EVENTS);
  });

  const eventIndex = (seq: number) => lines.findIndex((l) => isEvent(l) && l.seq === seq);
  const seqArb = fc.integer({ min: 0, max: EVENTS - 1 });

  it('AUD-2: changing one byte of one event is detected at that seq', () => {
    fc.assert(
      fc.property(seqArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (seq, position, xor) => {
        const copy = [...lines];
        const line = copy[eventIndex(seq)] as ExportEventLine;
        const bytes = Buffer.from(line.canonical, 'utf8');
        const at = position % bytes.length;
        bytes[at] = (bytes[at] ?? 0) ^ xor;
        copy[eventIndex(seq)] = { ...line, canonical: bytes.toString('latin1') };
        const report = verifyLines(copy, log, [newest]);
        assert.ok(!report.ok);
        assert.equal(report.damage[0]?.seq, seq, JSON.stringify(report.damage[0]));
      }),
      { numRuns: 400 },
    );
  });

  it('AUD-2: deleting one event is detected as a gap at its seq', () => {
    fc.assert(
      fc.property(seqArb, (seq) => {
        const copy = lines.filter((_, i) => i !== eventIndex(seq));
        const report = verifyLines(copy, log, [newest]);
        assert.ok(!report.ok);
        const first = report.damage[0];
        assert.equal(first?.seq, seq);
        assert.ok(first?.kind === 'seq_gap' || first?.kind === 'truncated', first?.kind);
      }),
      { numRuns: 150 },
    );
  });

  it('AUD-2: deleting the newest events and their checkpoints is caught by a checkpoint kept from before', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: EVENTS - 1 }), (keep) => {
        const sizes = lines.filter(isCheckpoint).map((l) => parseCheckpoint(openNote(l.note, [log.verifier]).body).size);
        const copy = lines.filter((l) => (isEvent(l) ? l.seq < keep : isCheckpoint(l) ? parseCheckpoint(openNote(l.note, [log.verifier]).body).size <= keep : true));
        const alone = verifyLines(copy, log);
        if (sizes.includes(keep)) {
          assert.ok(alone.ok, 'cut right after a checkpoint, the log alone looks like an older one');
        } else {
          // Cut between two checkpoints, the last events are covered by no signed checkpoint.
          assert.equal(alone.damage[0]?.kind, 'unsigned');
          assert.equal(alone.damage[0]?.seq, Math.max(0, ...sizes.filter((size) => size < keep)));
        }
        const report = verifyLines(copy, log, [newest]);
        assert.ok(!report.ok);
        assert.equal(report.damage[0]?.kind, 'truncated');
        assert.equal(report.damage[0]?.seq, keep);
      }),
      { numRuns: 100 },
    );
  });

  it('AUD-2: reordering two events is detected at the earlier position', () => {
    fc.assert(
      fc.property(seqArb, seqArb, (x, y) => {
        fc.pre(x !== y);
        const [a, b] = [Math.min(x, y), Math.max(x, y)];
        const copy = [...lines];
        const ia = eventIndex(a);
        const ib = eventIndex(b);
        [copy[ia], copy[ib]] = [copy[ib]!, copy[ia]!];
        const report = verifyLines(copy, log, [newest]);
        assert.ok(!report.ok);
        assert.equal(report.damage[0]?.seq, a);
      }),
      { numRuns: 150 },
    );
  });

  it('AUD-2: inserting a forged event (self-consistent bytes and leaf hash) is detected where it was inserted', () => {
    fc.assert(
      fc.property(seqArb, (seq) => {
        const original = JSON.parse((lines[eventIndex(seq)] as ExportEventLine).canonical) as Record<string, unknown>;
        const forged = { ...original, id: crypto.randomUUID(), action: 'session.created', metadata: { forged: true } };
        const canonical = Buffer.from(canonicalJson(forged));
        const copy = [...lines];
        copy.splice(eventIndex(seq), 0, { type: 'event', seq, canonical: canonical.toString('utf8'), leaf_hash: Buffer.from(leafHash(canonical)).toString('base64') });
        const report = verifyLines(copy, log, [newest]);
        assert.ok(!report.ok);
        assert.ok((report.damage[0]?.seq ?? -1) <= seq + 1 && (report.damage[0]?.seq ?? -1) >= seq, JSON.stringify(report.damage[0]));
      }),
      { numRuns: 100 },
    );
  });

  it('AUD-2: replacing a checkpoint (other key, or same body with another root) is detected', () => {
    const checkpoints = lines.map((l, i) => [l, i] as const).filter(([l]) => isCheckpoint(l));
    const intruder = ed25519SignerFromSeed(log.verifier.name, Buffer.alloc(32, 9));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: checkpoints.length - 1 }), fc.boolean(), (k, sameKey) => {
        const [line, index] = checkpoints[k]!;
        const body = parseCheckpoint(openNote((line as ExportCheckpointLine).note, [log.verifier]).body);
        const root = Buffer.from(body.root);
        root[0] = (root[0] ?? 0) ^ 1;
        const note = sameKey ? (line as ExportCheckpointLine).note.replace(Buffer.from(body.root).toString('base64'), root.toString('base64')) : signNote(formatCheckpoint({ ...body, root }), intruder);
        const copy = [...lines];
        copy[index] = { type: 'checkpoint', kind: 'regular', note };
        const report = verifyLines(copy, log);
        assert.ok(!report.ok);
        assert.ok(report.damage.some((d) => d.kind === 'checkpoint_signature'));
      }),
      { numRuns: 100 },
    );
  });

  it('AUD-2: changing a recorded leaf hash together with the bytes is localised between two checkpoints', () => {
    fc.assert(
      fc.property(seqArb, (seq) => {
        const copy = [...lines];
        const line = copy[eventIndex(seq)] as ExportEventLine;
        const changed = Buffer.from(canonicalJson({ ...(JSON.parse(line.canonical) as object), outcome: 'denied' }));
        copy[eventIndex(seq)] = { ...line, canonical: changed.toString('utf8'), leaf_hash: Buffer.from(leafHash(changed)).toString('base64') };
        const report = verifyLines(copy, log, [newest]);
        const damage = report.damage.find((d) => d.kind === 'root_mismatch');
        if ((JSON.parse(line.canonical) as { outcome: string }).outcome === 'denied') return; // no change made
        assert.ok(damage, JSON.stringify(report.damage));
        assert.ok((damage.afterSeq ?? -1) < seq && seq <= damage.seq, `${seq} not in (${String(damage.afterSeq)}, ${damage.seq}]`);
      }),
      { numRuns: 100 },
    );
  });

  it('AUD-2: an export emptied of events is detected as truncated', () => {
    const report = verifyLines(lines.filter((l) => !isEvent(l)), log);
    assert.ok(!report.ok);
    assert.equal(report.damage[0]?.kind, 'truncated');
  });

  describe('against the database', () => {
    /** Runs SQL as the table owner with the append-only triggers and forced RLS lifted: an attacker with owner credentials. */
    const asAttacker = (statements: string) =>
      t.database.db.withOwner(async (session) => {
        const tables = ['audit_events', 'audit_checkpoints', 'audit_tree_heads', 'audit_tree_nodes'];
        for (const table of tables) await session.exec(`alter table ${table} disable trigger user; alter table ${table} no force row level security;`);
        await session.exec(statements);
        for (const table of tables) await session.exec(`alter table ${table} enable trigger user; alter table ${table} force row level security;`);
      });
    const verify = () => verifyDatabaseLog({ transactor: t.transactor }, log.tenantId, { verifier: log.verifier, origin: log.origin, threads: 0, knownCheckpoints: [newest] });
    const tenant = () => `'${log.tenantId}'`;
    const restore = async (seq: number, canonical: Uint8Array, leaf: Uint8Array) => {
      await asAttacker(`update audit_events set canonical = '\\x${Buffer.from(canonical).toString('hex')}', leaf_hash = '\\x${Buffer.from(leaf).toString('hex')}' where tenant_id = ${tenant()} and seq = ${seq}`);
    };

    it('AUD-2: inclusion proofs read leaves from the events, so a rewritten leaf hash breaks its neighbour\'s proof', async () => {
      const service = createAuditService({ transactor: t.transactor, signer: t.app.services.audit.signer });
      const check = async (seq: number) => {
        const row = await t.transactor.withTenant(log.tenantId, (tx) => tx.selectFrom('audit_events').select(['id', 'canonical']).where('tenant_id', '=', log.tenantId).where('seq', '=', seq).executeTakeFirstOrThrow());
        const proof = await service.proveInclusion(log.tenantId, row.id);
        const root = parseCheckpoint(openNote(proof.checkpoint, [log.verifier]).body).root;
        return verifyInclusion(leafHash(row.canonical), seq, proof.treeSize, proof.auditPath, root);
      };
      // The sequencer stores no level-0 nodes: each leaf exists once, as the event's leaf hash.
      const leaves = await t.transactor.withTenant(log.tenantId, (tx) => tx.selectFrom('audit_tree_nodes').select('index').where('tenant_id', '=', log.tenantId).where('level', '=', 0).execute());
      assert.equal(leaves.length, 0);
      for (const seq of [0, 16, 17, 101, EVENTS - 2]) assert.ok(await check(seq), `proof of ${seq}`);
      const row = await t.transactor.withTenant(log.tenantId, (tx) => tx.selectFrom('audit_events').select(['canonical', 'leaf_hash']).where('tenant_id', '=', log.tenantId).where('seq', '=', 17).executeTakeFirstOrThrow());
      await asAttacker(`update audit_events set leaf_hash = sha256('forged'::bytea) where tenant_id = ${tenant()} and seq = 17`);
      assert.equal(await check(16), false, 'the proof of seq 16 uses seq 17\'s leaf as its sibling');
      await restore(17, row.canonical, row.leaf_hash);
      assert.ok(await check(16));
    });

    it('AUD-2: read in small seq ranges (several in flight), the log verifies, and a deleted run of events is a gap that the reads jump over', async () => {
      let reads = 0;
      const counting = { ...t.transactor, withTenant: ((tenantId: string, fn: never) => { reads++; return t.transactor.withTenant(tenantId, fn); }) as typeof t.transactor.withTenant };
      const ranged = () => verifyDatabaseLog({ transactor: counting }, log.tenantId, { verifier: log.verifier, origin: log.origin, threads: 0, knownCheckpoints: [newest], pageSize: 7 });
      const whole = await ranged();
      assert.ok(whole.ok, JSON.stringify(whole.damage));
      assert.equal(whole.events, EVENTS);
      await asAttacker(`create table parapet_private.tamper_run as select * from audit_events where tenant_id = ${tenant()} and seq between 50 and 199; delete from audit_events where tenant_id = ${tenant()} and seq between 50 and 199;`);
      try {
        reads = 0;
        const gap = await ranged();
        assert.equal(gap.damage[0]?.kind, 'seq_gap');
        assert.equal(gap.damage[0]?.seq, 50);
        assert.equal(gap.events, EVENTS - 150);
        // Walking the 150 missing seqs in ranges of 7 would take 22 reads more than the 90 stored
        // events' 13 pages; after an empty range the reads jump to the next stored seq instead.
        assert.ok(reads <= 1 + Math.ceil((EVENTS - 150) / 7) + 6, `${reads} transactions`);
      } finally {
        await asAttacker('insert into audit_events select * from parapet_private.tamper_run; drop table parapet_private.tamper_run;');
      }
      assert.ok((await ranged()).ok);
    });

    it('AUD-2: one altered byte, a deleted event and a deleted tail are each found at the right seq', async () => {
      assert.ok((await verify()).ok);
      for (const seq of [0, 17, EVENTS - 1]) {
        const row = await t.transactor.withTenant(log.tenantId, (tx) => tx.selectFrom('audit_events').select(['canonical', 'leaf_hash']).where('tenant_id', '=', log.tenantId).where('seq', '=', seq).executeTakeFirstOrThrow());
        await asAttacker(`update audit_events set canonical = overlay(canonical placing '\\x21'::bytea from 5 for 1) where tenant_id = ${tenant()} and seq = ${seq}`);
        const altered = await verify();
        assert.equal(altered.damage[0]?.seq, seq);
        assert.equal(altered.damage[0]?.kind === 'event_altered' || altered.damage[0]?.kind === 'event_not_canonical', true);
        await restore(seq, row.canonical, row.leaf_hash);
      }
      assert.ok((await verify()).ok);

      await asAttacker(`create table parapet_private.tamper_saved as select * from audit_events where tenant_id = ${tenant()} and seq = 33; delete from audit_events where tenant_id = ${tenant()} and seq = 33;`);
      const gap = await verify();
      assert.equal(gap.damage[0]?.kind, 'seq_gap');
      assert.equal(gap.damage[0]?.seq, 33);
      await asAttacker('insert into audit_events select * from parapet_private.tamper_saved; drop table parapet_private.tamper_saved;');
      assert.ok((await verify()).ok);

      await asAttacker(`delete from audit_events where tenant_id = ${tenant()} and seq >= 200; delete from audit_checkpoints where tenant_id = ${tenant()} and size > 200; update audit_tree_heads set size = 200 where tenant_id = ${tenant()};`);
      const tail = await verify();
      assert.equal(tail.damage[0]?.kind, 'truncated');
      assert.equal(tail.damage[0]?.seq, 200);
    });

    it('AUD-2: a truncated table is detected', async () => {
      await asAttacker(`delete from audit_events where tenant_id = ${tenant()}`);
      const report = await verify();
      assert.ok(!report.ok);
      assert.equal(report.damage[0]?.kind, 'truncated');
    });
  });
});
