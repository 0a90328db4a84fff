import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { sql } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditActor, AuditContext, AuditSource } from '../../platform/http/principal.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import { newWebhookSecret, type AddressGuard } from '../audit-streaming/index.ts';
import type { FieldContext, FieldEncryption } from '../keys/index.ts';
import type { LinkSigner } from './signed-links.ts';
import type { SubscriptionItemsTable, SubscriptionSubscribersTable, Topic } from './subscriptions-tables.ts';

/** How long a confirmation link works; an unconfirmed subscription never receives anything. */
export const CONFIRM_TTL_MS = 48 * 3_600_000;
/** One confirmation mail per address and topic in this time; further requests answer the same and send nothing. */
export const CONFIRM_RESEND_MS = 10 * 60_000;
/** TR-3: a subprocessor change is announced at least this long before it takes effect. */
export const SUBPROCESSOR_NOTICE_DAYS = 30;
const DAY_MS = 86_400_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const ANONYMOUS: AuditActor = { type: 'anonymous', id: null, display_name: null };

/** What people see a topic called, in mail and feeds. */
export const TOPIC_TITLES: Readonly<Record<Topic, string>> = { status: 'System status', subprocessors: 'Subprocessors' };

export interface StatusComponent {
  readonly id: string;
  readonly name: string;
}

/** A notice to publish to a topic. */
export interface Notice {
  readonly topic: Topic;
  /** Machine name of what happened, e.g. `incident.opened`, `subprocessor.added` (the webhook `type`). */
  readonly event: string;
  readonly title: string;
  readonly body: string;
  /** Absolute URL of the page with the details. */
  readonly link: string;
  /** `status`: the components it concerns (empty: all subscribers). */
  readonly components?: readonly string[];
  /** `subprocessors`: when the change takes effect; at least 30 days ahead (TR-3). */
  readonly effectiveAt?: Date;
  /** The incident or trust entry it is about. */
  readonly sourceId?: string;
}

export type ItemRow = SubscriptionItemsTable;

export const secretContext = (subscriberId: string): FieldContext => ({ tenantId: PLATFORM_TENANT_ID, table: 'subscription_subscribers', column: 'secret_sealed', rowId: subscriberId });

export interface SubscriptionsDeps {
  readonly transactor: AppTransactor;
  readonly clock: Clock;
  readonly random: Random;
  readonly audit: Pick<AuditRecorder, 'record'>;
  readonly fields: FieldEncryption;
  readonly mail: Pick<Mailer, 'prepare' | 'send'>;
  readonly links: LinkSigner;
  readonly guard: Pick<AddressGuard, 'assertResolvesAllowed'>;
  /** Announces queued deliveries to the node running the delivery job (it waits on them instead of polling). */
  readonly feed?: ChangeFeed;
}

/** Change-feed topic: deliveries were queued or rescheduled; the key is when the earliest is due (ms since the epoch). */
export const DELIVERIES_TOPIC = 'subscription-deliveries';

