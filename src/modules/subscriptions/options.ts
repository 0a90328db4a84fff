import { cidrList, defineOption, optional } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** Private networks subscriber webhooks may be in (subscriptions module). */
    readonly subscriptionWebhookAllowedNetworks: readonly string[];
    /** Extra CA certificates (PEM file) trusted for subscriber webhook receivers. */
    readonly subscriptionWebhookCaFile: string | undefined;
  }
}

/** The subscriptions module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const SUBSCRIPTIONS_OPTIONS = [
  defineOption({
    key: 'subscriptionWebhookAllowedNetworks', env: 'PARAPET_SUBSCRIPTION_WEBHOOK_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) subscriber webhooks may be in; other private, loopback and metadata addresses are refused (the audit streams\' address guard).',
    parse: cidrList, derive: () => [],
  }),
  defineOption({
    key: 'subscriptionWebhookCaFile', env: 'PARAPET_SUBSCRIPTION_WEBHOOK_CA_FILE', defaultText: '(unset: the system CA store)',
    description: 'A PEM file of CA certificates trusted for subscriber webhook receivers instead of the system store (an internal CA).',
    parse: optional, derive: () => undefined,
  }),
] as const;
