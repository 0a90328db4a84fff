// Documents under NDA (TR-2) and requesters' personal data (issue 20): a requester's requests are in
// the DATA-2 export by address — in the account's own export, and for a platform administrator
// answering a data-subject request of someone without an account — never another address's; closed
// requests leave with the DATA-1 retention purge; a refused download is an audit event that says why
// without the link or the address given.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD } from '../../../test/support/app.ts';
import { manualClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { allowDomains, download, downloadCode, requestDocument, requestRow, startNdaFixture, verifyCode, type NdaFixture } from './nda-test-fixture.ts';

const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
const unique = (domain: string) => `p-${systemRandom(5).toString('hex')}@${domain}`;
const DAY = 86_400_000;

describe('documents under NDA: requesters\u2019 personal data and refused downloads (TR-2, DATA-1, DATA-2)', () => {
  let f: NdaFixture;
  before(async () => {
    f = await startNdaFixture({ clock, app: (env) => createTestApp({ env, clock }) });
    await allowDomains(f, ['allowed.example']);
  });
  after(async () => {
    await f.close();
  });

  /** The platform log's events of `action`, as stored (canonical JSON text). */
  async function events(action: string): Promise<{ outcome: string; text: string; targets: string[] }[]> {
    await f.t.app.services.audit.sequencer.drain();
    const rows = await f.t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('audit_events').select(['outcome', 'canonical', 'target_ids']).where('tenant_id', '=', PLATFORM_TENANT_ID).where('action', '=', action).orderBy('seq').execute());
    return rows.map((r) => ({ outcome: r.outcome, text: Buffer.from(r.canonical).toString('utf8'), targets: r.target_ids }));
  }

  it('TR-2 DATA-2: an account\u2019s export holds the NDA requests made with its address, and no other address\u2019s', async () => {
    const email = unique('allowed.example');
    const other = unique('allowed.example');
    assert.equal((await verifyCode(f, await requestDocument(f, email))).statusCode, 200);
    await requestDocument(f, other);
    await f.t.createUser(email, TEST_PASSWORD);
    const cookie = await f.t.login(email, TEST_PASSWORD);
    const exported = await f.t.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: { cookie } });
    assert.equal(exported.statusCode, 200, exported.body);
    const section = exported.json<{ trust_nda_requests: { email: string; document: string; name: string; company: string; status: string; nda_sha256: string; links_mailed: number }[] }>().trust_nda_requests;
    assert.equal(section.length, 1);
    assert.equal(section[0]?.email, email);
    assert.equal(section[0]?.document, 'SOC 2 Type II report');
    assert.equal(section[0]?.status, 'approved');
    assert.equal(section[0]?.links_mailed, 2, 'the verification and the download link');
    assert.ok(!exported.body.includes(other), 'no other requester');
    assert.doesNotMatch(JSON.stringify(section), /token/i, 'no link tokens or their hashes');
  });

  it('TR-2 DATA-2: a platform administrator exports one address\u2019s requests for a data-subject request (audited); others get 403', async () => {
    const email = unique('visitor.example');
    await requestDocument(f, email);
    await requestDocument(f, unique('visitor.example'));
    const response = await f.t.inject({ method: 'POST', url: '/api/v1/platform/trust/nda-requests/personal-data', headers: { cookie: f.admin }, payload: { email: email.toUpperCase() } });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{ email: string; requests: { email: string; status: string; accepted_ip: string | null }[] }>();
    assert.equal(body.email, email);
    assert.deepEqual(body.requests.map((r) => [r.email, r.status]), [[email, 'unverified']]);
    const row = await requestRow(f, email);
    assert.ok((await events('trust.nda_personal_data_exported')).some((e) => e.targets.includes(row.id)));
    await f.t.createUser('not-admin-nda@example.com', TEST_PASSWORD);
    const user = await f.t.login('not-admin-nda@example.com', TEST_PASSWORD);
    assert.equal((await f.t.inject({ method: 'POST', url: '/api/v1/platform/trust/nda-requests/personal-data', headers: { cookie: user }, payload: { email } })).statusCode, 403);
    assert.equal((await f.t.inject({ method: 'POST', url: '/api/v1/platform/trust/nda-requests/personal-data', payload: { email } })).statusCode, 401);
    const bad = await f.t.inject({ method: 'POST', url: '/api/v1/platform/trust/nda-requests/personal-data', headers: { cookie: f.admin }, payload: { email: "x' or 1=1 --" } });
    assert.equal(bad.statusCode, 400);
    assert.ok(!bad.body.includes('1=1'), 'bad input is not echoed');
  });

  it('TR-2: each refused download is an audit event with its reason and request, never the link or the address given', async () => {
    const email = unique('allowed.example');
    assert.equal((await verifyCode(f, await requestDocument(f, email))).statusCode, 200);
    const code = await downloadCode(f, email);
    const row = await requestRow(f, email);
    const before = (await events('trust.nda_download_failed')).length;
    const stranger = `stranger-${systemRandom(4).toString('hex')}@elsewhere.example`;
    assert.equal((await download(f, stranger, code)).statusCode, 400); // another address
    assert.equal((await download(f, email, 'A'.repeat(43))).statusCode, 400); // unknown link
    assert.equal((await download(f, email, 'short')).statusCode, 400); // malformed
    assert.equal((await download(f, email, code)).statusCode, 200);
    assert.equal((await download(f, email, code)).statusCode, 400); // used
    const failed = (await events('trust.nda_download_failed')).slice(before);
    // (Events of the same millisecond of the test's clock are ordered by id, not by time: compared as a set.)
    const byReason = new Map(failed.map((e) => [(JSON.parse(e.text) as { metadata: { reason: string } }).metadata.reason, e]));
    assert.deepEqual([...byReason.keys()].sort(), ['malformed', 'other_address', 'unknown', 'used']);
    assert.deepEqual(['other_address', 'unknown', 'malformed', 'used'].map((r) => byReason.get(r)?.targets.includes(row.id)), [true, false, false, true], 'the request, when the link is known');
    for (const event of failed) {
      assert.equal(event.outcome, 'failure');
      assert.ok(!event.text.includes(code), 'no link token');
      assert.ok(!event.text.includes(stranger) && !event.text.includes(email), 'no address');
    }
    // Revoked: a fresh approval's link is refused as no longer approved.
    const again = unique('allowed.example');
    assert.equal((await verifyCode(f, await requestDocument(f, again))).statusCode, 200);
    const fresh = await downloadCode(f, again);
    const revokedId = (await requestRow(f, again)).id;
    assert.equal((await f.t.inject({ method: 'POST', url: `/api/v1/platform/trust/nda-requests/${revokedId}/revoke`, headers: { cookie: f.admin } })).statusCode, 204);
    assert.equal((await download(f, again, fresh)).statusCode, 400);
    const last = (await events('trust.nda_download_failed')).at(-1);
    assert.equal((JSON.parse(last?.text ?? '{}') as { metadata?: { reason?: string } }).metadata?.reason, 'not_approved');
    // Expired.
    const late = unique('allowed.example');
    assert.equal((await verifyCode(f, await requestDocument(f, late))).statusCode, 200);
    const lateCode = await downloadCode(f, late);
    clock.set(new Date(clock.now().getTime() + 49 * 3_600_000));
    assert.equal((await download(f, late, lateCode)).statusCode, 400);
    const expired = (await events('trust.nda_download_failed')).at(-1);
    assert.equal((JSON.parse(expired?.text ?? '{}') as { metadata?: { reason?: string } }).metadata?.reason, 'expired');
  });
  it('DATA-1: the retention purge removes closed requests (and their links) past the period; a request awaiting a decision stays', async () => {
    const closed = unique('allowed.example');
    const waiting = unique('waiting.example');
    assert.equal((await verifyCode(f, await requestDocument(f, closed))).statusCode, 200); // approved by rule
    assert.equal((await verifyCode(f, await requestDocument(f, waiting))).statusCode, 200); // pending: no rule for its domain
    const closedId = (await requestRow(f, closed)).id;
    const waitingId = (await requestRow(f, waiting)).id;
    assert.equal((await requestRow(f, waiting)).status, 'pending');
    const retention = f.t.app.services.lifecycle.retention;
    clock.set(new Date(clock.now().getTime() + 364 * DAY));
    await retention.purgeAll({ types: ['trust_nda_requests'] });
    const ids = async () => new Set((await f.t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('trust_nda_requests').select('id').execute())).map((r) => r.id));
    assert.ok((await ids()).has(closedId), 'inside the period it stays');
    clock.set(new Date(clock.now().getTime() + 2 * DAY));
    const [report] = await retention.purgeAll({ types: ['trust_nda_requests'] });
    assert.ok((report?.removed ?? 0) >= 1);
    const left = await ids();
    assert.ok(!left.has(closedId), 'a closed request past the period is removed');
    assert.ok(left.has(waitingId), 'a request awaiting a decision is kept');
    const links = await f.t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('trust_nda_tokens').select('id').where('request_id', '=', closedId).execute());
    assert.equal(links.length, 0, 'its links went with it');
  });
});
