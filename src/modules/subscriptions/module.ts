import { readFileSync } from 'node:fs';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { createAddressGuard } from '../audit-streaming/index.ts';
import { defineModule } from '../contract.ts';
import { SUBSCRIPTIONS_AUDIT_ACTIONS } from './audit-actions.ts';
import { createDeliveryWorker, type DeliveryWorker } from './delivery-worker.ts';
import { SUBSCRIPTIONS_ERRORS } from './errors.ts';
import { createLinkSigner } from './signed-links.ts';
import { renderSubscribeForm } from './subscribe-pages.ts';
import { registerSubscriptionRoutes } from './subscriptions-routes.ts';
import { createSubscriptions, DELIVERIES_TOPIC, type Subscriptions } from './subscriptions-service.ts';
import { SUBSCRIPTIONS_OPTIONS } from './options.ts';

/** Subscriptions to public notices: what the incidents and trust modules publish through. */
export interface SubscriptionsApi {
  /** `publish(tx, notice, ctx)` in the caller's transaction; `setComponentSource` for status components. */
  readonly service: Subscriptions;
  readonly worker: DeliveryWorker;
  /** The subscribe form for a topic's public page (script-free HTML). */
  readonly subscribeForm: typeof renderSubscribeForm;
  readonly publicUrl: string;
}

declare module '../contract.ts' {
  interface ModuleApis {
    subscriptions: SubscriptionsApi;
  }
}

export const SUBSCRIPTION_DELIVERY_LOCK_KEY = 7450104061;
/** How often the leader looks for due deliveries when nothing woke it. */
/** The delivery job waits on the change feed and the next due time; it polls only this often. */
const DELIVERY_SAFETY_POLL_MS = 60_000;
/** Unconfirmed subscriptions past their link's expiry are purged at most this often. */
const PURGE_INTERVAL_MS = 3_600_000;


const PLATFORM_REASON = 'Subscribers of the deployment\u2019s public status page and subprocessor list, and what is published to them: visitors of public pages, not users of any organization; platform administrators only.';

export const subscriptionsModule = defineModule({
  name: 'subscriptions',
  summary: 'Subscriptions to public notices (status page, subprocessor changes): email with double opt-in and signed unsubscribe links, Standard Webhooks through an outbox with retries, RSS/Atom/JSON Feed with ETag, objections to subprocessor changes.',
  dependsOn: ['audit', 'keys'],
  tables: {
    subscription_subscribers: { scope: 'platform', reason: PLATFORM_REASON },
    subscription_items: { scope: 'platform', reason: PLATFORM_REASON },
    subscription_deliveries: { scope: 'platform', reason: PLATFORM_REASON },
    subscription_objections: { scope: 'platform', reason: PLATFORM_REASON },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: SUBSCRIPTIONS_ERRORS,
  auditActions: SUBSCRIPTIONS_AUDIT_ACTIONS,
  options: SUBSCRIPTIONS_OPTIONS,
  create: (ctx, { audit, keys }) => {
    const { config, transactor, clock, random, logger } = ctx;
    const links = createLinkSigner(ctx.keyring.derive('subscription-links'));
    // The audit streams' guard, with this module's own allowlist: anyone may register a webhook here.
    const guard = createAddressGuard(config.subscriptionWebhookAllowedNetworks);
    const service = createSubscriptions({ transactor, clock, random, audit: audit.recorder, fields: keys.fields, mail: ctx.mail, links, guard, feed: ctx.feed });
    let purgedAt = Number.NEGATIVE_INFINITY;
    const caPem = config.subscriptionWebhookCaFile === undefined ? null : readFileSync(config.subscriptionWebhookCaFile, 'utf8');
    const worker = createDeliveryWorker({ transactor, clock, random, fields: keys.fields, mail: ctx.mail, links, guard, publicUrl: config.publicUrl, logger, options: { caPem } });
    return {
      api: { service, worker, subscribeForm: renderSubscribeForm, publicUrl: config.publicUrl },
      routes: (http) => {
        registerSubscriptionRoutes(http, { subscriptions: service, publicUrl: config.publicUrl });
      },
      jobs: [
        {
          name: 'subscription deliveries',
          start: () =>
            startLeaderLoop({
              db: ctx.db,
              lockKey: SUBSCRIPTION_DELIVERY_LOCK_KEY,
              name: 'subscription deliveries',
              logger,
              // Idle nodes wait on the feed and the next due time, not on a poll (issue 16).
              idleMs: DELIVERY_SAFETY_POLL_MS,
              idleDelay: worker.nextDue.idleDelay,
              wakeOn: (wake) =>
                ctx.feed.subscribe(
                  DELIVERIES_TOPIC,
                  (key) => {
                    worker.nextDue.note(Number(key));
                    wake();
                  },
                  wake,
                ),
              pass: async () => {
                if (clock.now().getTime() - purgedAt >= PURGE_INTERVAL_MS) {
                  await service.purgeUnconfirmed();
                  purgedAt = clock.now().getTime();
                }
                return worker.deliverDue();
              },
            }),
        },
      ],
    };
  },
});
