import { request } from 'node:https';
import { DeliveryError, toDeliveryError } from './delivery-error.ts';
import type { AddressGuard } from './network-guard.ts';
import type { WebhookHeaders } from './webhook-signature.ts';

export interface WebhookTarget {
  readonly url: string;
  /** PEM of the CA(s) that issued the receiver's certificate; `null`: the system store. */
  readonly caPem: string | null;
}

/**
 * POSTs one signed JSON body. A 2xx answer acknowledges it; anything else, including a redirect
 * (never followed: it could lead anywhere, and would need the body sent again) and no answer
 * within `timeoutMs`, is a failure to retry. The response body is never read or stored.
 */
export async function postWebhook(target: WebhookTarget, body: string, signed: WebhookHeaders, options: { guard: AddressGuard; timeoutMs: number }): Promise<void> {
  const url = new URL(target.url);
  if (url.protocol !== 'https:') throw new DeliveryError('invalid_destination', 'webhook URLs must use https');
  options.guard.assertAllowed(url.hostname.replace(/^\[|\]$/g, ''));
  await new Promise<void>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Parapet-Audit-Streaming/1', 'content-length': Buffer.byteLength(body), ...signed },
        agent: false,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        lookup: options.guard.lookup,
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(target.caPem === null ? {} : { ca: target.caPem }),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        response.destroy();
        if (status >= 200 && status < 300) resolve();
        else if (status >= 300 && status < 400) reject(new DeliveryError('rejected', `HTTP ${status}: redirects are not followed`));
        else reject(new DeliveryError('rejected', `HTTP ${status}`));
      },
    );
    req.on('error', (error) => {
      reject(toDeliveryError(error));
    });
    req.end(body);
  });
}
