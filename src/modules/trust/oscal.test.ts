// The OSCAL assessment-results export of the trust center's check results (issue 20): the required
// fields of the NIST OSCAL 1.1 assessment-results model, checked field by field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import type { PublicResult } from './evidence.ts';
import { assessmentResults, oscalUuid } from './oscal.ts';

// OSCAL 1.1 `UUIDDatatype`: version 4 or 5 only.
const OSCAL_UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$/;
// OSCAL `DateTimeWithTimezoneDatatype`.
const DATE_TIME_TZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;
const obj = (value: unknown, where: string): Json => {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${where} is an object`);
  return value as Json;
};
const arr = (value: unknown, where: string): unknown[] => {
  assert.ok(Array.isArray(value) && value.length > 0, `${where} is a non-empty array`);
  return value;
};
const str = (value: unknown, where: string): string => {
  assert.ok(typeof value === 'string' && value.length > 0, `${where} is a non-empty string`);
  return value;
};

/** The required fields of the OSCAL 1.1 assessment-results model (and the datatypes of the ones we emit). */
function assertAssessmentResults(document: unknown): { findings: Json[]; observations: Json[] } {
  const root = obj(obj(document, 'document')['assessment-results'], 'assessment-results');
  assert.match(str(root['uuid'], 'uuid'), OSCAL_UUID);
  const metadata = obj(root['metadata'], 'metadata');
  str(metadata['title'], 'metadata.title');
  assert.match(str(metadata['last-modified'], 'metadata.last-modified'), DATE_TIME_TZ);
  str(metadata['version'], 'metadata.version');
  assert.match(str(metadata['oscal-version'], 'metadata.oscal-version'), /^1\.1\.\d+$/);
  str(obj(root['import-ap'], 'import-ap')['href'], 'import-ap.href');
  const findings: Json[] = [];
  const observations: Json[] = [];
  for (const [i, raw] of arr(root['results'], 'results').entries()) {
    const result = obj(raw, `results[${i}]`);
    assert.match(str(result['uuid'], 'result.uuid'), OSCAL_UUID);
    str(result['title'], 'result.title');
    str(result['description'], 'result.description');
    assert.match(str(result['start'], 'result.start'), DATE_TIME_TZ);
    if (result['end'] !== undefined) assert.match(str(result['end'], 'result.end'), DATE_TIME_TZ);
    arr(obj(result['reviewed-controls'], 'reviewed-controls')['control-selections'], 'control-selections');
    const seen = new Set<string>();
    for (const rawObservation of (result['observations'] as unknown[] | undefined) ?? []) {
      const o = obj(rawObservation, 'observation');
      seen.add(str(o['uuid'], 'observation.uuid'));
      assert.match(str(o['uuid'], 'observation.uuid'), OSCAL_UUID);
      str(o['description'], 'observation.description');
      for (const method of arr(o['methods'], 'observation.methods')) assert.ok(['EXAMINE', 'INTERVIEW', 'TEST', 'UNKNOWN'].includes(String(method)));
      assert.match(str(o['collected'], 'observation.collected'), DATE_TIME_TZ);
      observations.push(o);
    }
    for (const rawFinding of (result['findings'] as unknown[] | undefined) ?? []) {
      const f = obj(rawFinding, 'finding');
      assert.match(str(f['uuid'], 'finding.uuid'), OSCAL_UUID);
      str(f['title'], 'finding.title');
      str(f['description'], 'finding.description');
      const target = obj(f['target'], 'finding.target');
      assert.ok(['statement-id', 'objective-id'].includes(str(target['type'], 'target.type')));
      str(target['target-id'], 'target.target-id');
      assert.ok(['satisfied', 'not-satisfied'].includes(str(obj(target['status'], 'target.status')['state'], 'target.status.state')));
      for (const related of (f['related-observations'] as unknown[] | undefined) ?? []) assert.ok(seen.has(str(obj(related, 'related')['observation-uuid'], 'observation-uuid')), 'a related observation exists');
      findings.push(f);
    }
  }
  return { findings, observations };
}

const result = (id: string, check: string, claims: string[], status: string): PublicResult => ({ id, check_id: check, claims, status, statement: `${check} ${status}`, started_at: '2026-12-01T10:00:00.000Z', finished_at: '2026-12-01T10:00:01.000Z' });

describe('OSCAL assessment-results export (TR-4)', () => {
  it('TR-4: the document has every required field of the OSCAL 1.1 assessment-results model; a claim with a failing check is not-satisfied', () => {
    const document = assessmentResults({
      title: 'Example',
      publicUrl: 'https://trust.example.com',
      generatedAt: new Date('2026-12-01T10:00:02.000Z'),
      results: [result('r1', 'ten1.forced-rls', ['TEN-1'], 'pass'), result('r2', 'ten1.canary', ['TEN-1'], 'fail'), result('r3', 'enc.tls', ['ENC-6'], 'not_applicable'), result('r4', 'auth.lockout', ['AUTH-6'], 'pass')],
    });
    const { findings, observations } = assertAssessmentResults(JSON.parse(JSON.stringify(document)));
    assert.equal(observations.length, 4, 'one observation per check');
    const state = (claim: string) => findings.map((f) => obj(f['target'], 't')).find((t) => t['target-id'] === claim)?.['status'];
    assert.deepEqual(state('TEN-1'), { state: 'not-satisfied' });
    assert.deepEqual(state('AUTH-6'), { state: 'satisfied' });
    assert.equal(state('ENC-6'), undefined, 'a claim whose checks are all not applicable has no finding');
  });

  it('makes OSCAL-valid name-based UUIDs, the same for the same input', () => {
    assert.match(oscalUuid('x'), OSCAL_UUID);
    assert.equal(oscalUuid('x'), oscalUuid('x'));
    assert.notEqual(oscalUuid('x'), oscalUuid('y'));
  });

  describe('served', () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp();
    });
    after(async () => {
      await t.close();
    });

    it('TR-4: /trust/assessment-results.json holds the same results as the signed evidence, in OSCAL form', async () => {
      await t.createUser('oscal-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
      const admin = await t.login('oscal-admin@example.com', TEST_PASSWORD);
      const ran = await t.inject({ method: 'POST', url: '/api/v1/platform/trust/checks/run', headers: { cookie: admin } });
      assert.equal(ran.statusCode, 200, ran.body);
      const evidence = (await t.inject({ method: 'GET', url: '/trust/evidence.json' })).json<{ results: PublicResult[] }>();
      const response = await t.inject({ method: 'GET', url: '/trust/assessment-results.json' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const { observations } = assertAssessmentResults(response.json());
      assert.deepEqual(observations.map((o) => o['title']).sort(), evidence.results.map((r) => r.check_id).sort());
    });
  });
});
