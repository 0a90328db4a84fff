-- Subscriptions to public notices (IR-4, TR-3; docs/subscriptions.md): the status page and the
-- subprocessor list. Platform-level: subscribers are visitors of the deployment's public pages,
-- not users of any organization, and only platform administrators read these tables by API.

-- A subscriber: an email address, or a webhook URL with an email contact, for one topic. It is
-- `pending` until the mailed confirmation link is used (double opt-in), then `active`, until it
-- unsubscribes (contact details are erased then). `components`: for `status`, the status
-- components it follows (empty: all).
create table subscription_subscribers (
  id uuid primary key,
  topic text not null check (topic in ('status', 'subprocessors')),
  channel text not null check (channel in ('email', 'webhook')),
  email text check (length(email) between 3 and 254),
  url text check (length(url) between 9 and 2000),
  secret_sealed text,
  components uuid[] not null default '{}',
  status text not null check (status in ('pending', 'active', 'unsubscribed')),
  confirm_token_hash bytea,
  confirm_expires_at timestamptz,
  confirm_sent_at timestamptz,
  created_at timestamptz not null,
  confirmed_at timestamptz,
  unsubscribed_at timestamptz,
  check (status = 'unsubscribed' or email is not null),
  check (channel = 'email' or status = 'unsubscribed' or (url is not null and secret_sealed is not null))
);
-- One live email subscription per address and topic (a second subscribe changes nothing visible).
create unique index subscription_subscribers_email_idx on subscription_subscribers (topic, lower(email)) where channel = 'email' and status <> 'unsubscribed';
create unique index subscription_subscribers_token_idx on subscription_subscribers (confirm_token_hash) where confirm_token_hash is not null;
create index subscription_subscribers_topic_idx on subscription_subscribers (topic, status);

-- What was published to a topic: the feeds' entries, and what the outbox delivers.
-- `effective_at`: for a subprocessor change, when it takes effect (objections until then).
create table subscription_items (
  id uuid primary key,
  topic text not null check (topic in ('status', 'subprocessors')),
  event text not null check (length(event) between 1 and 100),
  title text not null check (length(title) between 1 and 300),
  body text not null check (length(body) <= 5000),
  link text not null check (length(link) between 1 and 2000),
  components uuid[] not null default '{}',
  effective_at timestamptz,
  source_id uuid,
  published_at timestamptz not null
);
create index subscription_items_topic_idx on subscription_items (topic, published_at desc, id desc);

-- The outbox: one row per (item, subscriber), written in the publishing transaction and sent by
-- the leader's delivery job with retries and backoff; `webhook-id` is the row's id, the same on
-- every retry (Standard Webhooks: the id is the idempotency key).
create table subscription_deliveries (
  id uuid primary key,
  item_id uuid not null references subscription_items (id) on delete cascade,
  subscriber_id uuid not null references subscription_subscribers (id) on delete cascade,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text check (length(last_error) <= 100),
  created_at timestamptz not null,
  unique (item_id, subscriber_id)
);
create index subscription_deliveries_due_idx on subscription_deliveries (next_attempt_at) where delivered_at is null and failed_at is null;

-- Objections to a subprocessor change (TR-3), one per subscriber and change, within its window.
-- The contact is copied so the record outlives an unsubscribe.
create table subscription_objections (
  id uuid primary key,
  item_id uuid not null references subscription_items (id) on delete cascade,
  subscriber_id uuid not null references subscription_subscribers (id) on delete cascade,
  contact text not null check (length(contact) between 3 and 254),
  reason text not null default '' check (length(reason) <= 2000),
  created_at timestamptz not null,
  unique (item_id, subscriber_id)
);

grant select, insert, update, delete on subscription_subscribers, subscription_deliveries to parapet_app;
grant select, insert on subscription_items, subscription_objections to parapet_app;
