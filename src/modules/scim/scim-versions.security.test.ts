import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { testDns, type TestDns } from '../sso/sso-test-fixture.ts';
import { assertScimError, scim, scimOrg, type ScimOrg } from './scim-test-fixture.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface UserBody {
  id: string;
  userName?: string;
  emails?: { value?: string; type?: string; primary?: boolean }[];
  name?: { givenName?: string; familyName?: string };
  meta?: { version: string };
  [key: string]: unknown;
}

// AUTH-4 (issue 18 part 4): SCIM versioning (RFC 7644 §3.14: ETag, meta.version, If-Match,
// If-None-Match) and attribute projection (§3.4.2.5: attributes, excludedAttributes).
describe('scim: ETags, If-Match and attribute projection (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let org: ScimOrg;
  let base: string;

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    org = await scimOrg(t, dns, 'versions');
    base = `/scim/v2/${org.directoryId}`;
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  async function newUser(label: string): Promise<{ id: string; etag: string }> {
    const email = `${label}-${crypto.randomUUID().slice(0, 8)}@${org.domain}`;
    const created = await scim(t, org.token, 'POST', `${base}/Users`, { schemas: [USER], userName: email, name: { givenName: 'Kate', familyName: 'Libby' }, emails: [{ value: email, type: 'work', primary: true }], active: true });
    assert.equal(created.statusCode, 201, created.body);
    const etag = String(created.headers.etag);
    assert.equal(created.json<UserBody>().meta?.version, etag);
    return { id: created.json<UserBody>().id, etag };
  }
  const rename = (familyName: string) => ({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.familyName', value: familyName }] });

  it('AUTH-4: a resource answers its version as ETag and meta.version; If-None-Match with it is 304; every change raises it', async () => {
    const user = await newUser('etag');
    assert.equal(user.etag, 'W/"1"');
    const unchanged = await scim(t, org.token, 'GET', `${base}/Users/${user.id}`, undefined, { 'if-none-match': user.etag });
    assert.equal(unchanged.statusCode, 304);
    assert.equal(unchanged.body, '');
    const patched = await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, rename('Acid Burn'), { 'if-match': user.etag });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.headers.etag, 'W/"2"');
    assert.equal((await scim(t, org.token, 'GET', `${base}/Users/${user.id}`, undefined, { 'if-none-match': user.etag })).statusCode, 200);
    // Joining a group changes the user's `groups` attribute, and so its version.
    const group = await scim(t, org.token, 'POST', `${base}/Groups`, { schemas: [GROUP], displayName: 'Elite', members: [{ value: user.id }] });
    assert.equal(group.statusCode, 201, group.body);
    assert.equal(group.headers.etag, 'W/"1"');
    assert.equal((await scim(t, org.token, 'GET', `${base}/Users/${user.id}`)).headers.etag, 'W/"3"');
    const config = await scim(t, org.token, 'GET', `${base}/ServiceProviderConfig`);
    assert.equal(config.json<{ etag: { supported: boolean } }>().etag.supported, true);
  });

  it('AUTH-4: PUT, PATCH and DELETE with a stale If-Match are refused with 412 and change nothing; the current one or * passes', async () => {
    const user = await newUser('stale');
    assert.equal((await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, rename('One'))).statusCode, 200);
    const stale = { 'if-match': user.etag };
    assertScimError(await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, rename('Two'), stale), 412);
    const current = await scim(t, org.token, 'GET', `${base}/Users/${user.id}`);
    assertScimError(await scim(t, org.token, 'PUT', `${base}/Users/${user.id}`, { ...current.json<UserBody>(), name: { familyName: 'Three' } }, stale), 412);
    assertScimError(await scim(t, org.token, 'DELETE', `${base}/Users/${user.id}`, undefined, stale), 412);
    const after = await scim(t, org.token, 'GET', `${base}/Users/${user.id}`);
    assert.equal(after.statusCode, 200, 'the user was not deleted');
    assert.equal(after.json<UserBody>().name?.familyName, 'One');
    assert.equal(after.headers.etag, current.headers.etag);
    const group = await scim(t, org.token, 'POST', `${base}/Groups`, { schemas: [GROUP], displayName: `G-${crypto.randomUUID().slice(0, 6)}` });
    const groupId = group.json<{ id: string }>().id;
    assert.equal((await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }] }, { 'if-match': String(group.headers.etag) })).statusCode, 200);
    assertScimError(await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Renamed' }] }, { 'if-match': String(group.headers.etag) }), 412);
    assertScimError(await scim(t, org.token, 'DELETE', `${base}/Groups/${groupId}`, undefined, { 'if-match': String(group.headers.etag) }), 412);
    assert.equal((await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, rename('Four'), { 'if-match': '*' })).statusCode, 200);
    assert.equal((await scim(t, org.token, 'DELETE', `${base}/Users/${user.id}`, undefined, { 'if-match': `W/"nope", ${String((await scim(t, org.token, 'GET', `${base}/Users/${user.id}`)).headers.etag)}` })).statusCode, 204);
  });

  it('AUTH-4: parallel PATCHes naming the same version: at most one is applied, the others are 412 (no lost update)', async () => {
    const user = await newUser('race');
    const answers = await Promise.all(['A', 'B', 'C', 'D'].map((name) => scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, rename(name), { 'if-match': user.etag })));
    const applied = answers.filter((a) => a.statusCode === 200);
    assert.equal(applied.length, 1, answers.map((a) => a.statusCode).join(','));
    for (const answer of answers) if (answer.statusCode !== 200) assertScimError(answer, 412);
    const final = await scim(t, org.token, 'GET', `${base}/Users/${user.id}`);
    assert.equal(final.headers.etag, 'W/"2"');
    assert.equal(final.json<UserBody>().name?.familyName, applied[0]?.json<UserBody>().name?.familyName);
  });

  it('AUTH-4: attributes= returns only the named attributes (and id, schemas); excludedAttributes= leaves them out; sub-attributes and schema-qualified names work; a malformed name is 400', async () => {
    const user = await newUser('projection');
    const only = await scim(t, org.token, 'GET', `${base}/Users/${user.id}?attributes=userName,emails.value`);
    assert.equal(only.statusCode, 200, only.body);
    const body = only.json<UserBody>();
    assert.deepEqual(Object.keys(body).sort(), ['emails', 'id', 'schemas', 'userName']);
    assert.deepEqual(body.emails?.map((e) => Object.keys(e)), [['value']]);
    const qualified = (await scim(t, org.token, 'GET', `${base}/Users/${user.id}?attributes=${encodeURIComponent(`${USER}:name.givenName`)}`)).json<UserBody>();
    assert.deepEqual(qualified.name, { givenName: 'Kate' });
    const without = (await scim(t, org.token, 'GET', `${base}/Users/${user.id}?excludedAttributes=emails,name.familyName,id,meta`)).json<UserBody>();
    assert.equal(without.emails, undefined);
    assert.equal(without.meta, undefined);
    assert.equal(without.id, user.id, 'id is always returned');
    assert.deepEqual(without.name, { givenName: 'Kate' });
    const listed = await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent(`id eq "${user.id}"`)}&attributes=active`);
    assert.deepEqual(Object.keys(listed.json<{ Resources: UserBody[] }>().Resources[0] ?? {}).sort(), ['active', 'id', 'schemas']);
    for (const bad of ['emails..value', '1abc', "userName'--", 'a.b.c']) {
      const refused = await scim(t, org.token, 'GET', `${base}/Users/${user.id}?attributes=${encodeURIComponent(bad)}`);
      assertScimError(refused, 400, 'invalidValue');
      assert.ok(!refused.body.includes(bad), 'the name is not echoed');
    }
  });
});
