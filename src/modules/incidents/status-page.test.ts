// The status page's component groups, scheduled maintenance and 90-day history (IR-4), with an
// injected clock; every operator text escaped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { platformEvents } from '../../../test/support/passkeys.ts';
import { manualClock } from '../../platform/clock.ts';
import { componentHistory } from './status-history.ts';

const DAY = 86_400_000;
const XSS = '<script>alert(1)</script>';

describe('status page: groups, maintenance, history (IR-4)', () => {
  const clock = manualClock(new Date('2026-12-01T12:00:00Z'));
  let t: TestApp;
  let admin: string;
  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => t.inject({ method, url, headers: { cookie: admin }, ...(payload === undefined ? {} : { payload }) });
  const login = async () => { admin = await t.login('status-admin@example.com', TEST_PASSWORD); };
  const page = async () => {
    const res = await t.inject({ method: 'GET', url: '/status' });
    assert.equal(res.statusCode, 200);
    return res.body;
  };

  before(async () => {
    t = await createTestApp({ clock });
    await t.createUser('status-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    await login();
  });
  after(async () => {
    await t.close();
  });

  it('IR-4: components are shown in their groups; group names are escaped', async () => {
    for (const [name, group] of [['Sign-in', 'Identity'], ['Tokens', 'Identity'], ['Console', ''], ['Hostile', `Group ${XSS}`]] as const) {
      const res = await api('POST', '/api/v1/platform/status/components', { name, status: 'operational', group });
      assert.equal(res.statusCode, 201, res.body);
    }
    const body = await page();
    assert.match(body, /<section class="group" aria-label="Identity"><h3>Identity<\/h3><ul class="components"><li class="component status-operational"><strong>Sign-in<\/strong>.*<strong>Tokens<\/strong>/s);
    assert.doesNotMatch(body, /<script>alert/);
    assert.match(body, /<h3>Group &#60;script&#62;/);
    const listed = (await api('GET', '/api/v1/platform/status/components')).json<{ items: { name: string; group: string }[] }>().items;
    assert.equal(listed.find((c) => c.name === 'Tokens')?.group, 'Identity');
  });

  it('IR-4: scheduled maintenance is shown ahead and while it runs (its components shown under maintenance), then no longer; a cancelled window disappears', async () => {
    const components = (await api('GET', '/api/v1/platform/status/components')).json<{ items: { id: string; name: string }[] }>().items;
    const signIn = components.find((c) => c.name === 'Sign-in')?.id ?? '';
    const start = new Date(clock.now().getTime() + 2 * 3_600_000);
    const end = new Date(start.getTime() + 3_600_000);
    const res = await api('POST', '/api/v1/platform/status/maintenance', { title: `Database upgrade ${XSS}`, body: 'Short read-only period.', components: [signIn], starts_at: start.toISOString(), ends_at: end.toISOString() });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json<{ id: string }>().id;
    let body = await page();
    assert.match(body, /Database upgrade &#60;script&#62;/);
    assert.doesNotMatch(body, /In progress/);
    assert.match(body, /<strong>Sign-in<\/strong> <span class="status">Operational/);
    clock.advance(2 * 3_600_000 + 1000);
    body = await page();
    assert.match(body, /In progress/);
    assert.match(body, /<strong>Sign-in<\/strong> <span class="status">Under maintenance/);
    assert.match(body, /<strong>Tokens<\/strong> <span class="status">Operational/);
    clock.advance(3_600_000);
    body = await page();
    assert.match(body, /No maintenance is scheduled\./);
    await login();
    const later = await api('POST', '/api/v1/platform/status/maintenance', { title: 'Cancelled window', starts_at: new Date(clock.now().getTime() + DAY).toISOString(), ends_at: new Date(clock.now().getTime() + DAY + 60_000).toISOString() });
    assert.equal(later.statusCode, 201, later.body);
    assert.match(await page(), /Cancelled window/);
    assert.equal((await api('POST', `/api/v1/platform/status/maintenance/${later.json<{ id: string }>().id}/cancel`)).statusCode, 204);
    assert.doesNotMatch(await page(), /Cancelled window/);
    assert.equal((await api('POST', `/api/v1/platform/status/maintenance/${later.json<{ id: string }>().id}/cancel`)).statusCode, 404);
    const bad = await api('POST', '/api/v1/platform/status/maintenance', { title: 'Backwards', starts_at: end.toISOString(), ends_at: start.toISOString() });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json<{ code: string }>().code, 'invalid_maintenance_window');
    assert.equal((await platformEvents(t, 'status.maintenance_changed')).filter((e) => e.targets.some((x) => x.id === id)).length, 1);
  });

  it('IR-4: each component shows its 90-day history from its recorded status changes', async () => {
    const components = (await api('GET', '/api/v1/platform/status/components')).json<{ items: { id: string; name: string; status: string; position: number; group: string }[] }>().items;
    const tokens = components.find((c) => c.name === 'Tokens');
    assert.ok(tokens !== undefined);
    const put = (status: string) => api('PUT', `/api/v1/platform/status/components/${tokens.id}`, { name: tokens.name, status, group: tokens.group });
    assert.equal((await put('major_outage')).statusCode, 200);
    clock.advance(3_600_000);
    await login();
    assert.equal((await put('operational')).statusCode, 200);
    const outageDay = new Date(clock.now().getTime() - 3_600_000).toISOString().slice(0, 10);
    clock.advance(2 * DAY);
    await login();
    const body = await page();
    const tokensItem = /<strong>Tokens<\/strong>.*?<\/li>/s.exec(body)?.[0] ?? '';
    assert.match(tokensItem, /2 of the last 3 days fully operational\./);
    assert.match(tokensItem, new RegExp(`<time datetime="${outageDay}">${outageDay}</time>: Major outage`));
    const consoleItem = /<strong>Console<\/strong>.*?<\/li>/s.exec(body)?.[0] ?? '';
    assert.match(consoleItem, /3 of the last 3 days fully operational\./);
  });

  it('IR-4: the history keeps the worst status of each day, starts when the component was created and covers 90 days', () => {
    const now = new Date('2026-12-10T08:00:00Z');
    const created = new Date('2026-12-07T10:00:00Z');
    const days = componentHistory(
      [
        { status: 'operational', changed_at: created },
        { status: 'degraded', changed_at: new Date('2026-12-08T23:59:00Z') },
        { status: 'major_outage', changed_at: new Date('2026-12-09T01:00:00Z') },
        { status: 'operational', changed_at: new Date('2026-12-09T02:00:00Z') },
      ],
      created, now, 90,
    );
    assert.equal(days.length, 90);
    assert.equal(days[89]?.day, '2026-12-10');
    assert.deepEqual(days.slice(-4), [
      { day: '2026-12-07', status: 'operational' },
      { day: '2026-12-08', status: 'degraded' },
      { day: '2026-12-09', status: 'major_outage' },
      { day: '2026-12-10', status: 'operational' },
    ]);
    assert.equal(days[85]?.status, null, 'before the component existed');
  });
});
