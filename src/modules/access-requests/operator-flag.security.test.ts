// Issue 13, property 1, on a path issue 12 moved to the owner's read: a tenant administrator's
// direct JIT grant goes only to a platform operator, and "operator" is identity's MAC-checked flag.
// SQL injected as parapet_app that sets `is_platform_admin` on an outsider's account must not make
// that outsider grantable (a grant would admit a non-member to the organization).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, signUp } from '../../../test/support/access.ts';
import { openTestDatabase, postgresSkipReason } from '../../../test/support/databases.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { assertProblem } from '../../../test/support/problem.ts';

const skip = await postgresSkipReason();
const REASON = 'Support case 4711: look at our configuration';

peerSuite('a direct JIT grant trusts only a MAC-checked operator flag (issue 13 property 1, AC-4)', skip, () => {
  let t: TestApp;
  let sql: pg.Client;

  before(async () => {
    t = await createTestApp({ database: await openTestDatabase('postgres') });
    sql = new pg.Client({ connectionString: t.database.urls?.app });
    await sql.connect();
  });
  after(async () => {
    await sql.end();
    await t.close();
    await t.database.close();
  });

  it('AC-4: an outsider whose operator flag was set by injected SQL cannot be granted access directly; a real operator can', async () => {
    const org = await createOrg(t, 'jit-flag');
    const outsider = await signUp(t, 'outsider');
    const operator = await signUp(t, 'operator', { platformAdmin: true });
    const grant = (principal: string) =>
      t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/access-requests`, headers: { cookie: org.admin.cookie }, payload: { role: 'viewer', reason: REASON, duration_minutes: 60, principal_id: principal, approved: true } });

    const flipped = await sql.query('update users set is_platform_admin = true where id = $1', [outsider.userId]);
    assert.equal(flipped.rowCount, 1, 'the injected UPDATE itself succeeds as parapet_app');
    assertProblem(await grant(outsider.userId), 400, 'invalid_request');
    // Copying the real operator's MAC onto the row does not help: the MAC covers the user id.
    await sql.query('update users set platform_admin_mac = (select platform_admin_mac from users where id = $2) where id = $1', [outsider.userId, operator.userId]);
    assertProblem(await grant(outsider.userId), 400, 'invalid_request');
    const organization = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { cookie: outsider.cookie } });
    assert.notEqual(organization.statusCode, 200, 'the outsider did not get in');

    const real = await grant(operator.userId);
    assert.equal(real.statusCode, 201, real.body);
  });
});
