// AUD-2 end to end: a log is proven only as far as a trusted signature covers it. Stripped or cut
// exports fail, the database verifier holds the log to what it proved before, and a customer's
// witness (cosignature/v1) catches a deleted tail without trusting Parapet's database.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, signUp } from '../../../test/support/access.ts';
import { buildTestLog, type TestLog } from '../../../test/support/audit-log.ts';
import { exportLines, verifyDatabaseLog, verifyExportFile } from './index.ts';
import type { ExportLine } from './export/export-format.ts';
import { canonicalJson, cosignerFromSeed, cosignerKeyString, formatCheckpoint, leafHash, signNote } from './log/index.ts';
import { checkRemembered, storedCheckpoint } from './verify/check-remembered.ts';
import { witnessCheckpoint, witnessedCheckpoints, type WitnessAnswer } from './witness/index.ts';

const EVENTS = 24;
const dir = mkdtempSync(join(tmpdir(), 'parapet-audit-proof-'));
let files = 0;

function writeExport(lines: readonly ExportLine[]): string {
  const path = join(dir, `export-${files++}.jsonl`);
  writeFileSync(path, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  return path;
}

describe('proving the audit log end to end (AUD-2)', () => {
  let t: TestApp;
  let log: TestLog;
  let lines: ExportLine[];
  const key = () => t.app.services.audit.signer.verifierKey;
  const exportOf = async (tenantId: string) => {
    const out: ExportLine[] = [];
    for await (const line of exportLines({ transactor: t.transactor, signer: t.app.services.audit.signer, clock: { now: () => new Date() } }, tenantId)) out.push(line);
    return out;
  };
  /** Runs SQL as the owner with the append-only triggers and forced RLS lifted: an attacker with owner credentials. */
  const asAttacker = (statements: string) =>
    t.database.db.withOwner(async (session) => {
      const tables = ['audit_events', 'audit_checkpoints', 'audit_tree_heads', 'audit_tree_nodes'];
      for (const table of tables) await session.exec(`alter table ${table} disable trigger user; alter table ${table} no force row level security;`);
      await session.exec(statements);
      for (const table of tables) await session.exec(`alter table ${table} enable trigger user; alter table ${table} force row level security;`);
    });

  before(async () => {
    t = await createTestApp();
    log = await buildTestLog(t, EVENTS, { checkpointEvery: 10 });
    lines = await exportOf(log.tenantId);
  });
  after(async () => {
    await t.close();
  });

  it('AUD-2: an intact export proves its whole signed tree size, and ends with a checkpoint signed at export time', async () => {
    const report = await verifyExportFile(writeExport(lines), { verifierKey: key(), threads: 0 });
    assert.ok(report.ok, JSON.stringify(report.damage));
    assert.equal(report.provedSize, EVENTS);
    const last = lines.at(-1);
    assert.equal(last?.type === 'checkpoint' ? last.kind : last?.type, 'export');
  });

  it('AUD-2: an export with every event rewritten, leaf hashes recomputed and every checkpoint removed fails with the trusted key', async () => {
    const forged = lines
      .filter((line) => line.type !== 'checkpoint')
      .map((line) => {
        if (line.type !== 'event') return line;
        const canonical = Buffer.from(canonicalJson({ ...(JSON.parse(line.canonical) as object), actor: { type: 'user', id: 'x', display_name: 'Mallory' } }));
        return { ...line, canonical: canonical.toString('utf8'), leaf_hash: Buffer.from(leafHash(canonical)).toString('base64') };
      });
    const report = await verifyExportFile(writeExport(forged), { verifierKey: key(), threads: 0 });
    assert.equal(report.ok, false);
    assert.equal(report.provedSize, undefined);
    assert.ok(report.damage.some((d) => d.kind === 'unsigned'), JSON.stringify(report.damage));
  });

  it('AUD-2: an export cut at any line boundary fails, including right after an earlier checkpoint and header-only', async () => {
    for (let keep = 1; keep < lines.length; keep++) {
      const report = await verifyExportFile(writeExport(lines.slice(0, keep)), { verifierKey: key(), threads: 0 });
      assert.equal(report.ok, false, `an export cut after line ${keep} verified`);
      assert.ok(report.damage.some((d) => d.kind === 'truncated' || d.kind === 'unsigned'), JSON.stringify(report.damage));
    }
  });

  it('AUD-2: an empty log exports as a signed checkpoint of size 0, which proves size 0', async () => {
    const empty = await exportOf(crypto.randomUUID());
    const report = await verifyExportFile(writeExport(empty), { verifierKey: key(), threads: 0 });
    assert.ok(report.ok, JSON.stringify(report.damage));
    assert.equal(report.provedSize, 0);
    const stripped = await verifyExportFile(writeExport(empty.slice(0, 1)), { verifierKey: key(), threads: 0 });
    assert.equal(stripped.ok, false);
  });

  it('AUD-2: in the database, a tail deleted with its checkpoints, a whole deleted log and a rewritten history are reported against the checkpoint proved before', async () => {
    const victim = await buildTestLog(t, EVENTS, { checkpointEvery: 10, batchSize: 10 });
    const verifiers = t.app.services.audit.signer.verifiers;
    const first = await verifyDatabaseLog({ transactor: t.transactor }, victim.tenantId, { verifiers, threads: 0 });
    assert.ok(first.ok && first.proved !== undefined, JSON.stringify(first.damage));
    assert.equal(first.provedSize, EVENTS);
    const remembered = storedCheckpoint(first.proved, new Date());
    assert.equal(await checkRemembered({ transactor: t.transactor }, victim.tenantId, remembered, first.proved, verifiers), undefined);

    const tenant = `'${victim.tenantId}'`;
    await asAttacker(`delete from audit_events where tenant_id = ${tenant} and seq >= 10; delete from audit_checkpoints where tenant_id = ${tenant} and size > 10;
      update audit_tree_heads set size = 10 where tenant_id = ${tenant};`);
    const shortened = await verifyDatabaseLog({ transactor: t.transactor }, victim.tenantId, { verifiers, threads: 0 });
    assert.ok(shortened.ok, 'alone, the shortened log is a well-formed older log');
    const shrank = await checkRemembered({ transactor: t.transactor }, victim.tenantId, remembered, shortened.proved, verifiers);
    assert.equal(shrank?.kind, 'truncated');
    assert.equal(shrank.seq, 10);

    await asAttacker(`delete from audit_events where tenant_id = ${tenant}; delete from audit_checkpoints where tenant_id = ${tenant}; delete from audit_tree_heads where tenant_id = ${tenant}; delete from audit_tree_nodes where tenant_id = ${tenant};`);
    const gone = await verifyDatabaseLog({ transactor: t.transactor }, victim.tenantId, { verifiers, threads: 0 });
    assert.equal(gone.ok, false, 'a log with nothing signed proves nothing');
    assert.equal(gone.damage[0]?.kind, 'unsigned');
    assert.equal((await checkRemembered({ transactor: t.transactor }, victim.tenantId, remembered, gone.proved, verifiers))?.kind, 'truncated');

    // A checkpoint of the same log at size 12 with another root: the history it proved was rewritten.
    const other = signNote(formatCheckpoint({ origin: t.app.services.audit.signer.origin(log.tenantId), size: 12, root: Buffer.alloc(32, 1) }), t.app.services.audit.signer.signer);
    const current = await verifyDatabaseLog({ transactor: t.transactor }, log.tenantId, { verifiers, threads: 0 });
    const forked = await checkRemembered({ transactor: t.transactor }, log.tenantId, { size: 12, root: Buffer.alloc(32, 1).toString('base64'), note: other, at: 'yesterday' }, current.proved, verifiers);
    assert.equal(forked?.kind, 'inconsistent');
  });

  it('AUD-2: a witness countersigns consistent growth, refuses a log that shrank, and its cosignatures expose a deleted tail in an export that verifies on its own', async () => {
    const org = await createOrg(t, 'witnessed');
    const auditor = await memberWithRole(t, org, 'auditor');
    let attacked = false;
    const fetchLatest = (who: { cookie: string }) => async (old: number): Promise<WitnessAnswer> => {
      // (After the attack below the head no longer matches its frontier; the sequencer stays out.)
      if (!attacked) await t.app.services.audit.sequencer.drain();
      const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/audit/witness?old=${old}`, headers: { cookie: who.cookie } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<WitnessAnswer>();
    };
    const stranger = await signUp(t, 'stranger');
    const refused = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/audit/witness`, headers: { cookie: stranger.cookie } });
    assert.ok(refused.statusCode === 403 || refused.statusCode === 404, `a non-member got ${refused.statusCode}`);

    const seed = Buffer.alloc(32, 42);
    const witnessKey = cosignerKeyString('witness.customer.example/parapet', cosignerFromSeed('witness.customer.example/parapet', seed, 0).publicKey);
    const round = (held: Parameters<typeof witnessCheckpoint>[0]['held']) =>
      witnessCheckpoint({ tenantId: org.orgId, logKeys: [key()], held, fetchLatest: fetchLatest(auditor), cosigner: cosignerFromSeed('witness.customer.example/parapet', seed, Math.floor(Date.now() / 1000)), now: new Date() });
    const one = await round(undefined);
    assert.equal(one.outcome, 'cosigned');
    if (one.outcome !== 'cosigned') return;
    for (let i = 0; i < 5; i++) await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/projects`, payload: { name: `grown ${i}` }, headers: { cookie: org.admin.cookie } });
    const two = await round(one.stored);
    assert.equal(two.outcome, 'cosigned', JSON.stringify(two));
    if (two.outcome !== 'cosigned') return;
    assert.ok(two.stored.size > one.stored.size);
    const cosigned = witnessedCheckpoints([one.cosigned, two.cosigned], [witnessKey]);
    assert.throws(() => witnessedCheckpoints([two.stored.note], [witnessKey]), /not cosigned by a trusted witness/);

    // The operator deletes the tail with its checkpoints and rolls the head back: the export of
    // what is left is complete and signed, so it verifies alone; the witness's cosignature does not agree.
    const keep = one.stored.size;
    attacked = true;
    const tenant = `'${org.orgId}'`;
    await asAttacker(`delete from audit_events where tenant_id = ${tenant} and seq >= ${keep}; delete from audit_checkpoints where tenant_id = ${tenant} and size > ${keep};
      update audit_tree_heads h set size = ${keep}, root = c.root from audit_checkpoints c where h.tenant_id = ${tenant} and c.tenant_id = ${tenant} and c.size = ${keep} and c.kind = 'regular';`);
    const path = writeExport(await exportOf(org.orgId));
    assert.ok((await verifyExportFile(path, { verifierKey: key(), threads: 0 })).ok, 'without the witness the shortened log looks complete');
    const witnessed = await verifyExportFile(path, { verifierKey: key(), threads: 0, knownCheckpoints: cosigned });
    assert.equal(witnessed.ok, false);
    assert.equal(witnessed.damage[0]?.kind, 'truncated');
    assert.equal(witnessed.damage[0]?.seq, keep);
    const three = await round(two.stored);
    assert.equal(three.outcome === 'refused' && three.reason, 'shrank');
  });
});
