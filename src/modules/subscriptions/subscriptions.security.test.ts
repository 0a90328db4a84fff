// Attacks on subscriptions (IR-4, TR-3): forged and swapped signed links, confirmation reuse and
// expiry, webhooks aimed at private addresses, signature tampering, feed injection, enumeration, CSRF.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { TEST_PASSWORD } from '../../../test/support/app.ts';
import type { AuditContext } from '../../platform/http/principal.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { parseXml, startSubscriptionsFixture, tokenIn, type SubscriptionsFixture } from './subscriptions-test-fixture.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SYSTEM: AuditContext = { userId: '', actor: { type: 'system', id: null, display_name: null }, source: { ip: null, user_agent: null, request_id: null } };

describe('subscriptions under attack (IR-4, TR-3)', () => {
  let f: SubscriptionsFixture;
  const code = (response: { body: string }) => (JSON.parse(response.body) as { code: string }).code;
  const statusOf = async (email: string) => (await f.t.database.db.withOwner((s) => s.query<{ status: string; components: string[] }>(`select status, components from subscription_subscribers where email = $1`, [email])))[0];
  const publishStatus = (title: string, body = '') =>
    f.t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => f.t.app.modules.subscriptions.service.publish(tx, { topic: 'status', event: 'incident.opened', title, body, link: 'https://parapet.test/status' }, SYSTEM));
  const unsubscribeLinkOf = async (email: string) => {
    await publishStatus(`notice for ${email}`);
    await f.deliver();
    const mail = await f.smtp.waitFor((m) => m.to.includes(email) && m.subject.includes(`notice for ${email}`));
    return tokenIn(mail.text, '/subscriptions/unsubscribe');
  };

  before(async () => {
    f = await startSubscriptionsFixture({ adminEmail: 'subs-sec-admin@example.com' });
  });
  after(async () => {
    await f.close();
  });

  it('IR-4: an unsubscribe link with an altered signature is refused and the subscriber stays subscribed', async () => {
    const email = `forge-${crypto.randomUUID()}@example.com`;
    await f.subscribeConfirmed({ topic: 'status', email });
    const link = await unsubscribeLinkOf(email);
    const mac = link.split('.')[2] ?? '';
    const forged = `${link.slice(0, link.length - mac.length)}${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    for (const token of [forged, link.split('.').slice(0, 2).join('.') + '.', `${link}.x`, 'not-a-token']) {
      const response = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/unsubscribe', payload: { token } });
      assert.equal(response.statusCode, 400, token);
      assert.equal(code(response), 'subscription_link_invalid');
    }
    assert.equal((await statusOf(email))?.status, 'active');
  });

  it("IR-4: one subscriber's link with another subscriber's id swapped in is refused; an unsubscribe link is no objection link", async () => {
    const alice = `alice-${crypto.randomUUID()}@example.com`;
    const bob = `bob-${crypto.randomUUID()}@example.com`;
    await f.subscribeConfirmed({ topic: 'status', email: alice });
    await f.subscribeConfirmed({ topic: 'status', email: bob });
    const aliceLink = await unsubscribeLinkOf(alice);
    const bobId = (await f.t.database.db.withOwner((s) => s.query<{ id: string }>(`select id from subscription_subscribers where email = $1`, [bob])))[0]?.id ?? '';
    const [, item, mac] = aliceLink.split('.');
    const swapped = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/unsubscribe', payload: { token: `${bobId}.${item}.${mac}` } });
    assert.equal(swapped.statusCode, 400);
    assert.equal((await statusOf(bob))?.status, 'active');
    const asObjection = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/objections', payload: { token: aliceLink } });
    assert.equal(asObjection.statusCode, 400);
    assert.equal(code(asObjection), 'subscription_link_invalid');
  });

  it('IR-4: a confirmation link works once, even when used twice at the same time, and not after 48 hours', async () => {
    const email = `race-${crypto.randomUUID()}@example.com`;
    await f.subscribe({ topic: 'status', email });
    const token = await f.confirmToken(email);
    const both = await Promise.all([0, 1].map(() => f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/confirm', payload: { token } })));
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 400]);
    const again = await f.t.inject({ method: 'POST', url: '/subscriptions/confirm', headers: FORM, payload: `token=${token}` });
    assert.equal(again.statusCode, 400);
    assert.equal(code(again), 'subscription_link_invalid');

    const late = `late-${crypto.randomUUID()}@example.com`;
    await f.subscribe({ topic: 'status', email: late });
    const lateToken = await f.confirmToken(late);
    f.clock.advance(48 * 3_600_000 + 1);
    const expired = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/confirm', payload: { token: lateToken } });
    assert.equal(expired.statusCode, 400);
    assert.equal((await statusOf(late))?.status, 'pending');
    assert.equal(await f.t.app.modules.subscriptions.service.purgeUnconfirmed() >= 1, true, 'the expired request is purged');
    assert.equal(await statusOf(late), undefined);
  });

  it('IR-4: subscribing an active, a pending or a new address answers byte for byte the same, changes nothing of an active subscription and mails it nothing', async () => {
    const components = await f.t.app.modules.subscriptions.service.components();
    assert.deepEqual(components, [], 'no status components in this app: selection is refused below');
    const active = `active-${crypto.randomUUID()}@example.com`;
    await f.subscribeConfirmed({ topic: 'status', email: active });
    const pending = `pending-${crypto.randomUUID()}@example.com`;
    await f.subscribe({ topic: 'status', email: pending });
    const fresh = `fresh-${crypto.randomUUID()}@example.com`;
    const before = f.smtp.messages.filter((m) => m.to.includes(active)).length;
    const answers = [];
    for (const email of [active, pending, fresh]) {
      const api = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions', payload: { topic: 'status', email: email.toUpperCase() } });
      const form = await f.t.inject({ method: 'POST', url: '/subscriptions/subscribe', headers: FORM, payload: `topic=status&email=${encodeURIComponent(email)}` });
      answers.push([api.statusCode, api.body, form.statusCode, form.body]);
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[1], answers[2]);
    await f.t.app.services.mail.idle();
    assert.equal(f.smtp.messages.filter((m) => m.to.includes(active)).length, before, 'nothing mailed to an active subscriber');
    const unknown = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions', payload: { topic: 'status', email: active, components: [crypto.randomUUID()] } });
    assert.equal(code(unknown), 'subscription_component_unknown');
    assert.deepEqual((await statusOf(active))?.components, []);
  });

  it('IR-4: a cross-site form post to subscribe, confirm or unsubscribe is refused (origin check)', async () => {
    for (const url of ['/subscriptions/subscribe', '/subscriptions/confirm', '/subscriptions/unsubscribe', '/subscriptions/object']) {
      const byOrigin = await f.t.inject({ method: 'POST', url, headers: { ...FORM, origin: 'https://attacker.example' }, payload: 'topic=status&email=victim%40example.com&token=x' });
      assert.equal(byOrigin.statusCode, 403, url);
      assert.equal(code(byOrigin), 'origin_mismatch');
      const byFetchMetadata = await f.t.inject({ method: 'POST', url, headers: { ...FORM, 'sec-fetch-site': 'cross-site' }, payload: 'topic=status&email=victim%40example.com&token=x' });
      assert.equal(byFetchMetadata.statusCode, 403, url);
    }
  });

  it('IR-4: a webhook signature verifies with the standardwebhooks library, and fails for a changed body, timestamp, id or secret', async () => {
    // The verifier compares the timestamp with its own clock (five minutes' tolerance).
    f.clock.set(new Date());
    const secret = (await f.subscribeConfirmed({ topic: 'status', email: `sig-${crypto.randomUUID()}@example.com`, webhook_url: f.receiver.url })) ?? '';
    f.receiver.requests.length = 0;
    await publishStatus('signed notice');
    await f.deliver();
    const message = f.receiver.requests.find((r) => r.body.includes('signed notice'));
    assert.ok(message !== undefined);
    const headers = { 'webhook-id': String(message.headers['webhook-id']), 'webhook-timestamp': String(message.headers['webhook-timestamp']), 'webhook-signature': String(message.headers['webhook-signature']) };
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
    assert.doesNotThrow(() => new Webhook(secret).verify(message.body, headers));
    assert.throws(() => new Webhook(secret).verify(message.body.replace('signed notice', 'forged notice'), headers));
    assert.throws(() => new Webhook(secret).verify(message.body, { ...headers, 'webhook-id': crypto.randomUUID() }));
    assert.throws(() => new Webhook(secret).verify(message.body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }));
    const other = (await f.subscribeConfirmed({ topic: 'status', email: `sig2-${crypto.randomUUID()}@example.com`, webhook_url: f.receiver.url })) ?? '';
    assert.notEqual(other, secret);
    assert.throws(() => new Webhook(other).verify(message.body, headers), 'another subscriber\u2019s secret does not verify it');
    const listed = await f.t.inject({ method: 'GET', url: '/api/v1/platform/subscriptions/subscribers?topic=status', headers: { cookie: await f.admin() } });
    assert.equal(listed.statusCode, 200);
    assert.ok(!listed.body.includes(secret.slice(6)), 'the secret is never shown again');
  });

  it('IR-4: a hostile title and body stay text in RSS, Atom and JSON Feed: the XML parses and reads back the same string', async () => {
    const title = `]]></title><script>alert(1)</script><title a="'&amp;\u0001 \u{1F525}`;
    const body = '</description><link>https://evil.example</link>';
    await publishStatus(title, body);
    const expected = title.replace('\u0001', '');
    for (const format of ['rss', 'atom'] as const) {
      const response = await f.t.inject({ method: 'GET', url: `/feeds/status.${format}` });
      assert.doesNotMatch(response.body, /<script/);
      const doc = parseXml(response.body);
      const entries = Array.from(doc.getElementsByTagName(format === 'rss' ? 'item' : 'entry'));
      const hostile = entries.find((e) => e.getElementsByTagName('title')[0]?.textContent === expected);
      assert.ok(hostile !== undefined, `${format}: ${entries.map((e) => e.getElementsByTagName('title')[0]?.textContent).join(' | ')}`);
      assert.equal(hostile.getElementsByTagName('link').length, 1, `${format}: no injected element`);
      assert.equal(hostile.getElementsByTagName('script').length, 0, `${format}: no injected element`);
    }
    const json = (await f.t.inject({ method: 'GET', url: '/feeds/status.json' })).json<{ items: { title: string; content_text: string }[] }>();
    const item = json.items.find((i) => i.title === title);
    assert.equal(item?.content_text, body);
    const admin = await f.admin();
    const viaIncident = await f.t.inject({ method: 'POST', url: '/api/v1/platform/incidents', headers: { cookie: admin }, payload: { title: '<img src=x onerror=alert(1)>', severity: 'low' } });
    assert.equal(viaIncident.statusCode, 201, viaIncident.body);
    const rss = (await f.t.inject({ method: 'GET', url: '/feeds/status.rss' })).body;
    assert.match(rss, /<title>&lt;img src=x onerror=alert\(1\)&gt;<\/title>/);
  });

  it('IR-4, TR-3: the subscriber and objection lists are for platform administrators only', async () => {
    await f.t.createUser('subs-sec-user@example.com', TEST_PASSWORD);
    const user = await f.t.login('subs-sec-user@example.com', TEST_PASSWORD);
    for (const url of ['/api/v1/platform/subscriptions/subscribers?topic=status', `/api/v1/platform/subscriptions/items/${crypto.randomUUID()}/objections`]) {
      assert.equal((await f.t.inject({ method: 'GET', url })).statusCode, 401, url);
      assert.equal((await f.t.inject({ method: 'GET', url, headers: { cookie: user } })).statusCode, 403, url);
    }
  });
});

