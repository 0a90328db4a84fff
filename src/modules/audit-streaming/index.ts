import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { FieldEncryption } from '../keys/index.ts';
import type { Random } from '../../platform/crypto/random.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { AuditSigner } from '../audit/index.ts';
import { createDeliveryWorker, type DeliveryOptions, type DeliveryWorker } from './delivery-worker.ts';
import { createDestinationService, type DestinationService } from './destination-service.ts';
import { createAddressGuard } from './network-guard.ts';
import { createSender, type Sender } from './sender.ts';

export { registerAuditStreaming } from './destination-routes.ts';
export { startDeliveryLoop, DELIVERY_LOCK_KEY } from './delivery-loop.ts';
export type { DeliveryWorker, DeliveryResult } from './delivery-worker.ts';
export type { DestinationService } from './destination-service.ts';
export type { StreamingTables } from './streaming-tables.ts';
// The outbound address guard, shared with the openid module's back-channel logout delivery.
export { createAddressGuard, type AddressGuard } from './network-guard.ts';
// Standard Webhooks signing, the HTTPS poster and the backoff, shared with the subscriptions module.
export { newWebhookSecret, signWebhook, type WebhookHeaders } from './webhook-signature.ts';
export { postWebhook } from './webhook-transport.ts';
export { retryDelayMs, type RetryPolicy } from './retry-delay.ts';
export { DeliveryError } from './delivery-error.ts';

/** Audit streaming (AUD-5): the destination service behind the routes and the delivery worker. */
export interface AuditStreaming {
  readonly service: DestinationService;
  readonly worker: DeliveryWorker;
  readonly send: Sender;
}

export function createAuditStreaming(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  /** Encrypts webhook signing secrets (ENC-1, ENC-4). */
  fields: FieldEncryption;
  audit: AuditRecorder;
  signer: AuditSigner;
  logger: Pick<Logger, 'debug' | 'warn' | 'error'>;
  /** Parapet's public URL: its host is the HOSTNAME of syslog messages. */
  publicUrl: string;
  /** Private networks (CIDRs) destinations may be in; everything else private or reserved is refused. */
  allowedNetworks: readonly string[];
  sendTimeoutMs?: number;
  options?: Partial<DeliveryOptions>;
}): AuditStreaming {
  const { fields } = deps;
  const guard = createAddressGuard(deps.allowedNetworks);
  const send = createSender({ clock: deps.clock, guard, hostname: new URL(deps.publicUrl).hostname, ...(deps.sendTimeoutMs === undefined ? {} : { timeoutMs: deps.sendTimeoutMs }) });
  return {
    service: createDestinationService({ transactor: deps.transactor, clock: deps.clock, random: deps.random, fields, audit: deps.audit, send, guard }),
    worker: createDeliveryWorker({
      transactor: deps.transactor,
      clock: deps.clock,
      random: deps.random,
      fields,
      send,
      verifierKey: deps.signer.verifierKey,
      logger: deps.logger,
      ...(deps.options === undefined ? {} : { options: deps.options }),
    }),
    send,
  };
}
export { auditStreamingModule } from './module.ts';
export { AUDIT_STREAMING_AUDIT_ACTIONS } from './audit-actions.ts';
