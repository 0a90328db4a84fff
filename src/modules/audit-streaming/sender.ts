import type { Clock } from '../../platform/clock.ts';
import { DeliveryError } from './delivery-error.ts';
import type { AddressGuard } from './network-guard.ts';
import { recordJson, type StreamBatch } from './stream-records.ts';
import type { DestinationKind } from './streaming-tables.ts';
import { octetCountedFrame, syslogMessage } from './syslog-message.ts';
import { sendSyslogFrames } from './syslog-transport.ts';
import { postWebhook } from './webhook-transport.ts';
import { signWebhook } from './webhook-signature.ts';

/** A destination ready to send to: its target and, for a webhook, the opened signing secret. */
export interface OpenDestination {
  readonly kind: DestinationKind;
  readonly host: string | null;
  readonly port: number | null;
  readonly url: string | null;
  readonly caPem: string | null;
  readonly secret: string | null;
}

/** Sends a batch; resolves once the destination acknowledged all of it, else throws a DeliveryError. */
export type Sender = (destination: OpenDestination, batch: StreamBatch) => Promise<void>;

export const DEFAULT_SEND_TIMEOUT_MS = 10_000;

/**
 * The transports: syslog (RFC 5424 over TLS, RFC 5425 framing) and Standard Webhooks. `hostname`
 * is the HOSTNAME of syslog messages (Parapet's public host).
 */
export function createSender(deps: { clock: Clock; guard: AddressGuard; hostname: string; timeoutMs?: number }): Sender {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const options = { guard: deps.guard, timeoutMs };
  return async (destination, batch) => {
    if (destination.kind === 'syslog') {
      if (destination.host === null || destination.port === null) throw new DeliveryError('invalid_destination', 'the syslog destination has no host');
      const header = { hostname: deps.hostname, tenantId: batch.tenantId };
      const frames = batch.records.map((record) => octetCountedFrame(syslogMessage(record, header)));
      await sendSyslogFrames({ host: destination.host, port: destination.port, caPem: destination.caPem }, frames, options);
      return;
    }
    if (destination.url === null || destination.secret === null) throw new DeliveryError('invalid_destination', 'the webhook destination has no URL');
    const now = deps.clock.now();
    const body = JSON.stringify({
      type: batch.records.every((r) => r.type === 'test') ? 'audit.test' : 'audit.events',
      timestamp: now.toISOString(),
      data: { tenant_id: batch.tenantId, destination_id: batch.destinationId, format: batch.format, records: batch.records.map(recordJson) },
    });
    await postWebhook({ url: destination.url, caPem: destination.caPem }, body, signWebhook(destination.secret, batch.id, now, body), options);
  };
}
