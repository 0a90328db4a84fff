// Test-only: an organization in a test app and the streaming module built on the app's services,
// so tests can drive destinations and the delivery worker directly.
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { manualClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import type { AuditContext } from '../audit/audit-event.ts';
import { createAuditStreaming, type AuditStreaming } from './index.ts';
import type { RetryPolicy } from './retry-delay.ts';

export interface StreamingFixture {
  readonly t: TestApp;
  readonly clock: ReturnType<typeof manualClock>;
  readonly streaming: AuditStreaming;
  readonly orgId: string;
  readonly ctx: AuditContext;
  readonly cookie: string;
  /** Records `count` events in the organization's log and sequences them. */
  addEvents(count: number, displayName?: string): Promise<void>;
  cursor(destinationId: string): Promise<{ next_seq: number; attempts: number; next_attempt_at: Date; last_error: string | null }>;
  /** The organization's log, as the canonical text of each event by seq. */
  canonicalEvents(): Promise<string[]>;
}

export async function createStreamingFixture(options: { retry?: RetryPolicy; logLevel?: 'debug' | 'warn' } = {}): Promise<StreamingFixture> {
  // Near real time: Standard Webhooks verifiers refuse timestamps more than 5 minutes off.
  const clock = manualClock(new Date());
  const t = await createTestApp({ clock, logLevel: options.logLevel ?? 'debug' });
  const email = `streaming-${crypto.randomUUID()}@example.com`;
  const user = await t.createUser(email, TEST_PASSWORD);
  const cookie = await t.login(email, TEST_PASSWORD);
  const org = await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Streaming Org' }, headers: { cookie } });
  const orgId = org.json<{ id: string }>().id;
  const ctx: AuditContext = { userId: user.id, actor: { type: 'user', id: user.id, display_name: 'streaming' }, source: { ip: '127.0.0.1', user_agent: 'test', request_id: null } };
  const { recorder, sequencer, signer } = t.app.services.audit;
  const streaming = createAuditStreaming({
    transactor: t.transactor,
    clock,
    random: systemRandom,
    fields: t.app.services.keys.fields,
    audit: recorder,
    signer,
    // The app's own logger, so every line lands in `t.logs` (checked for secrets).
    logger: t.app.http.log,
    publicUrl: t.config.publicUrl,
    allowedNetworks: ['127.0.0.0/8'],
    sendTimeoutMs: 5000,
    ...(options.retry === undefined ? {} : { options: { retry: options.retry } }),
  });
  return {
    t,
    clock,
    streaming,
    orgId,
    ctx,
    cookie,
    addEvents: async (count, displayName = 'Zoë Ångström') => {
      await t.transactor.withTenant(orgId, async (tx) => {
        for (let i = 0; i < count; i++) {
          await recorder.record(tx, orgId, { action: i % 3 === 2 ? 'authz.denied' : 'project.renamed', actor: { type: 'user', id: user.id, display_name: displayName }, outcome: i % 3 === 2 ? 'denied' : 'success', metadata: { i } });
        }
      });
      await sequencer.drain();
    },
    cursor: async (destinationId) => {
      const { cursor } = await streaming.service.get(orgId, destinationId);
      return { next_seq: Number(cursor.next_seq), attempts: cursor.attempts, next_attempt_at: cursor.next_attempt_at, last_error: cursor.last_error };
    },
    canonicalEvents: () =>
      t.transactor.withTenant(orgId, async (tx) => {
        const rows = await tx.selectFrom('audit_events').select(['seq', 'canonical']).where('tenant_id', '=', orgId).orderBy('seq').execute();
        return rows.map((r) => Buffer.from(r.canonical).toString('utf8'));
      }),
  };
}
