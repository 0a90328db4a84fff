import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressGuard } from '../audit-streaming/index.ts';

/** How long an outbound call to an application may take. */
export const OUTBOUND_TIMEOUT_MS = 5_000;

/** What an application's endpoint answered: the status and (when asked for) a bounded body. */
export interface OutboundAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/**
 * One HTTP(S) request from Parapet to an application's endpoint (back-channel logout, a client's
 * jwks_uri) through the outbound address guard: an address literal is checked before connecting and
 * DNS answers are filtered at connection (no private or reserved address unless the operator allowed
 * its network, no rebinding). Redirects are never followed; the body is read up to `maxBytes` (a
 * longer one rejects), or not at all when `maxBytes` is 0.
 */
export function guardedRequest(guard: AddressGuard, uri: string, init: { method: 'GET' | 'POST'; headers: Record<string, string | number>; body?: string; maxBytes: number }): Promise<OutboundAnswer> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return Promise.reject(new Error('not an absolute URI'));
  }
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (send === undefined) return Promise.reject(new Error('only http(s) URIs are called'));
  try {
    guard.assertAllowed(url.hostname.replace(/^\[|\]$/g, ''));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error('address not allowed'));
  }
  return new Promise((resolve, reject) => {
    const req = send(url, { method: init.method, headers: init.headers, agent: false, lookup: guard.lookup, signal: AbortSignal.timeout(OUTBOUND_TIMEOUT_MS) }, (response) => {
      const status = response.statusCode ?? 0;
      if (init.maxBytes === 0 || status < 200 || status >= 300) {
        response.destroy();
        resolve({ status, body: Buffer.alloc(0) });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > init.maxBytes) {
          response.destroy();
          reject(new Error('response too large'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        resolve({ status, body: Buffer.concat(chunks) });
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
