import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const SUBSCRIPTIONS_AUDIT_ACTIONS = defineAuditActions({
  'subscription.requested': 'Someone asked to subscribe an address or webhook to a topic (status, subprocessors); a confirmation link is mailed (double opt-in). The same record whether or not the address was subscribed.',
  'subscription.confirmed': 'A subscriber used the mailed confirmation link: the subscription is active.',
  'subscription.unsubscribed': 'A subscriber used a signed unsubscribe link; its contact details were erased.',
  'subscription.published': 'A notice was published to a topic (an incident update, a subprocessor change) and queued for its subscribers.',
  'subscription.objection_recorded': 'A subscriber objected to an announced subprocessor change within its notice window.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof SUBSCRIPTIONS_AUDIT_ACTIONS, true> {}
}
