import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { application, authorizationRequest, Browser, discover, startProvider, type Running } from './openid-test-fixture.ts';

describe('OpenID Provider: per-organization branding of the hosted pages', () => {
  let r: Running;
  let config: oidc.Configuration;
  const url = () => `/api/v1/organizations/${r.org.orgId}/branding`;
  const put = (payload: Record<string, unknown>) => r.t.inject({ method: 'PUT', url: url(), payload: { display_name: null, logo_url: null, primary_color: null, background_color: null, ...payload }, headers: { cookie: r.org.cookie } });

  async function signInPage(): Promise<Response> {
    const request = await authorizationRequest(config);
    return (await new Browser(r.issuer).follow(request.url.href)).response;
  }

  before(async () => {
    r = await startProvider('branding');
    config = await discover(r, await application(r));
  });
  after(async () => {
    await r.t.close();
  });

  it('shows the name (escaped) and the https logo, links the colours as a same-origin stylesheet, and keeps the CSP strict', async () => {
    const saved = await put({ display_name: '<script>alert(1)</script> & Co', logo_url: 'https://cdn.example.com/logo.png?v=1', primary_color: '#A1b', background_color: '#102030' });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.deepEqual(saved.json(), { display_name: '<script>alert(1)</script> & Co', logo_url: 'https://cdn.example.com/logo.png?v=1', primary_color: '#aa11bb', background_color: '#102030' });
    const page = await signInPage();
    const body = await page.text();
    assert.ok(!body.includes('<script>alert(1)</script>'), 'the display name was rendered as markup');
    assert.ok(body.includes('&#60;script&#62;alert(1)&#60;/script&#62; &#38; Co'));
    assert.match(body, /<img class="brand-logo" src="https:\/\/cdn\.example\.com\/logo\.png\?v=1"/);
    const stylesheet = `/oidc/branding/${r.org.orgId}/style.css`;
    assert.ok(body.includes(`<link rel="stylesheet" href="${stylesheet}">`));
    assert.ok(!/style=/.test(body), 'inline style on a hosted page');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.match(csp, /style-src 'self';/);
    assert.match(csp, /img-src 'self' https:\/\/cdn\.example\.com;/);
    assert.match(csp, /frame-ancestors 'none'/);
    const css = await fetch(`${r.issuer}${stylesheet}`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const text = await css.text();
    assert.match(text, /background: #102030/);
    assert.match(text, /#aa11bb/);
  });

  for (const [label, payload] of [
    ['a javascript: logo', { logo_url: 'javascript:alert(1)' }],
    ['an http logo', { logo_url: 'http://cdn.example.com/logo.png' }],
    ['a data: logo', { logo_url: 'data:image/svg+xml,<svg onload=alert(1)>' }],
    ['a logo with userinfo', { logo_url: 'https://user:pass@cdn.example.com/logo.png' }],
    ['a colour that is CSS, not hex', { primary_color: 'red;}' }],
    ['a named colour', { background_color: 'red' }],
    ['a hex colour of the wrong length', { primary_color: '#12345' }],
  ] as const) {
    it(`refuses ${label} and keeps what was saved`, async () => {
      const before_ = (await r.t.inject({ method: 'GET', url: url(), headers: { cookie: r.org.cookie } })).json<unknown>();
      const refused = await put(payload);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.equal(refused.json<{ code: string }>().code, 'invalid_request');
      assert.deepEqual((await r.t.inject({ method: 'GET', url: url(), headers: { cookie: r.org.cookie } })).json(), before_);
    });
  }

  it('the database itself refuses a colour that is not #rrggbb (column check), whatever writes it', async () => {
    // The column check refuses it; the renderer's own check is the second line.
    await assert.rejects(r.t.transactor.withTenant(r.org.orgId, (tx) => tx.updateTable('oidc_branding').set({ primary_color: 'red;}body{display:none' }).where('tenant_id', '=', r.org.orgId).execute()));
  });

  it('without branding the pages carry no header, no stylesheet link and img-src self only', async () => {
    const other = await startProvider('no-branding');
    try {
      const otherConfig = await discover(other, await application(other));
      const request = await authorizationRequest(otherConfig);
      const page = (await new Browser(other.issuer).follow(request.url.href)).response;
      const body = await page.text();
      assert.ok(!body.includes('brand-logo') && !body.includes('rel="stylesheet"'));
      assert.match(page.headers.get('content-security-policy') ?? '', /img-src 'self';/);
    } finally {
      await other.t.close();
    }
  });
});