/** Subscribers (double opt-in), publishing into the outbox, unsubscribes and objections (IR-4, TR-3). */
export function createSubscriptions(deps: SubscriptionsDeps) {
  const { transactor, clock, random, audit, fields, mail, links, guard } = deps;
  const inPlatform = <T>(fn: (tx: Tx) => Promise<T>) => transactor.withTenant(PLATFORM_TENANT_ID, fn);
  let componentSource: () => Promise<readonly StatusComponent[]> = () => Promise.resolve([]);

  const checkComponents = async (topic: Topic, ids: readonly string[]) => {
    if (ids.length === 0) return;
    if (topic !== 'status') throw new AppError('subscription_component_unknown');
    const known = new Set((await componentSource()).map((c) => c.id));
    if (!ids.every((id) => known.has(id))) throw new AppError('subscription_component_unknown');
  };

  const checkWebhookUrl = async (raw: string) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AppError('subscription_webhook_refused');
    }
    if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') throw new AppError('subscription_webhook_refused');
    try {
      // The same guard as audit streams: private, loopback, link-local and metadata addresses are
      // refused now, and again at each connection (its lookup drops them: no DNS rebinding).
      await guard.assertResolvesAllowed(url.hostname.replace(/^\[|\]$/g, ''));
    } catch (error) {
      throw new AppError('subscription_webhook_refused', { cause: error });
    }
    return url.toString();
  };

  return {
    /** The status components a subscriber may pick (the incidents module supplies them). */
    setComponentSource(source: () => Promise<readonly StatusComponent[]>): void {
      componentSource = source;
    },
    components: () => componentSource(),

    /**
     * Asks to subscribe. The answer is the same whether the address is new, pending or already
     * subscribed, so it never tells whether an address is subscribed: an active subscription is
     * left as it is (nobody changes another's choices by knowing their address), a pending one gets
     * a fresh link (at most one mail per address and topic every ten minutes).
     */
    async subscribe(input: { topic: Topic; channel: 'email' | 'webhook'; email: string; url?: string | undefined; components?: readonly string[] | undefined; source: AuditSource }): Promise<{ secret: string | undefined }> {
      const email = input.email.toLowerCase();
      const components = [...new Set((input.components ?? []).map((c) => c.toLowerCase()))];
      await checkComponents(input.topic, components);
      const url = input.channel === 'webhook' ? await checkWebhookUrl(input.url ?? '') : null;
      const now = clock.now();
      const token = newSecretToken(random);
      const expiresAt = new Date(now.getTime() + CONFIRM_TTL_MS);
      const id = uuidv7(clock, random);
      const secret = input.channel === 'webhook' ? newWebhookSecret(random) : undefined;
      const sealed = secret === undefined ? null : await fields.encryptField(secretContext(id), secret);
      const send = await inPlatform(async (tx) => {
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'subscription.requested', actor: ANONYMOUS, outcome: 'success', source: input.source, metadata: { topic: input.topic, channel: input.channel } });
        const fresh = { confirm_token_hash: digestToken(token), confirm_expires_at: expiresAt, confirm_sent_at: now };
        if (input.channel === 'email') {
          const existing = await tx.selectFrom('subscription_subscribers').select(['id', 'status', 'confirm_sent_at']).where('topic', '=', input.topic).where('channel', '=', 'email').where(sql<boolean>`lower(email) = ${email}`).where('status', '<>', 'unsubscribed').forUpdate().executeTakeFirst();
          if (existing?.status === 'active') return false;
          if (existing !== undefined) {
            if (existing.confirm_sent_at !== null && now.getTime() - existing.confirm_sent_at.getTime() < CONFIRM_RESEND_MS) return false;
            await tx.updateTable('subscription_subscribers').set({ ...fresh, components }).where('id', '=', existing.id).execute();
            return true;
          }
        }
        await tx.insertInto('subscription_subscribers').values({ id, topic: input.topic, channel: input.channel, email, url, secret_sealed: sealed, components, status: 'pending', ...fresh, created_at: now, confirmed_at: null, unsubscribed_at: null }).execute();
        return true;
      });
      // After commit: the request never waits for the network.
      if (send) mail.send(mail.prepare(email, { kind: 'subscription_confirm', topic: TOPIC_TITLES[input.topic], token, expiresAt }));
      return { secret };
    },

    /** Uses a confirmation link (once, before it expires): the subscription becomes active. */
    async confirm(token: string, source: AuditSource): Promise<{ topic: Topic }> {
      if (!TOKEN_SHAPE.test(token)) throw new AppError('subscription_link_invalid');
      return inPlatform(async (tx) => {
        const now = clock.now();
        const row = await tx
          .updateTable('subscription_subscribers')
          .set({ status: 'active', confirmed_at: now, confirm_token_hash: null, confirm_expires_at: null })
          .where('confirm_token_hash', '=', digestToken(token))
          .where('status', '=', 'pending')
          .where('confirm_expires_at', '>', now)
          .returning(['id', 'topic'])
          .executeTakeFirst();
        if (row === undefined) throw new AppError('subscription_link_invalid');
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'subscription.confirmed', actor: ANONYMOUS, outcome: 'success', source, targets: [{ type: 'subscriber', id: row.id }], metadata: { topic: row.topic } });
        return { topic: row.topic };
      });
    },

    /**
     * Uses a signed unsubscribe link: the subscription ends and its contact details (address, URL,
     * secret) are erased. Using it again answers the same.
     */
    async unsubscribe(token: string, source: AuditSource): Promise<void> {
      const link = links.verify('unsubscribe', token);
      if (link === undefined) throw new AppError('subscription_link_invalid');
      await inPlatform(async (tx) => {
        const now = clock.now();
        const row = await tx
          .updateTable('subscription_subscribers')
          .set({ status: 'unsubscribed', unsubscribed_at: now, email: null, url: null, secret_sealed: null, components: [], confirm_token_hash: null, confirm_expires_at: null })
          .where('id', '=', link.subscriberId)
          .where('status', '<>', 'unsubscribed')
          .returning(['id'])
          .executeTakeFirst();
        if (row !== undefined) await audit.record(tx, PLATFORM_TENANT_ID, { action: 'subscription.unsubscribed', actor: ANONYMOUS, outcome: 'success', source, targets: [{ type: 'subscriber', id: row.id }] });
      });
    },

    /** Records a subscriber's objection to a subprocessor change, through its signed link, until the change takes effect (TR-3). */
    async object(token: string, reason: string, source: AuditSource): Promise<void> {
      const link = links.verify('object', token);
      if (link === undefined || link.itemId === '') throw new AppError('subscription_link_invalid');
      await inPlatform(async (tx) => {
        const item = await tx.selectFrom('subscription_items').select(['id', 'effective_at']).where('id', '=', link.itemId).where('topic', '=', 'subprocessors').executeTakeFirst();
        const subscriber = await tx.selectFrom('subscription_subscribers').select(['id', 'email']).where('id', '=', link.subscriberId).where('topic', '=', 'subprocessors').where('status', '=', 'active').executeTakeFirst();
        if (item?.effective_at == null || subscriber?.email == null) throw new AppError('subscription_link_invalid');
        const now = clock.now();
        if (item.effective_at <= now) throw new AppError('objection_window_closed');
        const inserted = await tx
          .insertInto('subscription_objections')
          .values({ id: uuidv7(clock, random), item_id: item.id, subscriber_id: subscriber.id, contact: subscriber.email, reason, created_at: now })
          .onConflict((oc) => oc.columns(['item_id', 'subscriber_id']).doNothing())
          .returning(['id'])
          .executeTakeFirst();
        if (inserted !== undefined) await audit.record(tx, PLATFORM_TENANT_ID, { action: 'subscription.objection_recorded', actor: ANONYMOUS, outcome: 'success', source, targets: [{ type: 'subscription_item', id: item.id }, { type: 'subscriber', id: subscriber.id }] });
      });
    },

    /**
     * Publishes a notice in the caller's transaction: the feed entry and one outbox row per active
     * subscriber it concerns, committed (or not) with the change it announces. The delivery job
     * sends them. A subprocessor change must take effect at least 30 days later (TR-3).
     */
    async publish(tx: Tx, notice: Notice, ctx: AuditContext): Promise<{ id: string }> {
      const now = clock.now();
      // TR-3: a change that takes effect is announced at least 30 days ahead, counted in UTC days
      // (an effective date 30 days after today's); a notice without a date (a removal) takes no objections.
      if (notice.topic === 'subprocessors' && notice.effectiveAt !== undefined) {
        const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
        if (notice.effectiveAt.getTime() < today + SUBPROCESSOR_NOTICE_DAYS * DAY_MS) {
          throw new AppError('subprocessor_notice_too_short', { detail: `The effective date must be at least ${SUBPROCESSOR_NOTICE_DAYS} days after today (UTC).` });
        }
      }
      const components = [...new Set(notice.components ?? [])];
      const item: ItemRow = {
        id: uuidv7(clock, random), topic: notice.topic, event: notice.event, title: notice.title.slice(0, 300), body: notice.body.slice(0, 5000), link: notice.link, components,
        effective_at: notice.effectiveAt ?? null, source_id: notice.sourceId ?? null, published_at: now,
      };
      await tx.insertInto('subscription_items').values(item).execute();
      let query = tx.selectFrom('subscription_subscribers').select('id').where('topic', '=', notice.topic).where('status', '=', 'active');
      // Cachet's long-standing ask: a subscriber who picked components hears only about those.
      if (components.length > 0) query = query.where(sql<boolean>`(cardinality(components) = 0 or components && ${sql.val(components)}::uuid[])`);
      const subscribers = await query.execute();
      if (subscribers.length > 0) {
        await tx.insertInto('subscription_deliveries').values(subscribers.map((s) => ({ id: uuidv7(clock, random), item_id: item.id, subscriber_id: s.id, attempts: 0, next_attempt_at: now, delivered_at: null, failed_at: null, last_error: null, created_at: now }))).execute();
        await deps.feed?.publish(tx as never, DELIVERIES_TOPIC, String(now.getTime()));
      }
      await audit.record(tx, PLATFORM_TENANT_ID, { action: 'subscription.published', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'subscription_item', id: item.id }], metadata: { topic: notice.topic, event: notice.event, recipients: subscribers.length } });
      return { id: item.id };
    },

    /** The latest items of a topic, newest first (the feeds). */
    items: (topic: Topic, limit = 50): Promise<ItemRow[]> =>
      inPlatform((tx) => tx.selectFrom('subscription_items').selectAll().where('topic', '=', topic).orderBy('published_at', 'desc').orderBy('id', 'desc').limit(limit).execute()),

    /** Subscribers of a topic, without secrets (platform administrators). */
    subscribers: (topic: Topic): Promise<Pick<SubscriptionSubscribersTable, 'id' | 'channel' | 'email' | 'url' | 'components' | 'status' | 'created_at' | 'confirmed_at'>[]> =>
      inPlatform((tx) => tx.selectFrom('subscription_subscribers').select(['id', 'channel', 'email', 'url', 'components', 'status', 'created_at', 'confirmed_at']).where('topic', '=', topic).where('status', '<>', 'unsubscribed').orderBy('created_at', 'desc').limit(1000).execute()),

    /** Objections recorded against one subprocessor change (platform administrators). */
    objections: (itemId: string) =>
      inPlatform(async (tx) => {
        const item = await tx.selectFrom('subscription_items').select(['id', 'title', 'effective_at']).where('id', '=', itemId).where('topic', '=', 'subprocessors').executeTakeFirst();
        if (item === undefined) throw new AppError('not_found');
        const rows = await tx.selectFrom('subscription_objections').select(['subscriber_id', 'contact', 'reason', 'created_at']).where('item_id', '=', itemId).orderBy('created_at').execute();
        return { item, objections: rows };
      }),

    /** Removes subscriptions never confirmed whose link has expired (data minimisation). */
    purgeUnconfirmed: () =>
      inPlatform(async (tx) => {
        const result = await tx.deleteFrom('subscription_subscribers').where('status', '=', 'pending').where('confirm_expires_at', '<=', clock.now()).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
