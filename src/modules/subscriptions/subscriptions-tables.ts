export type Topic = 'status' | 'subprocessors';
export type Channel = 'email' | 'webhook';
export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed';

export const TOPICS: readonly Topic[] = ['status', 'subprocessors'];

export interface SubscriptionSubscribersTable {
  id: string;
  topic: Topic;
  channel: Channel;
  email: string | null;
  url: string | null;
  secret_sealed: string | null;
  components: string[];
  status: SubscriberStatus;
  confirm_token_hash: Buffer | null;
  confirm_expires_at: Date | null;
  confirm_sent_at: Date | null;
  created_at: Date;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
}

export interface SubscriptionItemsTable {
  id: string;
  topic: Topic;
  event: string;
  title: string;
  body: string;
  link: string;
  components: string[];
  effective_at: Date | null;
  source_id: string | null;
  published_at: Date;
}

export interface SubscriptionDeliveriesTable {
  id: string;
  item_id: string;
  subscriber_id: string;
  attempts: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  failed_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

export interface SubscriptionObjectionsTable {
  id: string;
  item_id: string;
  subscriber_id: string;
  contact: string;
  reason: string;
  created_at: Date;
}

export interface SubscriptionsTables {
  subscription_subscribers: SubscriptionSubscribersTable;
  subscription_items: SubscriptionItemsTable;
  subscription_deliveries: SubscriptionDeliveriesTable;
  subscription_objections: SubscriptionObjectionsTable;
}
