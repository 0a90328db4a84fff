import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from '../../../test/support/problem.ts';
import { keyFixture, type KeyFixture } from './api-keys-test-fixture.ts';
import { API_KEY_PATTERN, SIGNING_SECRET_PATTERN } from './key-format.ts';

describe('API keys (AUTH-7)', () => {
  let f: KeyFixture;
  before(async () => {
    f = await keyFixture();
  });
  after(async () => {
    await f.close();
  });

  it('AUTH-7: creates a key shown once, in the documented format, with a 90-day default expiry; listings and reads never show a secret', async () => {
    const created = await f.createKey({ name: 'CI deploys', role: 'viewer' });
    assert.match(created.key, new RegExp(`^${API_KEY_PATTERN.source}$`));
    assert.equal(created.signing_secret, null);
    assert.equal(created.mode, 'live');
    assert.equal(created.status, 'active');
    assert.deepEqual([...created.permissions].sort(), ['access.request', 'environments.read', 'members.read', 'organization.read', 'projects.read']);
    const lifetime = Date.parse(created.expires_at) - Date.now();
    assert.ok(Math.abs(lifetime - 90 * 86_400_000) < 60_000, `expires in ${lifetime} ms`);

    const list = await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}/api-keys`, headers: { cookie: f.cookie } });
    assert.equal(list.statusCode, 200);
    const read = await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}/api-keys/${created.id}`, headers: { cookie: f.cookie } });
    assert.equal(read.statusCode, 200);
    for (const body of [list.body, read.body]) {
      assert.ok(body.includes(created.id));
      assert.ok(!body.includes(created.key.slice(created.key.length - 49)), 'a listing shows the secret');
      assert.ok(!/secret|hash/.test(body.replace(/"signing":"none"/g, '')), body);
    }
    assert.equal(read.json<{ prefix: string }>().prefix, created.key.slice(0, 31));
  });

  it('AUTH-7: a key authenticates as itself, within its permissions, and is the actor of the API call records', async () => {
    const { key, id } = await f.createKey({ name: 'reader', permissions: ['organization.read'] });
    const ok = await f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}`);
    assert.equal(ok.statusCode, 200, ok.body);
    assertProblem(await f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}/projects`), 403, 'forbidden');
    const current = await f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}/api-keys/current`);
    assert.equal(current.statusCode, 200, current.body);
    assert.deepEqual(current.json<{ id: string; permissions: string[] }>().permissions, ['organization.read']);

    await f.t.app.services.audit.apiCalls.flush();
    const events = await f.t.transactor.withTenant(f.orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    const calls = events.map((row) => row.event as { action: string; actor: { type: string; id: string } }).filter((e) => e.action === 'api.request' && e.actor.id === id);
    assert.ok(calls.length >= 1 && calls.every((e) => e.actor.type === 'api_key'));
    const createdEvent = events.map((row) => row.event as { action: string; targets: { id: string }[] }).find((e) => e.action === 'api_key.created' && e.targets.some((x) => x.id === id));
    assert.ok(createdEvent !== undefined);
  });

  it('AUTH-7: last use (time and IP) is written by the buffered flush, not on the request', async () => {
    const { key, id } = await f.createKey({ name: 'used', permissions: ['organization.read'] });
    assert.equal((await f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}`)).statusCode, 200);
    const read = () => f.t.transactor.withTenant(f.orgId, (tx) => tx.selectFrom('api_keys').select(['last_used_at', 'last_used_ip']).where('id', '=', id).executeTakeFirstOrThrow());
    assert.equal((await read()).last_used_at, null);
    await f.t.app.services.apiKeys.usage.flush();
    const row = await read();
    assert.ok(row.last_used_at instanceof Date);
    assert.equal(row.last_used_ip, '127.0.0.1');
  });

  it('AUTH-7: revoking a key stops it at once and records the revocation', async () => {
    const { key, id } = await f.createKey({ name: 'short-lived', permissions: ['organization.read'] });
    assert.equal((await f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}`)).statusCode, 200);
    const revoked = await f.t.inject({ method: 'DELETE', url: `/api/v1/organizations/${f.orgId}/api-keys/${id}`, headers: { cookie: f.cookie } });
    assert.equal(revoked.statusCode, 204);
    assertProblem(await f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}`), 401, 'unauthenticated');
    const read = await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}/api-keys/${id}`, headers: { cookie: f.cookie } });
    assert.equal(read.json<{ status: string }>().status, 'revoked');
  });

  it('AUTH-7: rotation returns a working successor once and keeps the old key for the overlap', async () => {
    const { key, id } = await f.createKey({ name: 'rotating', permissions: ['organization.read'], signing: 'none' });
    const rotated = await f.t.inject({ method: 'POST', url: `/api/v1/organizations/${f.orgId}/api-keys/${id}/rotate`, payload: { overlap_seconds: 3600 }, headers: { cookie: f.cookie } });
    assert.equal(rotated.statusCode, 201, rotated.body);
    const body = rotated.json<{ key: { key: string; id: string }; previous: { status: string; rotated_to: string; retires_at: string } }>();
    assert.equal(body.previous.status, 'retiring');
    assert.equal(body.previous.rotated_to, body.key.id);
    assert.equal((await f.withKey(body.key.key, 'GET', `/api/v1/organizations/${f.orgId}`)).statusCode, 200);
    assert.equal((await f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}`)).statusCode, 200);
    const again = await f.t.inject({ method: 'POST', url: `/api/v1/organizations/${f.orgId}/api-keys/${id}/rotate`, payload: {}, headers: { cookie: f.cookie } });
    assertProblem(again, 409, 'conflict');
  });

  it('AUTH-7: the mode follows the environment kind, and lifetimes above PARAPET_API_KEY_MAX_DAYS are refused', async () => {
    const staging = await f.createKey({ name: 'staging', permissions: ['environments.read'], environment_id: f.siblingEnvironmentId });
    assert.equal(staging.mode, 'test');
    assert.equal(staging.project_id, f.projectId);
    assert.match(staging.key, /^prk_test_/);
    const tooLong = await f.t.inject({ method: 'POST', url: `/api/v1/organizations/${f.orgId}/api-keys`, payload: { name: 'forever', role: 'viewer', expires_in_days: 366 }, headers: { cookie: f.cookie } });
    assertProblem(tooLong, 400, 'invalid_request');
    const both = await f.t.inject({ method: 'POST', url: `/api/v1/organizations/${f.orgId}/api-keys`, payload: { name: 'both', role: 'viewer', permissions: ['organization.read'] }, headers: { cookie: f.cookie } });
    assertProblem(both, 400, 'invalid_request');
    const wrongProject = await f.t.inject({
      method: 'POST',
      url: `/api/v1/organizations/${f.orgId}/api-keys`,
      payload: { name: 'mismatch', role: 'viewer', project_id: f.otherProjectId, environment_id: f.environmentId },
      headers: { cookie: f.cookie },
    });
    assertProblem(wrongProject, 400, 'invalid_request');
  });

  it('AUTH-8: a key created with signing required gets a signing secret, shown once', async () => {
    const created = await f.createKey({ name: 'signed', permissions: ['organization.read'], signing: 'required' });
    assert.match(created.signing_secret ?? '', new RegExp(`^${SIGNING_SECRET_PATTERN.source}$`));
    const read = await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}/api-keys/${created.id}`, headers: { cookie: f.cookie } });
    assert.ok(!read.body.includes(created.signing_secret ?? 'none'));
    assert.equal(read.json<{ signing: string }>().signing, 'required');
  });

  it('leaves bearer tokens that are not API keys to other authenticators', async () => {
    // Not a key: the API-key authenticator passes it on; as nothing else claims it, it is an
    // invalid credential and the request fails, never downgraded to the cookie.
    assertProblem(await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}`, headers: { cookie: f.cookie, authorization: 'Bearer some-opaque-token' } }), 401, 'unauthenticated');
    // A JWT is the OAuth authenticator's; an invalid one is refused, never downgraded to the cookie.
    assertProblem(await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}`, headers: { cookie: f.cookie, authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.e30.sig' } }), 401, 'unauthenticated');
    assertProblem(await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}`, headers: { cookie: f.cookie, authorization: 'Bearer prk_live_nonsense' } }), 401, 'unauthenticated');
  });
});
