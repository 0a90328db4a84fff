// IR-5: the shipped Prometheus alerting rules name only metrics Parapet exports: the file is
// parsed with a YAML parser, and every `parapet_*` metric in each expression is found in the live
// /metrics output of a running app.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createTestApp, type TestApp } from '../support/app.ts';

interface Rule { alert?: string; expr?: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

const FILE = new URL('../../deploy/prometheus/parapet-alerts.yml', import.meta.url);

describe('the Prometheus alerting rules file (IR-5)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('IR-5: every rule has a name, an expression, a severity and a summary, and every metric it names is on /metrics', async () => {
    const doc = parse(readFileSync(FILE, 'utf8')) as { groups?: { name?: string; rules?: Rule[] }[] };
    const rules = (doc.groups ?? []).flatMap((g) => g.rules ?? []);
    assert.ok(rules.length >= 8, 'rules are shipped');
    // One request first, so the request histogram has samples.
    assert.equal((await t.inject({ method: 'GET', url: '/healthz' })).statusCode < 500, true);
    const metrics = await t.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200, metrics.body);
    const exported = new Set([...metrics.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) => {
      const name = m[1] ?? '';
      return m[2] === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
    }));
    const names = new Set<string>();
    for (const rule of rules) {
      assert.match(rule.alert ?? '', /^Parapet[A-Za-z]+$/, JSON.stringify(rule));
      assert.ok((rule.expr ?? '').length > 0, rule.alert);
      assert.match(rule.labels?.['severity'] ?? '', /^(page|ticket)$/, rule.alert);
      assert.ok((rule.annotations?.['summary'] ?? '').length > 0, rule.alert);
      for (const m of (rule.expr ?? '').matchAll(/\bparapet_[a-z0-9_]+/g)) names.add(m[0]);
    }
    assert.ok(names.size >= 8);
    for (const name of names) assert.ok(exported.has(name), `${name} is not on /metrics`);
  });
});
