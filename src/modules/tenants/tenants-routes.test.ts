import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { allowRiskyWrites, deleteWithApproval, secondAdmin } from '../../../test/support/risky-writes.ts';

describe('tenancy API (TEN-3)', () => {
  let t: TestApp;
  let cookie: string;
  let userId: string;
  before(async () => {
    t = await createTestApp();
    userId = (await t.createUser('owner@example.com', TEST_PASSWORD)).id;
    cookie = await t.login('owner@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });

  it('TEN-3: creates, reads, renames and deletes organizations, projects and environments', async () => {
    const org = (await call('POST', '/api/v1/organizations', { name: 'Acme' })).json<{ id: string; name: string }>();
    assert.equal(org.name, 'Acme');
    const base = `/api/v1/organizations/${org.id}`;
    assert.equal((await call('PATCH', base, { name: 'Acme Corp' })).json<{ name: string }>().name, 'Acme Corp');
    assert.equal((await call('GET', base)).json<{ name: string }>().name, 'Acme Corp');

    const project = (await call('POST', `${base}/projects`, { name: 'Web' })).json<{ id: string; organization_id: string }>();
    assert.equal(project.organization_id, org.id);
    const envs = `${base}/projects/${project.id}/environments`;
    const env = await call('POST', envs, { name: 'production', kind: 'production' });
    assert.equal(env.statusCode, 201);
    const envId = env.json<{ id: string }>().id;
    const patched = await call('PATCH', `${envs}/${envId}`, { kind: 'staging' });
    assert.equal(patched.json<{ kind: string; name: string }>().kind, 'staging');
    assert.equal((await call('POST', envs, { name: 'dev' })).json<{ kind: string }>().kind, 'other');

    assertProblem(await call('POST', `${base}/projects`, { name: 'WEB' }), 409, 'conflict');
    assertProblem(await call('POST', envs, { name: 'Production' }), 409, 'conflict');

    // Deletions are risky writes (AC-7): allowed with approval, approved by a second administrator.
    await allowRiskyWrites(t, org.id, cookie);
    const second = await secondAdmin(t, { orgId: org.id, admin: { userId, cookie } });
    assert.equal((await deleteWithApproval(t, `${envs}/${envId}`, cookie, second.cookie)).statusCode, 200);
    assertProblem(await call('GET', `${envs}/${envId}`), 404, 'not_found');
    assert.equal((await deleteWithApproval(t, `${base}/projects/${project.id}`, cookie, second.cookie)).statusCode, 200);
    assertProblem(await call('GET', envs), 404, 'not_found');
    assert.equal((await deleteWithApproval(t, base, cookie, second.cookie)).statusCode, 200);
    // DATA-3: an approved organization deletion starts its grace period (purged later, docs/data-lifecycle.md).
    assert.equal((await call('GET', `${base}/deletion`)).json<{ status: string }>().status, 'pending');
    assertProblem(await call('PATCH', base, { name: 'Too late' }), 409, 'organization_pending_deletion');
  });

  it('TEN-3: environments of one project are invisible through another project', async () => {
    const org = (await call('POST', '/api/v1/organizations', { name: 'Split' })).json<{ id: string }>();
    const base = `/api/v1/organizations/${org.id}/projects`;
    const p1 = (await call('POST', base, { name: 'one' })).json<{ id: string }>();
    const p2 = (await call('POST', base, { name: 'two' })).json<{ id: string }>();
    const env = (await call('POST', `${base}/${p1.id}/environments`, { name: 'prod' })).json<{ id: string }>();
    assertProblem(await call('GET', `${base}/${p2.id}/environments/${env.id}`), 404, 'not_found');
    assertProblem(await call('DELETE', `${base}/${p2.id}/environments/${env.id}`), 404, 'not_found');
    assert.deepEqual((await call('GET', `${base}/${p2.id}/environments`)).json<{ items: unknown[] }>().items, []);
  });

  it('paginates with stable cursors and rejects tampered ones', async () => {
    const org = (await call('POST', '/api/v1/organizations', { name: 'Many' })).json<{ id: string }>();
    const base = `/api/v1/organizations/${org.id}/projects`;
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      names.push(`p${i}`);
      await call('POST', base, { name: `p${i}` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `${base}?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`;
      const page: { items: { name: string }[]; next_cursor: string | null } = (await call('GET', url)).json();
      seen.push(...page.items.map((item) => item.name));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null);
    assert.deepEqual(seen, names);
    assert.equal(pages, 3);
    assertProblem(await call('GET', `${base}?cursor=bm90LWEtdXVpZA`), 400, 'invalid_cursor');
    assertProblem(await call('GET', `${base}?limit=0`), 400, 'invalid_request');
    assertProblem(await call('GET', `${base}?limit=101`), 400, 'invalid_request');
  });

  it('lists only organizations the user belongs to', async () => {
    await t.createUser('other@example.com', TEST_PASSWORD);
    const other = await t.login('other@example.com', TEST_PASSWORD);
    await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Theirs' }, headers: { cookie: other } });
    const mine = (await call('GET', '/api/v1/organizations?limit=100')).json<{ items: { name: string }[] }>();
    assert.ok(!mine.items.some((o) => o.name === 'Theirs'));
  });

  it('refuses names that are blank or contain control characters', async () => {
    for (const name of ['', '   ', 'a\u0000b', 'tab\there', 'x'.repeat(101)]) {
      assertProblem(await call('POST', '/api/v1/organizations', { name }), 400, 'invalid_request');
    }
  });
});
