export { subscriptionsModule, SUBSCRIPTION_DELIVERY_LOCK_KEY, type SubscriptionsApi } from './module.ts';
export type { Subscriptions, Notice, StatusComponent } from './subscriptions-service.ts';
export { SUBSCRIPTIONS_AUDIT_ACTIONS } from './audit-actions.ts';
export { SUBSCRIPTIONS_ERRORS } from './errors.ts';
