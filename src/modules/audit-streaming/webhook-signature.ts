import { createHmac } from 'node:crypto';
import type { Random } from '../../platform/crypto/random.ts';

const SECRET_PREFIX = 'whsec_';

/**
 * A new Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes ("secrets
 * SHOULD be between 24 and 64 bytes", Standard Webhooks §Signature scheme).
 */
export function newWebhookSecret(random: Random): string {
  return `${SECRET_PREFIX}${random(32).toString('base64')}`;
}

/** The three Standard Webhooks headers of one message. */
export interface WebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * Signs a message as Standard Webhooks specifies: HMAC-SHA256, keyed with the base64-decoded
 * secret, over `${id}.${timestamp}.${body}`, sent as `v1,<base64 signature>`. The timestamp is in
 * whole seconds so receivers can refuse stale or replayed messages.
 */
export function signWebhook(secret: string, id: string, at: Date, body: string): WebhookHeaders {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('not a webhook secret');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
