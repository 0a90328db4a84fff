import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { manualClock } from '../../platform/clock.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg } from '../../../test/support/access.ts';

const DAY = 86_400_000;
const START = new Date('2026-03-01T00:00:00Z');

/**
 * Offsets from the cutoff at which a row's retention clock started: the cutoff itself and its
 * immediate neighbours always appear, so a `<` that became `<=` (or any other slip) is caught.
 */
const offsets = fc.array(fc.oneof(fc.constantFrom(0, -1, 1, -1000, 1000), fc.integer({ min: -40 * DAY, max: 40 * DAY })), { minLength: 1, maxLength: 12 });

describe('retention purge (DATA-1)', () => {
  const clock = manualClock(START);
  let t: TestApp;
  let orgId: string;
  let userId: string;
  before(async () => {
    // A batch of 3 so that most runs need several batches.
    t = await createTestApp({ clock, env: { PARAPET_RETENTION_BATCH_SIZE: '3', PARAPET_RETENTION_DAYS: 'sessions=10' } });
    const org = await createOrg(t, 'retention');
    orgId = org.orgId;
    userId = org.admin.userId;
  });
  after(async () => {
    await t.close();
  });

  it('DATA-1: the purge never removes a session inside its window and removes every one outside it, in batches (property, injected clock)', async () => {
    const retention = t.app.services.lifecycle.retention;
    await fc.assert(
      fc.asyncProperty(offsets, fc.integer({ min: 0, max: 400 * DAY }), async (ends, drift) => {
        clock.set(new Date(START.getTime() + drift));
        const cutoff = clock.now().getTime() - 10 * DAY;
        await t.transactor.withPlatform((tx) => tx.deleteFrom('sessions').where('user_id', '=', userId).execute());
        const rows = ends.map((offset) => {
          const ended = new Date(cutoff + offset);
          // Revoked at `ended`; still inside its idle and absolute limits then.
          return {
            id: crypto.randomUUID(),
            token_hash: crypto.getRandomValues(new Uint8Array(32)),
            user_id: userId,
            auth_methods: ['pwd'],
            created_at: new Date(ended.getTime() - 3_600_000),
            authenticated_at: new Date(ended.getTime() - 3_600_000),
            last_seen_at: new Date(ended.getTime() - 60_000),
            idle_timeout_seconds: 86_400,
            absolute_expires_at: new Date(ended.getTime() + DAY),
            ip: null,
            user_agent: null,
            revoked_at: ended,
            revoked_reason: 'logout',
          };
        });
        await t.transactor.withPlatform((tx) => tx.insertInto('sessions').values(rows).execute());
        const [report] = await retention.purgeAll({ types: ['sessions'] });
        const left = new Set((await t.transactor.withPlatform((tx) => tx.selectFrom('sessions').select('id').where('user_id', '=', userId).execute())).map((r) => r.id));
        const expected = rows.filter((r) => r.revoked_at.getTime() >= cutoff).map((r) => r.id);
        assert.deepEqual([...left].sort(), expected.sort());
        assert.equal(report?.removed, rows.length - expected.length);
        assert.equal(report?.cutoff, new Date(cutoff).toISOString());
      }),
      { numRuns: 30 },
    );
  });

  it('DATA-1: the purge never removes a tenant\u2019s security alert inside its window (or one never acknowledged) and removes every one outside it, in that tenant only', async () => {
    const retention = t.app.services.lifecycle.retention;
    const other = await createOrg(t, 'bystander');
    await fc.assert(
      fc.asyncProperty(offsets, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), async (ends, acknowledged) => {
        clock.set(START);
        const cutoff = clock.now().getTime() - 365 * DAY;
        const insert = (tenantId: string) =>
          t.transactor.withTenant(tenantId, async (tx) => {
            await tx.deleteFrom('security_alerts').where('tenant_id', '=', tenantId).execute();
            const rows = ends.map((offset, i) => ({
              tenant_id: tenantId,
              id: crypto.randomUUID(),
              kind: 'break_glass' as const,
              severity: 'high' as const,
              summary: 'test',
              actor_id: null,
              subject_type: null,
              subject_id: null,
              created_at: new Date(cutoff + offset - DAY),
              acknowledged_at: acknowledged[i] === true ? new Date(cutoff + offset) : null,
              acknowledged_by: null,
            }));
            await tx.insertInto('security_alerts').values(rows).execute();
            return rows;
          });
        const rows = await insert(orgId);
        const theirs = await insert(other.orgId);
        // The bystander keeps everything: it chose a longer period than the platform default.
        await t.transactor.withTenant(other.orgId, (tx) => tx.insertInto('retention_settings').values({ tenant_id: other.orgId, data_type: 'security_events', days: 3000, updated_by: null, updated_at: START }).onConflict((oc) => oc.columns(['tenant_id', 'data_type']).doNothing()).execute());
        await retention.purgeAll({ types: ['security_events'] });
        const left = async (tenantId: string) => (await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('security_alerts').select('id').where('tenant_id', '=', tenantId).execute())).map((r) => r.id).sort();
        assert.deepEqual(await left(orgId), rows.filter((r) => r.acknowledged_at === null || r.acknowledged_at.getTime() >= cutoff).map((r) => r.id).sort());
        assert.deepEqual(await left(other.orgId), theirs.map((r) => r.id).sort());
      }),
      { numRuns: 20 },
    );
  });

  it('DATA-1: a dry run counts without removing; a real pass records retention.purged and a second pass removes nothing (idempotent)', async () => {
    const retention = t.app.services.lifecycle.retention;
    clock.set(START);
    await t.transactor.withPlatform((tx) =>
      tx.insertInto('setup_tokens').values({ id: crypto.randomUUID(), token_hash: crypto.getRandomValues(new Uint8Array(32)), created_at: new Date(START.getTime() - 30 * DAY), expires_at: new Date(START.getTime() - 29 * DAY), used_at: null }).execute(),
    );
    const dry = await retention.purgeAll({ types: ['setup_tokens'], dryRun: true });
    assert.equal(dry[0]?.removed, 1);
    const real = await retention.purgeAll({ types: ['setup_tokens'] });
    assert.equal(real[0]?.removed, 1);
    const again = await retention.purgeAll({ types: ['setup_tokens'] });
    assert.equal(again[0]?.removed, 0);
    await t.app.services.audit.sequencer.drain();
    const events = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('audit_events').select('canonical').where('action', '=', 'retention.purged').execute());
    assert.ok(events.some((e) => Buffer.from(e.canonical).toString('utf8').includes('"data_type":"setup_tokens"')));
    const metrics = await t.app.http.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /parapet_retention_purged_rows_total\{type="setup_tokens"\} 1/);
  });
});
