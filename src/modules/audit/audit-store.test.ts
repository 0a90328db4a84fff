import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import type { AuditAction } from './actions.ts';
import { listEvents, listEventsQuery } from './audit-store.ts';

// Actions outside the catalogue, chosen so that a prefix read as a LIKE pattern would match more.
const ACTIONS = ['project.created', 'project.renamed', 'projectx.created', 'project_x.created', 'a%b.c', 'ab.c', 'a_b.c', 'axb.c'];

describe('audit event search', () => {
  let t: TestApp;
  const tenantId = crypto.randomUUID();

  before(async () => {
    t = await createTestApp();
    const { recorder, sequencer } = t.app.services.audit;
    await t.transactor.withTenant(tenantId, async (tx) => {
      for (const action of ACTIONS) await recorder.record(tx, tenantId, { action: action as AuditAction, actor: { type: 'system', id: null, display_name: null }, outcome: 'success' });
      // Enough other events that reading them all would be the worse plan.
      await recorder.recordMany(tx, tenantId, Array.from({ length: 2000 }, () => ({ action: 'api.request' as const, actor: { type: 'system' as const, id: null, display_name: null }, outcome: 'success' as const })));
    });
    await sequencer.drain();
    await t.database.db.withOwner((session) => session.exec('analyze audit_events'));
  });
  after(async () => {
    await t.close();
  });

  const search = async (prefix: string) => {
    const rows = await t.transactor.withTenant(tenantId, (tx) => listEvents(tx, tenantId, { actionPrefix: prefix }, undefined, 100));
    return rows.map((r) => r.action).sort();
  };

  it('AUD-4: an action prefix matches dotted actions that start with it, and only those', async () => {
    assert.deepEqual(await search('project.'), ['project.created', 'project.renamed']);
    assert.deepEqual(await search('project'), ['project.created', 'project.renamed', 'project_x.created', 'projectx.created']);
    assert.deepEqual(await search('project.created'), ['project.created']);
    assert.deepEqual(await search('nothing.'), []);
  });

  it('AUD-4: % and _ in a prefix match themselves, not any character', async () => {
    assert.deepEqual(await search('project_'), ['project_x.created']);
    assert.deepEqual(await search('a%'), ['a%b.c']);
    assert.deepEqual(await search('a_'), ['a_b.c']);
  });

  it('AUD-4: under row-level security the action prefix is an index condition, not a filter over the whole log', async () => {
    // A non-leakproof predicate (LIKE) may not run before the RLS barrier, so it could never appear
    // in an Index Cond.
    const plan = await t.transactor.withTenant(tenantId, async (tx) => {
      const rows = await listEventsQuery(tx, tenantId, { actionPrefix: 'project.' }, undefined, 100).explain<{ 'QUERY PLAN': string }>();
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /Index Cond: .*action ~>=~ 'project\.'/, plan);
  });
});
