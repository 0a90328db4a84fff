import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { manualClock } from '../../platform/clock.ts';
import { signRequest } from '../../sdk/signing.ts';
import { keyFixture, sameDatabase, type KeyFixture } from './api-keys-test-fixture.ts';

describe('signed requests (AUTH-8)', () => {
  const clock = manualClock(new Date('2026-06-01T10:00:00Z'));
  let f: KeyFixture;
  let key: string;
  let secret: string;
  let projectUrl: string;
  before(async () => {
    f = await keyFixture({ clock });
    const created = await f.createKey({ name: 'signer', permissions: ['projects.read', 'projects.update', 'api_keys.read'], signing: 'required' });
    key = created.key;
    secret = created.signing_secret ?? '';
    projectUrl = `/api/v1/organizations/${f.orgId}/projects/${f.projectId}`;
  });
  after(async () => {
    await f.close();
  });

  /** Sends a request signed as `signed` describes, while the request actually sent is `sent`. */
  function send(sent: { method: 'GET' | 'PATCH'; url: string; body?: string }, signed: { method?: string; url?: string; body?: string; now?: Date } = {}) {
    const headers = signRequest({ key, secret, method: signed.method ?? sent.method, url: signed.url ?? sent.url, body: signed.body ?? sent.body, now: signed.now ?? clock.now() });
    return f.t.inject({
      method: sent.method,
      url: sent.url,
      headers: { ...headers, ...(sent.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(sent.body === undefined ? {} : { payload: sent.body }),
    });
  }

  it('AUTH-8: accepts a correctly signed request, body hashed as received', async () => {
    // Unusual but valid JSON spacing: the digest covers these bytes, not a re-serialization.
    const response = await send({ method: 'PATCH', url: projectUrl, body: '{ "name" :  "Renamed by a signed key" }' });
    assert.equal(response.statusCode, 200, response.body);
    const query = await send({ method: 'GET', url: `/api/v1/organizations/${f.orgId}/api-keys?limit=5` });
    assert.equal(query.statusCode, 200, query.body);
  });

  it('AUTH-8: a key that must sign refuses unsigned requests', async () => {
    assertProblem(await f.withKey(key, 'GET', projectUrl), 401, 'invalid_signature');
    assertProblem(await f.withKey(key, 'GET', projectUrl, undefined, { 'parapet-timestamp': String(Math.floor(clock.now().getTime() / 1000)) }), 401, 'invalid_signature');
  });

  it('AUTH-8: a replayed signature is refused, on this node and for concurrent duplicates', async () => {
    const headers = signRequest({ key, secret, method: 'GET', url: projectUrl, now: clock.now() });
    const replay = () => f.t.inject({ method: 'GET', url: projectUrl, headers: { ...headers } });
    assert.equal((await replay()).statusCode, 200);
    assertProblem(await replay(), 401, 'invalid_signature');

    clock.advance(1000);
    const fresh = signRequest({ key, secret, method: 'GET', url: projectUrl, now: clock.now() });
    const results = await Promise.all(Array.from({ length: 4 }, () => f.t.inject({ method: 'GET', url: projectUrl, headers: { ...fresh } })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401, 401, 401]);
  });

  it('AUTH-8: a signature used on one node is refused on another', async () => {
    const second = await createTestApp({ database: await sameDatabase(f.t.database), clock });
    try {
      clock.advance(1000);
      const headers = signRequest({ key, secret, method: 'GET', url: projectUrl, now: clock.now() });
      assert.equal((await f.t.inject({ method: 'GET', url: projectUrl, headers: { ...headers } })).statusCode, 200);
      assertProblem(await second.inject({ method: 'GET', url: projectUrl, headers: { ...headers } }), 401, 'invalid_signature');
    } finally {
      await second.close();
      if (second.database !== f.t.database) await second.database.close();
    }
  });

  it('AUTH-8: a timestamp more than five minutes away is refused, in either direction', async () => {
    const now = clock.now().getTime();
    for (const offset of [-301_000, 301_000, -3_600_000, 86_400_000]) {
      const response = await send({ method: 'GET', url: projectUrl }, { now: new Date(now + offset) });
      assertProblem(response, 401, 'invalid_signature');
      assert.match(response.json<{ detail: string }>().detail, /seconds away/);
    }
    for (const offset of [-299_000, 299_000]) assert.equal((await send({ method: 'GET', url: projectUrl }, { now: new Date(now + offset) })).statusCode, 200);
  });

  it('AUTH-8: an altered body, path, query or method is refused', async () => {
    const body = '{"name":"Signed name"}';
    const cases: { label: string; sent: Parameters<typeof send>[0]; signed: Parameters<typeof send>[1] }[] = [
      { label: 'body', sent: { method: 'PATCH', url: projectUrl, body: '{"name":"Evil name"}' }, signed: { body } },
      { label: 'body whitespace', sent: { method: 'PATCH', url: projectUrl, body: '{"name": "Signed name"}' }, signed: { body } },
      { label: 'path', sent: { method: 'GET', url: `/api/v1/organizations/${f.orgId}/projects/${f.otherProjectId}` }, signed: { url: projectUrl } },
      { label: 'query', sent: { method: 'GET', url: `/api/v1/organizations/${f.orgId}/api-keys?limit=50` }, signed: { url: `/api/v1/organizations/${f.orgId}/api-keys?limit=5` } },
      { label: 'added query', sent: { method: 'GET', url: `${projectUrl}?x=1` }, signed: { url: projectUrl } },
      { label: 'method', sent: { method: 'PATCH', url: projectUrl, body }, signed: { method: 'PUT' } },
    ];
    for (const { label, sent, signed } of cases) {
      clock.advance(1000);
      const response = await send(sent, signed);
      assert.equal(response.statusCode, 401, `${label}: ${response.body}`);
      assert.equal(response.json<{ code: string }>().code, 'invalid_signature', label);
    }
    const project = await f.t.inject({ method: 'GET', url: projectUrl, headers: { cookie: f.cookie } });
    assert.notEqual(project.json<{ name: string }>().name, 'Evil name');
  });

  it('AUTH-8: the query is canonical: parameter order and percent-encoding case do not matter', async () => {
    clock.advance(1000);
    const url = `/api/v1/organizations/${f.orgId}/api-keys`;
    const response = await send({ method: 'GET', url: `${url}?limit=5&cursor=%61bc` }, { url: `${url}?cursor=abc&limit=5` });
    // The cursor is not a valid page cursor, but the request got past the signature to validation.
    assert.notEqual(response.json<{ code: string }>().code, 'invalid_signature', response.body);
  });

  it('AUTH-8: refused signatures are audited with the key as actor', async () => {
    clock.advance(1000);
    await send({ method: 'GET', url: projectUrl }, { url: `${projectUrl}/x` });
    const events = await f.t.transactor.withTenant(f.orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    const rejected = events.map((row) => row.event as { action: string; actor: { type: string }; metadata: { reason: string } }).filter((e) => e.action === 'api_key.signature_rejected');
    assert.ok(rejected.some((e) => e.metadata.reason === 'mismatch' && e.actor.type === 'api_key'));
    assert.ok(rejected.some((e) => e.metadata.reason === 'replayed'));
  });
});
