import { createDueTracker } from '../../platform/jobs/leader-loop.ts';
import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { DeliveryError, postWebhook, retryDelayMs, signWebhook, type AddressGuard, type RetryPolicy } from '../audit-streaming/index.ts';
import type { FieldEncryption } from '../keys/index.ts';
import type { LinkSigner } from './signed-links.ts';
import { secretContext, TOPIC_TITLES } from './subscriptions-service.ts';
import type { SubscriptionItemsTable, SubscriptionSubscribersTable } from './subscriptions-tables.ts';

export interface DeliveryOptions {
  /** Attempts before a delivery is given up (its row keeps `failed_at` and the last error code). */
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
  readonly batch: number;
  readonly timeoutMs: number;
  /** PEM of extra CAs trusted for webhook receivers (an operator's internal CA); `null`: the system store. */
  readonly caPem: string | null;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = { maxAttempts: 10, retry: { baseMs: 30_000, maxMs: 6 * 3_600_000 }, batch: 50, timeoutMs: 10_000, caPem: null };

/** The JSON body of a webhook (Standard Webhooks payload structure: type, timestamp, data). */
export function webhookPayload(item: SubscriptionItemsTable, links: { unsubscribeUrl: string; objectionUrl: string | null }): string {
  return JSON.stringify({
    type: item.event,
    timestamp: item.published_at.toISOString(),
    data: {
      id: item.id,
      topic: item.topic,
      title: item.title,
      body: item.body,
      url: item.link,
      components: item.components,
      effective_at: item.effective_at?.toISOString() ?? null,
      unsubscribe_url: links.unsubscribeUrl,
      objection_url: links.objectionUrl,
    },
  });
}

/**
 * Sends the outbox (`subscription_deliveries`): mail through the mailer, webhooks signed per
 * Standard Webhooks through the audit streams' address guard. A failed webhook is retried with
 * capped exponential backoff and jitter, up to `maxAttempts`; the `webhook-id` stays the same.
 */
export function createDeliveryWorker(deps: { transactor: AppTransactor; clock: Clock; random: Random; fields: FieldEncryption; mail: Pick<Mailer, 'prepare' | 'send'>; links: LinkSigner; guard: AddressGuard; publicUrl: string; logger: Pick<Logger, 'warn'>; options?: Partial<DeliveryOptions> }) {
  const nextDue = createDueTracker(() => clock.now().getTime());
  const { transactor, clock, random, fields, mail, links, guard, publicUrl } = deps;
  const options: DeliveryOptions = { ...DEFAULT_DELIVERY_OPTIONS, ...deps.options };
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);

  const send = async (item: SubscriptionItemsTable, subscriber: SubscriptionSubscribersTable, deliveryId: string): Promise<void> => {
    const unsubscribeToken = links.sign('unsubscribe', subscriber.id);
    const objectionToken = item.topic === 'subprocessors' && item.effective_at !== null ? links.sign('object', subscriber.id, item.id) : null;
    if (subscriber.channel === 'email') {
      if (subscriber.email === null) throw new DeliveryError('invalid_destination', 'no address');
      mail.send(mail.prepare(subscriber.email, { kind: 'subscription_notice', topic: TOPIC_TITLES[item.topic], title: item.title, body: item.body, link: item.link, effectiveAt: item.effective_at, unsubscribeToken, objectionToken }));
      return;
    }
    if (subscriber.url === null || subscriber.secret_sealed === null) throw new DeliveryError('invalid_destination', 'no webhook');
    const secret = await fields.decryptField(secretContext(subscriber.id), subscriber.secret_sealed);
    const body = webhookPayload(item, {
      unsubscribeUrl: `${publicUrl}/subscriptions/unsubscribe?token=${encodeURIComponent(unsubscribeToken)}`,
      objectionUrl: objectionToken === null ? null : `${publicUrl}/subscriptions/object?token=${encodeURIComponent(objectionToken)}`,
    });
    await postWebhook({ url: subscriber.url, caPem: options.caPem }, body, signWebhook(secret, deliveryId, clock.now(), body), { guard, timeoutMs: options.timeoutMs });
  };

  return {
    /** When the next queued delivery comes due, as far as this node knows: the delivery job's `idleDelay`, and `note` for deliveries heard of on the change feed. */
    nextDue,
    /** One pass over the due deliveries; returns how many it attempted. */
    async deliverDue(): Promise<number> {
      const now = clock.now();
      const due = await inPlatform(async (tx) => {
        const rows = await tx.selectFrom('subscription_deliveries').selectAll().where('delivered_at', 'is', null).where('failed_at', 'is', null).where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(options.batch).execute();
        // When the next one comes due, so the job sleeps until then (a full batch: at once).
        if (rows.length < options.batch) {
          const next = await tx.selectFrom('subscription_deliveries').select((eb) => eb.fn.min('next_attempt_at').as('next')).where('delivered_at', 'is', null).where('failed_at', 'is', null).where('next_attempt_at', '>', now).executeTakeFirst();
          nextDue.set(next?.next == null ? undefined : new Date(next.next).getTime());
        }
        return rows;
      });
      for (const delivery of due) {
        const found = await inPlatform(async (tx) => ({
          item: await tx.selectFrom('subscription_items').selectAll().where('id', '=', delivery.item_id).executeTakeFirst(),
          subscriber: await tx.selectFrom('subscription_subscribers').selectAll().where('id', '=', delivery.subscriber_id).executeTakeFirst(),
        }));
        const settle = (patch: { delivered_at?: Date; failed_at?: Date; next_attempt_at?: Date; attempts: number; last_error: string | null }) =>
          inPlatform((tx) => tx.updateTable('subscription_deliveries').set(patch).where('id', '=', delivery.id).where('delivered_at', 'is', null).execute());
        // Unsubscribed since it was queued: nothing is sent.
        if (found.item === undefined || found.subscriber?.status !== 'active') {
          await settle({ failed_at: clock.now(), attempts: delivery.attempts, last_error: 'unsubscribed' });
          continue;
        }
        try {
          await send(found.item, found.subscriber, delivery.id);
          await settle({ delivered_at: clock.now(), attempts: delivery.attempts + 1, last_error: null });
        } catch (error) {
          const code = error instanceof DeliveryError ? error.code : 'unreachable';
          const attempts = delivery.attempts + 1;
          deps.logger.warn({ delivery: delivery.id, code, attempts }, 'subscription delivery failed');
          if (attempts >= options.maxAttempts) await settle({ failed_at: clock.now(), attempts, last_error: code });
          else {
            const retryAt = new Date(clock.now().getTime() + retryDelayMs(attempts, random, options.retry));
            nextDue.note(retryAt.getTime());
            await settle({ next_attempt_at: retryAt, attempts, last_error: code });
          }
        }
      }
      return due.length;
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
