// A credential that is presented but not valid fails the request: it never falls back to the
// session cookie that came with it, nor to anonymous (issue 14: a valid cookie plus an invalid
// bearer token used to run as the cookie's user).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

const INVALID_AUTHORIZATIONS = ['Bearer garbage', 'Bearer ', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'Bearer prk_live_not_a_key', 'Basic dXNlcjpwYXNz', 'Token abc', 'garbage'];

describe('presented but invalid credentials', () => {
  let t: TestApp;
  let admin: Member;
  let orgUrl: string;
  let apiKey: string;

  before(async () => {
    t = await createTestApp();
    const org = await createOrg(t, 'creds');
    admin = org.admin;
    orgUrl = `/api/v1/organizations/${org.orgId}`;
    const created = await t.inject({ method: 'POST', url: `${orgUrl}/api-keys`, payload: { name: 'reader', permissions: ['organization.read'] }, headers: { cookie: admin.cookie } });
    assert.equal(created.statusCode, 201, created.body);
    apiKey = created.json<{ key: string }>().key;
  });
  after(async () => {
    await t.close();
  });

  it('the session cookie alone works', async () => {
    assert.equal((await t.inject({ method: 'GET', url: orgUrl, headers: { cookie: admin.cookie } })).statusCode, 200);
  });

  it('a valid cookie with an invalid Authorization header is 401, not the cookie user', async () => {
    for (const authorization of INVALID_AUTHORIZATIONS) {
      assertProblem(await t.inject({ method: 'GET', url: orgUrl, headers: { cookie: admin.cookie, authorization } }), 401, 'unauthenticated');
    }
  });

  it('an invalid Authorization header on a public route is 401 too', async () => {
    for (const authorization of ['Bearer garbage', 'Basic dXNlcjpwYXNz']) {
      assertProblem(await t.inject({ method: 'GET', url: '/api/v1/permissions', headers: { authorization } }), 401, 'unauthenticated');
    }
  });

  it('a request signature that nothing can check fails the request, beside a cookie or a key that does not sign', async () => {
    const signature = { 'parapet-timestamp': String(Math.floor(Date.now() / 1000)), 'parapet-signature': 'v1=0000' };
    assertProblem(await t.inject({ method: 'GET', url: orgUrl, headers: { cookie: admin.cookie, ...signature } }), 401, 'invalid_signature');
    assertProblem(await t.inject({ method: 'GET', url: orgUrl, headers: { cookie: admin.cookie, 'parapet-signature': 'v1=0000' } }), 401, 'invalid_signature');
    assert.equal((await t.inject({ method: 'GET', url: orgUrl, headers: { authorization: `Bearer ${apiKey}` } })).statusCode, 200);
    assertProblem(await t.inject({ method: 'GET', url: orgUrl, headers: { authorization: `Bearer ${apiKey}`, ...signature } }), 401, 'invalid_signature');
  });
});
