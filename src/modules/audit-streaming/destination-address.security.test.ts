// AUD-5: an organization admin cannot point audit streaming at an address that is not an
// ordinary public host: every special-purpose range of the IANA registries (RFC 6890) is refused
// when a destination is saved, host names included (resolved at save time), unless the operator
// opened the network (PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

const REFUSED_HOSTS = [
  '2001:db8::1', '2001:db8:ffff::10', '192.0.2.10', '198.51.100.10', '203.0.113.10', '198.18.0.1', '240.0.0.1', '255.255.255.255', '0.0.0.0', '100.64.0.1', '192.0.0.8',
  '::', '::1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', '64:ff9b::a00:1', '100::1', '2001::1', '2002:a00:1::1', 'fc00::1', 'fe80::1', 'ff02::1',
  // Names: `localhost` resolves to loopback; numeric forms getaddrinfo reads as 127.0.0.1.
  'localhost', '127.1', '0x7f000001', '2130706433',
];

describe('audit destination addresses (AUD-5)', () => {
  let t: TestApp;
  let open: TestApp;
  let admin: Member;
  let base: string;

  before(async () => {
    t = await createTestApp();
    const org = await createOrg(t, 'dest');
    admin = org.admin;
    base = `/api/v1/organizations/${org.orgId}/audit/destinations`;
    open = await createTestApp({ env: { PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128,2001:db8::/32' } });
  });
  after(async () => {
    await t.close();
    await open.close();
  });

  const create = (app: TestApp, who: Member, url: string, payload: object) => app.inject({ method: 'POST', url, payload, headers: { cookie: who.cookie } });

  it('refuses syslog hosts and webhook URLs in reserved ranges, and names that resolve to them', async () => {
    for (const [i, host] of REFUSED_HOSTS.entries()) {
      assertProblem(await create(t, admin, base, { kind: 'syslog', name: `s${i}`, host, enabled: false }), 400, 'invalid_request');
      const urlHost = host.includes(':') ? `[${host}]` : host;
      assertProblem(await create(t, admin, base, { kind: 'webhook', name: `w${i}`, url: `https://${urlHost}/hook`, enabled: false }), 400, 'invalid_request');
    }
  });

  it('refuses the same addresses when a destination is changed', async () => {
    const created = await create(t, admin, base, { kind: 'syslog', name: 'public', host: '8.8.8.8', enabled: false });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json<{ id: string }>().id;
    for (const host of ['2001:db8::1', 'localhost']) {
      assertProblem(await t.inject({ method: 'PATCH', url: `${base}/${id}`, payload: { host }, headers: { cookie: admin.cookie } }), 400, 'invalid_request');
    }
  });

  it('accepts what the operator opened, and stores a numeric host as its IP address', async () => {
    const org = await createOrg(open, 'open');
    const url = `/api/v1/organizations/${org.orgId}/audit/destinations`;
    for (const [i, host] of ['localhost', '2001:db8::1', '127.1'].entries()) {
      const response = await create(open, org.admin, url, { kind: 'syslog', name: `ok${i}`, host, enabled: false });
      assert.equal(response.statusCode, 201, `${host}: ${response.body}`);
      if (host === '127.1') assert.equal(response.json<{ host: string }>().host, '127.0.0.1');
    }
  });
});
