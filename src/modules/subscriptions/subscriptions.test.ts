// Subscriptions end to end (IR-4, TR-3): the real SMTP server, an HTTPS receiver verified with the
// `standardwebhooks` library, the feeds, and what incidents and the trust center publish.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { mailTo, parseXml, startSubscriptionsFixture, tokenIn, type SubscriptionsFixture } from './subscriptions-test-fixture.ts';

const DAY = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);

describe('subscriptions end to end (IR-4, TR-3)', () => {
  let f: SubscriptionsFixture;
  let admin: string;
  let componentA: string;
  let componentB: string;
  const api = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) => f.t.inject({ method, url, headers: { cookie: admin }, ...(payload === undefined ? {} : { payload }) });
  const component = async (name: string) => {
    const response = await api('POST', '/api/v1/platform/status/components', { name, status: 'operational' });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string }>().id;
  };
  const openIncident = async (title: string, components: string[]) => {
    const response = await api('POST', '/api/v1/platform/incidents', { title, severity: 'high', affected_components: components });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string }>().id;
  };

  before(async () => {
    f = await startSubscriptionsFixture({ adminEmail: 'subs-e2e-admin@example.com' });
    admin = await f.admin();
    componentA = await component('API');
    componentB = await component('Dashboard');
  });
  after(async () => {
    await f.close();
  });

  it('IR-4: the status page carries a script-free subscribe form with a checkbox per component, and links to the feeds', async () => {
    const page = await f.t.inject({ method: 'GET', url: '/status' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<form method="post" action="\/subscriptions\/subscribe">/);
    assert.match(page.body, new RegExp(`name="component\\.${componentA}"`));
    assert.match(page.body, /href="\/feeds\/status\.atom"/);
    assert.doesNotMatch(page.body, /<script/i);
  });

  it('IR-4: an email subscriber confirms by the mailed link (a GET only shows the form), hears only about the component it picked, and unsubscribes by the signed link', async () => {
    const email = `picky-${crypto.randomUUID()}@example.com`;
    const form = await f.t.inject({ method: 'POST', url: '/subscriptions/subscribe', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `topic=status&email=${encodeURIComponent(email)}&component.${componentA}=1` });
    assert.equal(form.statusCode, 202, form.body);
    assert.match(form.body, /Check your mail/);
    const token = await f.confirmToken(email);
    const shown = await f.t.inject({ method: 'GET', url: `/subscriptions/confirm?token=${encodeURIComponent(token)}` });
    assert.equal(shown.statusCode, 200);
    assert.match(shown.body, /<form method="post" action="\/subscriptions\/confirm">/);
    const listed = async () => (await api('GET', '/api/v1/platform/subscriptions/subscribers?topic=status')).json<{ items: { email: string | null; status: string; components: string[] }[] }>().items.find((s) => s.email === email);
    assert.equal((await listed())?.status, 'pending', 'the GET confirmed nothing');
    const confirmed = await f.t.inject({ method: 'POST', url: '/subscriptions/confirm', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${encodeURIComponent(token)}` });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const active = await listed();
    assert.equal(active?.status, 'active');
    assert.deepEqual(active.components, [componentA]);

    await openIncident('Dashboard slow', [componentB]);
    await f.deliver();
    await openIncident('API errors', [componentA]);
    await f.deliver();
    const notice = await mailTo(f.t, f.smtp, email, /API errors/);
    assert.ok(!f.smtp.messages.some((m) => m.to.includes(email) && m.subject.includes('Dashboard slow')), 'not about a component it did not pick');
    const unsubscribe = tokenIn(notice.text, '/subscriptions/unsubscribe');
    const gone = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/unsubscribe', payload: { token: unsubscribe } });
    assert.equal(gone.statusCode, 200, gone.body);
    assert.equal(await listed(), undefined);
    const erased = await f.t.database.db.withOwner((s) => s.query<{ n: string }>(`select count(*) as n from subscription_subscribers where email = $1`, [email]));
    assert.equal(Number(erased[0]?.n), 0, 'the address is erased on unsubscribe');
    assert.equal((await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/unsubscribe', payload: { token: unsubscribe } })).statusCode, 200, 'using it again answers the same');
  });

  it('IR-4: a webhook subscriber gets its whsec_ secret once and Standard Webhooks-signed updates, retried with backoff under the same webhook-id', async () => {
    const secret = await f.subscribeConfirmed({ topic: 'status', email: `hook-${crypto.randomUUID()}@example.com`, webhook_url: f.receiver.url });
    assert.match(secret ?? '', /^whsec_[A-Za-z0-9+/]+=*$/);
    const incident = await openIncident('Queue backlog', []);
    f.receiver.respond = (response) => response.writeHead(503).end();
    f.receiver.requests.length = 0;
    await f.deliver();
    assert.equal(f.receiver.requests.length, 1);
    const firstId = f.receiver.requests[0]?.headers['webhook-id'];
    const row = await f.t.database.db.withOwner((s) => s.query<{ attempts: number; next_attempt_at: Date; last_error: string }>(`select attempts, next_attempt_at, last_error from subscription_deliveries where id = $1`, [firstId]));
    assert.equal(row[0]?.attempts, 1);
    assert.equal(row[0]?.last_error, 'rejected');
    assert.ok((row[0]?.next_attempt_at.getTime() ?? 0) > f.clock.now().getTime(), 'a retry waits');
    await f.deliver();
    assert.equal(f.receiver.requests.length, 1, 'not before its time');
    f.receiver.respond = (response) => response.writeHead(204).end();
    f.clock.advance(2 * 60_000);
    await f.deliver();
    assert.equal(f.receiver.requests.length, 2);
    const delivered = f.receiver.requests[1];
    assert.ok(delivered !== undefined);
    assert.equal(delivered.headers['webhook-id'], firstId, 'the same id on every retry');
    const payload = new Webhook(secret ?? '').verify(delivered.body, { 'webhook-id': String(delivered.headers['webhook-id']), 'webhook-timestamp': String(delivered.headers['webhook-timestamp']), 'webhook-signature': String(delivered.headers['webhook-signature']) }) as { type: string; data: { title: string; url: string } };
    assert.equal(payload.type, 'incident.opened');
    assert.equal(payload.data.title, 'Queue backlog');
    assert.match(payload.data.url, /\/status$/);

    admin = await f.admin();
    assert.equal((await api('POST', `/api/v1/platform/incidents/${incident}/entries`, { kind: 'note', body: 'internal only' })).statusCode, 201);
    assert.equal((await api('POST', `/api/v1/platform/incidents/${incident}/entries`, { kind: 'public_update', body: 'Mitigated.' })).statusCode, 201);
    assert.equal((await api('PATCH', `/api/v1/platform/incidents/${incident}`, { resolved: true })).statusCode, 204);
    await f.deliver();
    const types = f.receiver.requests.slice(2).map((r) => (JSON.parse(r.body) as { type: string; data: { body: string } }));
    assert.deepEqual(types.map((p) => p.type), ['incident.updated', 'incident.resolved'], 'an internal note is never published');
    assert.equal(types[0]?.data.body, 'Mitigated.');
  });

  it('IR-4: RSS 2.0, Atom and JSON Feed 1.1 list the published notices, with an ETag answered by 304 until something new is published', async () => {
    for (const [format, type] of [['rss', /^application\/rss\+xml/], ['atom', /^application\/atom\+xml/], ['json', /^application\/feed\+json/]] as const) {
      const response = await f.t.inject({ method: 'GET', url: `/feeds/status.${format}` });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), type);
      assert.match(response.body, /Queue backlog/);
      if (format === 'json') {
        const feed = response.json<{ version: string; items: { title: string; content_text: string }[] }>();
        assert.equal(feed.version, 'https://jsonfeed.org/version/1.1');
        assert.ok(feed.items.some((i) => i.title === 'Update: Queue backlog' && i.content_text === 'Mitigated.'));
      } else {
        const doc = parseXml(response.body);
        assert.equal(doc.documentElement?.nodeName, format === 'rss' ? 'rss' : 'feed');
      }
      const etag = String(response.headers['etag']);
      assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
      const again = await f.t.inject({ method: 'GET', url: `/feeds/status.${format}`, headers: { 'if-none-match': etag } });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, '');
    }
    const before = String((await f.t.inject({ method: 'GET', url: '/feeds/status.atom' })).headers['etag']);
    await openIncident('Another one', []);
    const after = await f.t.inject({ method: 'GET', url: '/feeds/status.atom', headers: { 'if-none-match': before } });
    assert.equal(after.statusCode, 200, 'a new notice changes the ETag');
  });

  it('TR-3: a subprocessor change effective in less than 30 days is refused with problem+json and nothing is published; 30 days ahead it is announced with an objection link', async () => {
    admin = await f.admin();
    const email = `dpo-${crypto.randomUUID()}@example.com`;
    await f.subscribeConfirmed({ topic: 'subprocessors', email });
    const page = await f.t.inject({ method: 'GET', url: '/trust/subprocessors' });
    assert.match(page.body, /<input type="hidden" name="topic" value="subprocessors">/);
    const data = (effective: Date) => ({ kind: 'subprocessor', data: { name: 'Mailgun', purpose: 'Transactional mail', data_categories: ['email address'], location: 'EU', effective_from: day(effective) } });

    const soon = await api('POST', '/api/v1/platform/trust/entries', data(new Date(f.clock.now().getTime() + 29 * DAY)));
    assert.equal(soon.statusCode, 422, soon.body);
    assert.match(String(soon.headers['content-type']), /^application\/problem\+json/);
    assert.equal(soon.json<{ code: string }>().code, 'subprocessor_notice_too_short');
    const entries = (await api('GET', '/api/v1/platform/trust/entries')).json<{ items: { data: { name?: string } }[] }>().items;
    assert.ok(!entries.some((e) => e.data.name === 'Mailgun'), 'the refused change was not saved either');

    const effective = new Date(f.clock.now().getTime() + 30 * DAY);
    const created = await api('POST', '/api/v1/platform/trust/entries', data(effective));
    assert.equal(created.statusCode, 201, created.body);
    await f.deliver();
    const notice = await mailTo(f.t, f.smtp, email, /New subprocessor: Mailgun/);
    assert.match(notice.text, new RegExp(`Takes effect on ${day(effective)}`));
    const objection = tokenIn(notice.text, '/subscriptions/object');
    const shown = await f.t.inject({ method: 'GET', url: `/subscriptions/object?token=${encodeURIComponent(objection)}` });
    assert.match(shown.body, /<textarea name="reason"/);
    const recorded = await f.t.inject({ method: 'POST', url: '/subscriptions/object', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${encodeURIComponent(objection)}&reason=${encodeURIComponent('We need EU-only processing')}` });
    assert.equal(recorded.statusCode, 200, recorded.body);
    const feed = (await f.t.inject({ method: 'GET', url: '/feeds/subprocessors.json' })).json<{ items: { id: string; title: string }[] }>();
    const item = feed.items.find((i) => i.title === 'New subprocessor: Mailgun');
    assert.ok(item !== undefined);
    const listed = await api('GET', `/api/v1/platform/subscriptions/items/${item.id.replace('urn:uuid:', '')}/objections`);
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(listed.json<{ items: { contact: string; reason: string }[] }>().items.map((o) => [o.contact, o.reason]), [[email, 'We need EU-only processing']]);

    // Saving the announced entry again unchanged (its position only) a day later is no new change.
    f.clock.advance(DAY);
    admin = await f.admin();
    const resaved = await api('PUT', `/api/v1/platform/trust/entries/${created.json<{ id: string }>().id}`, { ...data(effective), position: 3 });
    assert.equal(resaved.statusCode, 200, resaved.body);
    const titles = (await f.t.inject({ method: 'GET', url: '/feeds/subprocessors.json' })).json<{ items: { title: string }[] }>().items.map((i) => i.title);
    assert.equal(titles.filter((t) => t.includes('Mailgun')).length, 1);

    f.clock.advance(30 * DAY);
    const late = await f.t.inject({ method: 'POST', url: '/api/v1/subscriptions/objections', payload: { token: objection, reason: 'too late' } });
    assert.equal(late.statusCode, 409);
    assert.equal(late.json<{ code: string }>().code, 'objection_window_closed');
  });

  it('TR-3: an entry dated before today records the existing list without a notice; a removal is announced at once', async () => {
    admin = await f.admin();
    const before = (await f.t.inject({ method: 'GET', url: '/feeds/subprocessors.json' })).json<{ items: unknown[] }>().items.length;
    const created = await api('POST', '/api/v1/platform/trust/entries', { kind: 'subprocessor', data: { name: 'Old Cloud', purpose: 'Hosting', data_categories: [], location: 'EU', effective_from: '2024-01-01' } });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await f.t.inject({ method: 'GET', url: '/feeds/subprocessors.json' })).json<{ items: unknown[] }>().items.length, before);
    assert.equal((await api('DELETE', `/api/v1/platform/trust/entries/${created.json<{ id: string }>().id}`)).statusCode, 204);
    const feed = (await f.t.inject({ method: 'GET', url: '/feeds/subprocessors.json' })).json<{ items: { title: string }[] }>();
    assert.equal(feed.items[0]?.title, 'Subprocessor removed: Old Cloud');
  });

  it('IR-4, TR-3: each step is an audit event', async () => {
    const actions = await f.t.database.db.withOwner((s) => s.query<{ action: string }>(`select action from audit_events where action like 'subscription.%' union select event->>'action' from audit_inbox where event->>'action' like 'subscription.%'`));
    const names = new Set(actions.map((a) => a.action));
    for (const a of ['subscription.requested', 'subscription.confirmed', 'subscription.unsubscribed', 'subscription.published', 'subscription.objection_recorded']) assert.ok(names.has(a), a);
  });
});
