import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { buildTestLog, type TestLog } from '../../../test/support/audit-log.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { leafHash, openNote, parseCheckpoint, parseVerifierKey, verifyConsistency, verifyInclusion } from './log/index.ts';
import { verifyDatabaseLog, verifyExportFile } from './index.ts';

describe('audit log', () => {
  let t: TestApp;
  let cookie: string;
  let orgId: string;
  let log: TestLog;

  before(async () => {
    t = await createTestApp();
    await t.createUser('auditor@example.com', TEST_PASSWORD);
    cookie = await t.login('auditor@example.com', TEST_PASSWORD);
    orgId = (await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Audited' }, headers: { cookie } })).json<{ id: string }>().id;
    const project = (await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects`, payload: { name: 'Web' }, headers: { cookie } })).json<{ id: string }>();
    await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${orgId}/projects/${project.id}`, payload: { name: 'Web 2' }, headers: { cookie } });
    await t.app.services.audit.apiCalls.flush();
    await t.app.services.audit.sequencer.drain();
    log = await buildTestLog(t, 420);
  });
  after(async () => {
    await t.close();
  });

  const get = (url: string) => t.inject({ method: 'GET', url, headers: { cookie } });

  it('AUD-1: records administrative actions and API calls with actor, tenant, time, source IP and outcome, in the same transaction as the action', async () => {
    const page = (await get(`/api/v1/organizations/${orgId}/audit/events?limit=100`)).json<{ items: { action: string; actor: { id: string; display_name: string }; tenant_id: string; source: { ip: string }; outcome: string; occurred_at: string }[] }>();
    const actions = page.items.map((e) => e.action);
    for (const action of ['organization.created', 'project.created', 'project.renamed', 'api.request']) assert.ok(actions.includes(action), `${action} missing from ${actions.join(', ')}`);
    const created = page.items.find((e) => e.action === 'project.created');
    assert.equal(created?.tenant_id, orgId);
    assert.equal(created?.actor.display_name, 'auditor');
    assert.equal(created?.source.ip, '127.0.0.1');
    assert.equal(created?.outcome, 'success');
    // A refused action leaves no event: the insert rolls back with it.
    assertProblem(await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects`, payload: { name: 'web 2' }, headers: { cookie } }), 409, 'conflict');
    const pending = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    assert.ok(!pending.some((r) => (r.event as { action: string }).action === 'project.created'), 'a refused create recorded project.created');
  });

  it('AUD-1: sign-in successes and failures go to the platform log, and a member\u2019s failures to their organization\u2019s log too', async () => {
    await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'auditor@example.com', password: 'wrong wrong wrong' } });
    await t.app.services.audit.sequencer.drain();
    const rows = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('audit_events').select(['action', 'outcome']).execute());
    assert.ok(rows.some((r) => r.action === 'session.created' && r.outcome === 'success'));
    assert.ok(rows.some((r) => r.action === 'session.login_failed' && r.outcome === 'failure'));
    const own = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_events').select(['action', 'outcome']).where('tenant_id', '=', orgId).execute());
    assert.ok(own.some((r) => r.action === 'session.login_failed' && r.outcome === 'failure'));
  });

  it('AUD-4: filters by action prefix, actor, outcome, target, IP and time, with stable cursors', async () => {
    const base = `/api/v1/organizations/${orgId}/audit/events`;
    const projects = (await get(`${base}?action=project.`)).json<{ items: { action: string }[] }>();
    assert.ok(projects.items.length >= 2 && projects.items.every((e) => e.action.startsWith('project.')));
    assert.equal((await get(`${base}?action=nothing.`)).json<{ items: unknown[] }>().items.length, 0);
    assert.ok((await get(`${base}?outcome=success&ip=127.0.0.1`)).json<{ items: unknown[] }>().items.length > 0);
    assert.equal((await get(`${base}?from=2999-01-01T00:00:00Z`)).json<{ items: unknown[] }>().items.length, 0);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { seq: number }[]; next_cursor: string | null } = (await get(`${base}?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)).json();
      seen.push(...page.items.map((e) => e.seq));
      cursor = page.next_cursor;
    } while (cursor !== null);
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    assert.equal(new Set(seen).size, seen.length);
  });

  it('AUD-2: seq is gapless and every checkpoint is a C2SP note signed by the published key', async () => {
    const seqs = await t.transactor.withTenant(log.tenantId, (tx) => tx.selectFrom('audit_events').select('seq').where('tenant_id', '=', log.tenantId).orderBy('seq').execute());
    assert.deepEqual(seqs.map((r) => Number(r.seq)), Array.from({ length: 420 }, (_, i) => i));
    const checkpoints = (await get(`/api/v1/organizations/${orgId}/audit/checkpoints`)).json<{ verifier_key: string; items: { size: number; note: string }[] }>();
    assert.ok(checkpoints.items.length > 0);
    const verifier = parseVerifierKey(checkpoints.verifier_key);
    for (const item of checkpoints.items) assert.equal(parseCheckpoint(openNote(item.note, [verifier]).body).size, item.size);
  });

  it('AUD-2: inclusion proofs from the API verify against the signed checkpoint (RFC 9162 §2.1.3.2)', async () => {
    const events = (await get(`/api/v1/organizations/${orgId}/audit/events?limit=50`)).json<{ items: { id: string }[] }>().items;
    for (const event of events.slice(0, 5)) {
      const proof = (await get(`/api/v1/organizations/${orgId}/audit/events/${event.id}/proof`)).json<{ seq: number; tree_size: number; canonical: string; audit_path: string[]; checkpoint: string; verifier_key: string }>();
      const checkpoint = parseCheckpoint(openNote(proof.checkpoint, [parseVerifierKey(proof.verifier_key)]).body);
      const path = proof.audit_path.map((h) => Buffer.from(h, 'base64'));
      assert.ok(verifyInclusion(leafHash(Buffer.from(proof.canonical)), proof.seq, proof.tree_size, path, checkpoint.root));
      const tampered = proof.canonical.includes('"success"') ? proof.canonical.replace('"success"', '"failure"') : proof.canonical.replace('"failure"', '"success"');
      assert.notEqual(tampered, proof.canonical);
      assert.ok(!verifyInclusion(leafHash(Buffer.from(tampered)), proof.seq, proof.tree_size, path, checkpoint.root));
    }
  });

  it('AUD-2: consistency proofs between checkpoints verify (RFC 9162 §2.1.4.2)', async () => {
    const rows = await t.transactor.withTenant(log.tenantId, (tx) => tx.selectFrom('audit_checkpoints').select(['size', 'root']).where('tenant_id', '=', log.tenantId).orderBy('size').execute());
    assert.ok(rows.length >= 5);
    const { createAuditService } = await import('./index.ts');
    const service = createAuditService({ transactor: t.transactor, signer: t.app.services.audit.signer });
    for (let i = 0; i + 1 < rows.length; i += 3) {
      const older = rows[i]!;
      const newer = rows[rows.length - 1]!;
      const result = await service.proveConsistency(log.tenantId, Number(older.size), Number(newer.size));
      assert.ok(verifyConsistency(Number(older.size), Number(newer.size), older.root, newer.root, result.proof));
    }
  });

  it('AUD-2: the database refuses UPDATE, DELETE and TRUNCATE of the log, for the app role and for the owner', async () => {
    await assert.rejects(t.transactor.withTenant(log.tenantId, (tx) => sql`update audit_events set outcome = 'x' where tenant_id = ${log.tenantId}`.execute(tx)), /permission denied/);
    await assert.rejects(t.transactor.withTenant(log.tenantId, (tx) => sql`delete from audit_events where tenant_id = ${log.tenantId}`.execute(tx)), /permission denied/);
    await assert.rejects(t.transactor.withTenant(log.tenantId, (tx) => sql`delete from audit_checkpoints where tenant_id = ${log.tenantId}`.execute(tx)), /permission denied/);
    // The owner (who could lift RLS on its own tables) is still stopped by the triggers.
    const lift = 'alter table audit_events no force row level security; alter table audit_tree_nodes no force row level security; alter table audit_checkpoints no force row level security;';
    for (const statement of ["update audit_events set outcome = 'x'", 'delete from audit_tree_nodes', 'truncate audit_events', 'delete from audit_checkpoints']) {
      await assert.rejects(t.database.db.withOwner((s) => s.exec(`${lift} ${statement}`)), /append-only/, statement);
    }
  });

  it('AUD-2, AUD-4: a JSONL export streams, carries its checkpoints and key, and verifies offline with only the public key', async () => {
    const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/audit/export?format=jsonl`, headers: { cookie } });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-disposition']), /attachment/);
    const file = join(mkdtempSync(join(tmpdir(), 'audit-export-')), 'export.jsonl');
    writeFileSync(file, response.body);
    const key = (await get(`/api/v1/organizations/${orgId}/audit/checkpoints`)).json<{ verifier_key: string }>().verifier_key;
    const report = await verifyExportFile(file, { verifierKey: key, threads: 1 });
    assert.ok(report.ok, JSON.stringify(report.damage));
    assert.ok(report.events > 3 && report.checkpointsVerified > 0);
    assert.ok(parseVerifierKey(key).name.endsWith('/audit'));

    // The CLI as a customer runs it: only the file and the key, hashing on worker threads.
    const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'parapet.js');
    const cli = (path: string) => spawnSync(process.execPath, [bin, 'audit', 'verify', '--file', path, '--key', key, '--json'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    const good = cli(file);
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.equal((JSON.parse(good.stdout) as { ok: boolean }).ok, true);
    const tampered = join(mkdtempSync(join(tmpdir(), 'audit-export-')), 'tampered.jsonl');
    writeFileSync(tampered, response.body.replace('"project.created', '"project.deleted'));
    const bad = cli(tampered);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.equal((JSON.parse(bad.stdout) as { damage: { kind: string }[] }).damage[0]?.kind, 'event_altered');
  });

  it('AUD-4: CSV and OCSF exports carry the same events and checkpoints', async () => {
    const csv = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/audit/export?format=csv`, headers: { cookie } });
    assert.match(csv.body.split('\r\n')[0] ?? '', /^record_type,seq,id/);
    assert.match(csv.body, /\r\nheader,/);
    assert.match(csv.body, /\r\ncheckpoint,/);
    assert.match(csv.body, /\r\nevent,0,/);
    const ocsf = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/audit/export?format=ocsf`, headers: { cookie } });
    const lines = ocsf.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l['class_uid'] === 6003 || l['class_uid'] === 3002));
    assert.ok(lines.some((l) => l['type'] === 'checkpoint'));
  });

  it('AUD-2: the stored log verifies from the database', async () => {
    const report = await verifyDatabaseLog({ transactor: t.transactor }, log.tenantId, { verifier: log.verifier, origin: log.origin, threads: 1 });
    assert.ok(report.ok, JSON.stringify(report.damage.slice(0, 3)));
    assert.equal(report.events, 420);
    assert.ok(report.checkpointsVerified >= 5);
  });
});