describe('subscriber webhooks and the address guard (IR-4)', () => {
  let f: SubscriptionsFixture;
  before(async () => {
    f = await startSubscriptionsFixture({ adminEmail: 'subs-guard-admin@example.com', allowLoopback: false });
  });
  after(async () => {
    await f.close();
  });

  it('IR-4: a webhook to a private, loopback, link-local or metadata address, or over plain http, is refused and nothing is stored', async () => {
    const port = new URL(f.receiver.url).port;
    for (const url of ['https://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://127.0.0.1/hook', 'https://[::1]/hook', 'https://[::ffff:127.0.0.1]/hook', `https://localhost:${port}/hooks/status`, 'http://example.com/hook', 'https://user:pw@example.com/hook', 'not a url']) {
      const email = `ssrf-${crypto.randomUUID()}@example.com`;
      const answer = await f.subscribe({ topic: 'status', email, webhook_url: url });
      assert.equal(answer.statusCode, 400, url);
      assert.equal(answer.body['code'], 'subscription_webhook_refused', url);
      const stored = await f.t.database.db.withOwner((s) => s.query(`select 1 from subscription_subscribers where email = $1`, [email]));
      assert.equal(stored.length, 0, url);
    }
  });

  it('IR-4: at delivery the guard refuses again (a name that now resolves to loopback): nothing reaches the receiver', async () => {
    const email = `rebind-${crypto.randomUUID()}@example.com`;
    const url = `https://localhost:${new URL(f.receiver.url).port}/hooks/status`;
    const id = crypto.randomUUID();
    // As if the name resolved to a public address when it was registered and to loopback now.
    const sealed = await f.t.app.modules.keys.fields.encryptField({ tenantId: PLATFORM_TENANT_ID, table: 'subscription_subscribers', column: 'secret_sealed', rowId: id }, `whsec_${Buffer.alloc(32, 7).toString('base64')}`);
    await f.t.database.db.withOwner((s) => s.query(`insert into subscription_subscribers (id, topic, channel, email, url, secret_sealed, status, created_at, confirmed_at) values ($1, 'status', 'webhook', $2, $3, $4, 'active', now(), now())`, [id, email, url, sealed]));
    f.receiver.requests.length = 0;
    await f.t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => f.t.app.modules.subscriptions.service.publish(tx, { topic: 'status', event: 'incident.opened', title: 'rebinding', body: '', link: 'https://parapet.test/status' }, SYSTEM));
    await f.deliver();
    assert.equal(f.receiver.requests.length, 0);
    const row = await f.t.database.db.withOwner((s) => s.query<{ last_error: string; delivered_at: Date | null }>(`select last_error, delivered_at from subscription_deliveries where subscriber_id = $1`, [id]));
    assert.equal(row[0]?.last_error, 'address_not_allowed');
    assert.equal(row[0]?.delivered_at, null);
  });
});
