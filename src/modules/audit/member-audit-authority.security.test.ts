// Issue 13: SQL injected as parapet_app must not write audit events into another user's
// organizations. parapet_audit_record_for_member writes a user's events into each of their
// organizations' logs; since migration 0121 it does so only with a MAC over the user and the exact
// events under the tenant-context key, which the database never hands to the app role.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { CompiledQuery } from 'kysely';
import { openTestDatabase, postgresSkipReason, TEST_KEYRING } from '../../../test/support/databases.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, type Member } from '../../../test/support/access.ts';
import { PLATFORM_TENANT_ID } from './index.ts';
import { memberAuthorityMessage } from './audit-recorder.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = await postgresSkipReason();

interface Event {
  readonly action: string;
  readonly actor: { readonly id: string | null };
  readonly metadata: Record<string, unknown>;
}

/** One forged event in the organizations' form, as injected SQL would write it. */
function forgedEvents(victim: string): string {
  const id = crypto.randomUUID();
  return JSON.stringify([
    { v: 1, id, tenant_id: PLATFORM_TENANT_ID, occurred_at: new Date().toISOString(), actor: { type: 'user', id: victim, display_name: null }, action: 'password.changed', targets: [{ type: 'user', id: victim }], outcome: 'success', source: { ip: null, user_agent: null }, request_id: null, metadata: { forged: true } },
  ]);
}

peerSuite('SQL injected as parapet_app cannot write audit events in another user\u2019s name (issue 13, TEN-1, AUD-1)', skip, () => {
  let t: TestApp;
  let sql: pg.Client;
  let org: { orgId: string; admin: Member };
  let victimEmail: string;
  let victim: string;

  before(async () => {
    t = await createTestApp({ database: await openTestDatabase('postgres') });
    sql = new pg.Client({ connectionString: t.database.urls?.app });
    await sql.connect();
    org = await createOrg(t, 'audit-authority');
    victimEmail = `victim-${crypto.randomUUID()}@example.com`;
    victim = (await t.createUser(victimEmail, TEST_PASSWORD)).id;
    await addMember(t, org.orgId, victim);
  });
  after(async () => {
    await sql.end();
    await t.close();
    await t.database.close();
  });

  /** The organization's log through the HTTP API, as its administrators and SIEM see it. */
  async function orgLog(): Promise<Event[]> {
    await t.app.services.audit.sequencer.drain();
    const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/audit/events?limit=500`, headers: { cookie: org.admin.cookie } });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ items: Event[] }>().items;
  }

  /** The call, made by injected SQL inside a transaction the application opened in the platform log's context. */
  const inject = (member: string, events: string, expiresAt: number, mac: string | null) =>
    t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
      tx.executeQuery(CompiledQuery.raw('select parapet_audit_record_for_member($1::uuid, $2::jsonb, $3, $4::int8, $5)', [member, '[]', events, expiresAt, mac])),
    );

  it('TEN-1: the old form, which wrote events for any user, is gone', async () => {
    await assert.rejects(sql.query("select parapet_audit_record_for_member($1::uuid, '[]'::jsonb, $2::jsonb)", [victim, forgedEvents(victim)]), /does not exist/);
  });

  it('TEN-1: injected SQL in the platform context cannot copy events into a member\u2019s organizations without the application\u2019s MAC', async () => {
    const events = forgedEvents(victim);
    const expiresAt = Date.now() + 5_000;
    const authority = (key: Buffer, message: string) => createHmac('sha256', key).update(message, 'utf8').digest('hex');
    const realKey = TEST_KEYRING.derive('tenant-context-mac');
    // No MAC, a random one, one under a guessed key.
    for (const mac of [null, randomBytes(32).toString('hex'), authority(randomBytes(32), memberAuthorityMessage(victim, expiresAt, events))]) {
      await assert.rejects(inject(victim, events, expiresAt, mac), /authority/);
    }
    // A real MAC (the test holds the keyring; an attacker does not) replayed onto anything else:
    // the attacker's own events moved to the victim, other events, a later expiry.
    const own = authority(realKey, memberAuthorityMessage(org.admin.userId, expiresAt, events));
    await assert.rejects(inject(victim, events, expiresAt, own), /authority/);
    const forOther = authority(realKey, memberAuthorityMessage(victim, expiresAt, forgedEvents(victim)));
    await assert.rejects(inject(victim, events, expiresAt, forOther), /authority/);
    const real = authority(realKey, memberAuthorityMessage(victim, expiresAt, events));
    await assert.rejects(inject(victim, events, expiresAt + 5_000, real), /authority/);
    // Expired.
    const past = Date.now() - 1_000;
    await assert.rejects(inject(victim, events, past, authority(realKey, memberAuthorityMessage(victim, past, events))), /authority/);
    // Without any context (parapet_app's own login), refused before anything is written.
    await assert.rejects(sql.query('select parapet_audit_record_for_member($1::uuid, $2::jsonb, $3, $4::int8, $5)', [victim, '[]', events, expiresAt, real]), /platform log/);
    // The organization's log, through the API, shows no forged event.
    assert.deepEqual((await orgLog()).filter((e) => e.metadata['forged'] === true), []);
  });

  it('AUD-1: the application\u2019s own copies still arrive (a sign-in of the member appears in the organization\u2019s log)', async () => {
    await t.login(victimEmail, TEST_PASSWORD);
    assert.ok((await orgLog()).some((e) => e.action === 'session.created' && e.actor.id === victim));
  });
});
