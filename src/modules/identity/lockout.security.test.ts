import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lockoutCases } from '../../../test/support/lockout.ts';

describe('brute-force protection per account (AUTH-6)', () => {
  // Two nodes over one database: the PostgreSQL store (the default).
  const nodes = lockoutCases();

  it('AUTH-6: old counters are purged, running locks are kept', async () => {
    const t = nodes.first();
    const email = `purge-${crypto.randomUUID()}@example.com`;
    await t.app.services.throttle.fail(email);
    nodes.clock.advance(25 * 3_600_000);
    assert.ok((await t.app.services.throttle.purge()) >= 1);
    const rows = await t.transactor.withPlatform((tx) => tx.selectFrom('login_throttle').select('subject').where('last_failure_at', '<', new Date(nodes.clock.now().getTime() - 24 * 3_600_000)).execute());
    assert.equal(rows.length, 0);
  });
});
