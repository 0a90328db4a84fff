import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { TEST_PASSWORD } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { createHttpMetrics } from '../../platform/http/metrics.ts';
import { createIpRateLimiter } from '../../platform/http/rate-limit.ts';
import { Problem } from '../../platform/http/schemas.ts';
import { createHttpServer } from '../../platform/http/server.ts';
import { createLogger } from '../../platform/log/logger.ts';
import { registerAuthentication, sessionCookieFor } from '../identity/index.ts';
import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import { registerAuthorization } from '../access/index.ts';
import { registerAuditStreaming } from './destination-routes.ts';
import { createStreamingFixture, type StreamingFixture } from './streaming-test-fixture.ts';
import { createTestCertificates, type TestCertificates } from './tls-test-fixture.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-test-fixture.ts';

// Until app.ts registers these routes, they are mounted here on the same HTTP platform, with the
// app's real authentication and membership check.
describe('audit destination routes (AUD-5)', () => {
  let f: StreamingFixture;
  let http: FastifyInstance;
  let certs: TestCertificates;
  let receiver: WebhookReceiver;
  let outsider: string;
  const logs: string[] = [];

  before(async () => {
    f = await createStreamingFixture();
    const { t } = f;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    http = await createHttpServer({ logger: createLogger('debug', sink), bodyLimit: t.config.bodyLimit, trustProxy: false, tls: false, limiter: createIpRateLimiter(100_000, 'ip'), authLimiter: createIpRateLimiter(100_000, 'auth'), metrics: createHttpMetrics() });
    http.addSchema(Problem);
    registerAuthentication(http, { sessions: t.app.services.sessions, cookie: sessionCookieFor(t.config.publicUrl), allowedOrigins: [t.config.publicUrl] });
    registerAuthorization(http, { access: t.app.services.access, actorOf: auditActor, sourceOf: requestSource });
    registerAuditStreaming(http, { service: f.streaming.service });
    await http.ready();
    certs = createTestCertificates();
    receiver = await startWebhookReceiver(certs);
    await t.createUser('outsider@example.com', TEST_PASSWORD);
    outsider = await t.login('outsider@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await http.close();
    await receiver.close();
    await f.t.close();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  const base = () => `/api/v1/organizations/${f.orgId}/audit/destinations`;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, cookie = f.cookie) =>
    http.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });

  it('AUD-5: creates, lists, reads, renames, disables and deletes destinations, recording each change in the audit log', async () => {
    const created = await call('POST', base(), { kind: 'syslog', name: 'SIEM', host: 'siem.example.com', ca_pem: certs.caPem });
    assert.equal(created.statusCode, 201, created.body);
    const destination = created.json<{ id: string; kind: string; port: number; format: string; enabled: boolean; secret: null; delivery: { next_seq: number } }>();
    assert.deepEqual([destination.kind, destination.port, destination.format, destination.enabled, destination.secret], ['syslog', 6514, 'json', true, null]);
    const one = `${base()}/${destination.id}`;

    assert.equal((await call('PATCH', one, { name: 'SIEM (eu)', enabled: false })).json<{ name: string; enabled: boolean }>().enabled, false);
    assert.equal((await call('GET', one)).json<{ name: string }>().name, 'SIEM (eu)');
    const list = (await call('GET', base())).json<{ items: { id: string }[]; next_cursor: string | null }>();
    assert.ok(list.items.some((d) => d.id === destination.id));
    assertProblem(await call('POST', base(), { kind: 'syslog', name: 'siem (EU)', host: 'other.example.com' }), 409, 'conflict');
    assertProblem(await call('PATCH', one, { url: 'https://example.com/hook' }), 400, 'invalid_request');
    assert.equal((await call('DELETE', one)).statusCode, 204);
    assertProblem(await call('GET', one), 404, 'not_found');

    await f.t.app.services.audit.sequencer.drain();
    const actions = (await f.t.transactor.withTenant(f.orgId, (tx) => tx.selectFrom('audit_events').select('action').where('tenant_id', '=', f.orgId).execute())).map((r) => r.action);
    for (const action of ['audit.destination_created', 'audit.destination_updated', 'audit.destination_deleted']) assert.ok(actions.includes(action), `${action} was not recorded`);
  });

  it('AUD-5: the webhook secret is returned once at creation and never in reads, lists, logs or the audit log', async () => {
    const created = await call('POST', base(), { kind: 'webhook', name: 'hook', url: receiver.url, ca_pem: certs.caPem, format: 'ocsf' });
    assert.equal(created.statusCode, 201, created.body);
    const { id, secret } = created.json<{ id: string; secret: string }>();
    assert.match(secret, /^whsec_/);
    const key = secret.slice('whsec_'.length);
    const read = await call('GET', `${base()}/${id}`);
    const list = await call('GET', base());
    const patched = await call('PATCH', `${base()}/${id}`, { name: 'hook 2' });
    const tested = await call('POST', `${base()}/${id}/test`);
    assert.deepEqual(tested.json(), { delivered: true, error: null });
    assert.equal(receiver.requests.at(-1)?.headers['webhook-id']?.toString().startsWith('test_'), true);
    for (const response of [read, list, patched, tested]) {
      assert.equal(response.statusCode, 200);
      assert.ok(!response.body.includes(key), 'secret in a response');
      assert.ok(!response.body.includes('secret'), 'a secret field in a response');
    }
    await f.t.app.services.audit.sequencer.drain();
    const events = await f.canonicalEvents();
    assert.ok(logs.length > 0 && f.t.logs.length > 0);
    for (const line of [...logs, ...f.t.logs, ...events]) assert.ok(!line.includes(key), `secret in: ${line.slice(0, 200)}`);
  });

  it('AUD-5: refuses plain-http webhooks, private addresses, unknown fields and certificates that do not parse', async () => {
    const refused = [
      { kind: 'webhook', name: 'plain', url: 'http://example.com/hook' },
      { kind: 'webhook', name: 'creds', url: 'https://user:pass@example.com/hook' },
      { kind: 'webhook', name: 'metadata', url: 'https://169.254.169.254/latest' },
      { kind: 'syslog', name: 'internal', host: '10.0.0.5' },
      { kind: 'syslog', name: 'bad host', host: 'not a host' },
      { kind: 'syslog', name: 'mixed', host: 'siem.example.com', url: 'https://example.com' },
      { kind: 'syslog', name: 'ca', host: 'siem.example.com', ca_pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' },
      { kind: 'webhook', name: 'secret', url: 'https://example.com', secret: 'whsec_chosen' },
    ];
    for (const body of refused) assertProblem(await call('POST', base(), body), 400, 'invalid_request');
  });

  it("AUD-5: someone who is not a member cannot see, change, test or delete an organization's destinations", async () => {
    const { id } = (await call('POST', base(), { kind: 'syslog', name: 'private', host: 'siem.example.com', enabled: false })).json<{ id: string }>();
    const one = `${base()}/${id}`;
    for (const [method, url, payload] of [['GET', base()], ['POST', base(), { kind: 'syslog', name: 'x', host: 'a.example.com' }], ['GET', one], ['PATCH', one, { enabled: true }], ['DELETE', one], ['POST', `${one}/test`]] as const) {
      assertProblem(await call(method, url, payload, outsider), 404, 'not_found');
    }
    assert.equal((await call('GET', one)).json<{ enabled: boolean }>().enabled, false);
    assertProblem(await http.inject({ method: 'GET', url: base() }), 401, 'unauthenticated');
  });
});
