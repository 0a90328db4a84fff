import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, post, type Member } from '../../../test/support/access.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { manualClock } from '../../platform/clock.ts';

interface Org {
  orgId: string;
  projectId: string;
  environmentId: string;
  admin: Member;
}

interface SecretBody {
  id: string;
  name: string;
  version: number;
  project_id: string;
  environment_id: string;
}

describe('secrets vault (ENC-4)', () => {
  const clock = manualClock(new Date('2026-03-01T09:00:00Z'));
  let t: TestApp;
  let org: Org;

  const base = (environmentId = org.environmentId, projectId = org.projectId) => `/api/v1/organizations/${org.orgId}/projects/${projectId}/environments/${environmentId}/secrets`;
  const set = (name: string, value: string, environmentId?: string) => t.inject({ method: 'POST', url: base(environmentId), payload: { name, value }, headers: { cookie: org.admin.cookie } });
  const get = (url: string, headers: Record<string, string> = { cookie: org.admin.cookie }) => t.inject({ method: 'GET', url, headers });

  before(async () => {
    t = await createTestApp({ clock });
    org = await createOrg(t, 'vault');
  });
  after(async () => {
    await t.close();
  });

  it('ENC-4: each set stores a new version; lists and metadata show versions, never values; any version reads back', async () => {
    const first = await set('STRIPE_API_KEY', 'sk_live_one');
    assert.equal(first.statusCode, 201, first.body);
    const created = first.json<SecretBody>();
    assert.equal(created.version, 1);
    assert.deepEqual(Object.keys(created).sort(), ['created_at', 'environment_id', 'id', 'name', 'organization_id', 'project_id', 'updated_at', 'version']);
    clock.advance(1000);
    const second = (await set('STRIPE_API_KEY', 'sk_live_two')).json<SecretBody>();
    assert.equal(second.version, 2);
    assert.equal(second.id, created.id);

    const list = await get(base());
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json<{ items: SecretBody[] }>().items.map((s) => [s.name, s.version]), [['STRIPE_API_KEY', 2]]);
    const versions = (await get(`${base()}/STRIPE_API_KEY/versions`)).json<{ items: { version: number; current: boolean; superseded_at: string | null }[] }>();
    assert.deepEqual(versions.items.map((v) => [v.version, v.current, v.superseded_at !== null]), [[1, false, true], [2, true, false]]);
    assert.equal((await get(`${base()}/STRIPE_API_KEY`)).json<SecretBody>().version, 2);

    assert.equal((await get(`${base()}/STRIPE_API_KEY/value`)).json<{ value: string; version: number }>().value, 'sk_live_two');
    const old = (await get(`${base()}/STRIPE_API_KEY/value?version=1&reason=incident%20123`)).json<{ value: string; version: number }>();
    assert.deepEqual([old.version, old.value], [1, 'sk_live_one']);
    assertProblem(await get(`${base()}/STRIPE_API_KEY/value?version=3`), 404, 'not_found');
  });

  it('ENC-4: names are validated, values bounded, and an environment answers only under its own project', async () => {
    for (const name of ['lower', '1DIGIT', 'WITH-DASH', 'A'.repeat(129), 'SPACE NAME', 'ÜMLAUT']) assertProblem(await set(name, 'x'), 400, 'invalid_secret_name');
    assertProblem(await get(`${base()}/lower_case`), 400, 'invalid_secret_name');
    assert.equal((await set('A'.repeat(128), 'x')).statusCode, 201);
    assert.equal((await set('_UNDERSCORE_1', 'x')).statusCode, 201);
    assertProblem(await set('EMPTY', ''), 400, 'invalid_request');
    assertProblem(await set('BIG', 'é'.repeat(32_769)), 413, 'secret_too_large');
    assert.equal((await set('EXACTLY_64K', 'é'.repeat(32_768))).statusCode, 201);
    assertProblem(await get(`${base()}/NEVER_SET/value`), 404, 'not_found');
    // Another project's environment, or an unknown one, is not here.
    const otherProject = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/projects`, { name: 'Other project' });
    assertProblem(await get(base(org.environmentId, otherProject)), 404, 'not_found');
    assertProblem(await get(base(crypto.randomUUID())), 404, 'not_found');
  });

  it('ENC-4: environments share nothing; a deleted secret leaves lists and reads, and its name can be set again', async () => {
    const staging = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments`, { name: 'staging', kind: 'staging' });
    await set('DATABASE_URL', 'postgres://prod');
    await set('DATABASE_URL', 'postgres://staging', staging);
    assert.equal((await get(`${base(staging)}/DATABASE_URL/value`)).json<{ value: string }>().value, 'postgres://staging');
    assert.deepEqual((await get(base(staging))).json<{ items: SecretBody[] }>().items.map((s) => s.name), ['DATABASE_URL']);

    const deleted = await t.inject({ method: 'DELETE', url: `${base()}/DATABASE_URL`, headers: { cookie: org.admin.cookie } });
    assert.equal(deleted.statusCode, 204);
    assertProblem(await get(`${base()}/DATABASE_URL`), 404, 'not_found');
    assertProblem(await get(`${base()}/DATABASE_URL/value`), 404, 'not_found');
    assert.ok(!(await get(base())).json<{ items: SecretBody[] }>().items.some((s) => s.name === 'DATABASE_URL'));
    assert.equal((await get(`${base(staging)}/DATABASE_URL/value`)).statusCode, 200, 'the other environment keeps its own');
    const again = (await set('DATABASE_URL', 'postgres://new')).json<SecretBody>();
    assert.equal(again.version, 1);
    assert.equal((await get(`${base()}/DATABASE_URL/value`)).json<{ value: string }>().value, 'postgres://new');
    // The deleted secret's versions are still stored, awaiting retention.
    const kept = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('secrets').select('id').where('name', '=', 'DATABASE_URL').where('deleted_at', 'is not', null).execute());
    assert.equal(kept.length, 1);
  });

  it('DATA-1: retention purges versions that stopped being current before the cutoff, never a current one', async () => {
    const purgeOrg = await createOrg(t, 'vault-retention');
    const url = `/api/v1/organizations/${purgeOrg.orgId}/projects/${purgeOrg.projectId}/environments/${purgeOrg.environmentId}/secrets`;
    const put = (name: string, value: string) => t.inject({ method: 'POST', url, payload: { name, value }, headers: { cookie: purgeOrg.admin.cookie } });
    // Minutes apart, so the admin's session (30 minutes idle) stays valid.
    const start = clock.now().getTime();
    await put('ROTATED', 'v1');
    await put('UNCHANGED', 'only');
    await put('GONE', 'g1');
    clock.set(new Date(start + 5 * 60_000));
    assert.equal((await put('ROTATED', 'v2')).statusCode, 201);
    assert.equal((await t.inject({ method: 'DELETE', url: `${url}/GONE`, headers: { cookie: purgeOrg.admin.cookie } })).statusCode, 204);
    clock.set(new Date(start + 15 * 60_000));
    assert.equal((await put('ROTATED', 'v3')).statusCode, 201);
    const service = t.app.services.secrets;
    // Cutoff between the two supersessions: only v1 of ROTATED and the deleted secret go.
    assert.deepEqual(await service.purgeVersionsOlderThan(purgeOrg.orgId, new Date(start + 10 * 60_000)), { versions: 2, secrets: 1 });
    const rows = await t.transactor.withTenant(purgeOrg.orgId, (tx) =>
      tx.selectFrom('secret_versions as v').innerJoin('secrets as s', (j) => j.onRef('s.id', '=', 'v.secret_id')).select(['s.name', 'v.version']).orderBy('s.name').orderBy('v.version').execute(),
    );
    assert.deepEqual(rows.map((r) => `${r.name}@${r.version}`), ['ROTATED@2', 'ROTATED@3', 'UNCHANGED@1']);
    // Far in the future, current versions still stay.
    assert.deepEqual(await service.purgeVersionsOlderThan(purgeOrg.orgId, new Date(start + 365 * 86_400_000)), { versions: 1, secrets: 0 });
    const left = await t.transactor.withTenant(purgeOrg.orgId, (tx) => tx.selectFrom('secret_versions').select('version').execute());
    assert.equal(left.length, 2);
    const read = await t.inject({ method: 'GET', url: `${url}/ROTATED/value`, headers: { cookie: purgeOrg.admin.cookie } });
    assert.equal(read.json<{ value: string }>().value, 'v3');
  });

  it('ENC-4, ENC-2: after tenant key rotation the job re-encrypts the envelope and values still read', async () => {
    await set('ROTATE_ME', 'survives rotation');
    const before_ = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('secret_versions').select(['id', 'value_encrypted']).execute());
    const version = await t.app.services.keys.maintenance.rotateTenant(org.orgId);
    clock.advance(600_000);
    while ((await t.app.services.keys.maintenance.pass()) > 0);
    const after_ = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('secret_versions').select(['id', 'value_encrypted']).execute());
    assert.equal(after_.length, before_.length);
    for (const row of after_) assert.ok(row.value_encrypted.startsWith(`pk1.${version}.`), row.value_encrypted.slice(0, 8));
    assert.equal((await get(`${base()}/ROTATE_ME/value`)).json<{ value: string }>().value, 'survives rotation');
    assert.equal((await get(`${base()}/STRIPE_API_KEY/value?version=1`)).json<{ value: string }>().value, 'sk_live_one');
  });

  it('ENC-4: an API key bound to one environment with secrets.read_value reads that environment only', async () => {
    const staging = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments`, { name: 'qa', kind: 'staging' });
    await set('QA_TOKEN', 'qa value', staging);
    const created = await t.inject({
      method: 'POST',
      url: `/api/v1/organizations/${org.orgId}/api-keys`,
      payload: { name: 'connector', permissions: ['secrets.read', 'secrets.read_value'], environment_id: staging },
      headers: { cookie: org.admin.cookie },
    });
    assert.equal(created.statusCode, 201, created.body);
    const key = created.json<{ key: string }>().key;
    const auth = { authorization: `Bearer ${key}` };
    assert.equal((await get(`${base(staging)}/QA_TOKEN/value`, auth)).json<{ value: string }>().value, 'qa value');
    assertProblem(await get(`${base()}/STRIPE_API_KEY/value`, auth), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'POST', url: base(staging), payload: { name: 'QA_TOKEN', value: 'x' }, headers: auth }), 403, 'forbidden');
  });
});
