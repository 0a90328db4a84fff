import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertLogoutReachesOtherNode } from '../../../test/support/revocation.ts';

describe('session revocation across nodes (AUTH-5, ASVS 7.4)', () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await createTestApp();
    b = await createTestApp({ database: a.database });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('AUTH-5: a session ended on one node is refused on another within 1 s, long before the cache would expire', async () => {
    await assertLogoutReachesOtherNode(a, b);
  });

  it('AUTH-5: users list their live sessions and end any of them; another user\u2019s session answers 404 and survives', async () => {
    const email = `devices-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    const laptop = await a.login(email, TEST_PASSWORD);
    const phone = await a.login(email, TEST_PASSWORD);
    const list = await a.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie: laptop } });
    assert.equal(list.statusCode, 200, list.body);
    const items = list.json<{ items: { id: string; current: boolean }[] }>().items;
    assert.equal(items.length, 2);
    const phoneSession = items.find((item) => !item.current)!;
    const otherEmail = `other-${crypto.randomUUID()}@example.com`;
    await a.createUser(otherEmail, TEST_PASSWORD);
    const other = await a.login(otherEmail, TEST_PASSWORD);
    const foreign = await a.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${phoneSession.id}`, headers: { cookie: other } });
    assert.equal(foreign.statusCode, 404);
    assert.equal((await a.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: phone } })).statusCode, 200, 'the foreign attempt ended nothing');
    const ended = await a.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${phoneSession.id}`, headers: { cookie: laptop } });
    assert.equal(ended.statusCode, 204);
    assert.equal((await a.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: phone } })).statusCode, 401);
    assert.equal((await a.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: laptop } })).statusCode, 200);
  });
});
