import { lookup as systemLookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ParapetError } from '../../platform/errors.ts';
import type { AddressGuard } from '../audit-streaming/index.ts';

/** Why a fetch was refused or failed: a short, stable reason, never the body or the address. */
export type IdpFetchReason = 'invalid_url' | 'address_not_allowed' | 'not_resolved' | 'unreachable' | 'http_status' | 'too_large';

export class IdpFetchError extends ParapetError {
  readonly code = 'idp_fetch_failed';
  readonly reason: IdpFetchReason;
  constructor(reason: IdpFetchReason, options?: { cause?: unknown }) {
    super(`fetch refused or failed: ${reason}`, options);
    this.name = 'IdpFetchError';
    this.reason = reason;
  }
}

const TIMEOUT_MS = 5_000;

/** One GET that the SSO module makes to a host a tenant named (IdP metadata, a domain's well-known file). */
export type IdpFetch = (url: string, maxBytes: number) => Promise<string>;

/**
 * GETs a URL a tenant administrator gave, through the same outbound address guard as audit
 * streams (audit-streaming's `createAddressGuard`, with its own allowlist option): the host is
 * resolved first (through `PARAPET_SSO_DNS_SERVERS` when set, the resolver that also answers the
 * domain TXT records), every answer must be an address the guard permits, and the connection goes
 * to the address that was checked (no second resolution, so no DNS rebinding). HTTPS only (plain
 * http only when this Parapet itself runs on http loopback: development and tests); the
 * certificate is checked against the host name; redirects are not followed; the body is read up
 * to `maxBytes`; 5 seconds at most.
 */
export function createIdpFetch(deps: { guard: AddressGuard; dnsServers: readonly string[]; ca: string | undefined; allowHttp: boolean }): IdpFetch {
  async function addressesOf(host: string): Promise<{ address: string; family: 4 | 6 }[]> {
    if (isIP(host) !== 0) return [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
    if (deps.dnsServers.length === 0) {
      const found = await systemLookup(host, { all: true }).catch(() => []);
      return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
    }
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([...deps.dnsServers]);
    const v4 = await resolver.resolve4(host).catch(() => []);
    const v6 = await resolver.resolve6(host).catch(() => []);
    return [...v4.map((address) => ({ address, family: 4 as const })), ...v6.map((address) => ({ address, family: 6 as const }))];
  }

  return async (text, maxBytes) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch (error) {
      throw new IdpFetchError('invalid_url', { cause: error });
    }
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' && deps.allowHttp ? httpRequest : undefined;
    if (send === undefined || url.username !== '' || url.password !== '') throw new IdpFetchError('invalid_url');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = await addressesOf(host);
    if (addresses.length === 0) throw new IdpFetchError('not_resolved');
    try {
      // Every answer, not only the first: a name with one public and one private address is refused.
      for (const a of addresses) deps.guard.assertAllowed(a.address);
    } catch (error) {
      throw new IdpFetchError('address_not_allowed', { cause: error });
    }
    const chosen = addresses[0];
    if (chosen === undefined) throw new IdpFetchError('not_resolved');
    // The socket connects to the address checked above; TLS still verifies the certificate against `host`.
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all === true) callback(null, [{ address: chosen.address, family: chosen.family }]);
      else callback(null, chosen.address, chosen.family);
    };
    return new Promise<string>((resolve, reject) => {
      const req = send(url, { method: 'GET', headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml, text/plain', 'user-agent': 'Parapet-SSO/1' }, agent: false, lookup: pinned, signal: AbortSignal.timeout(TIMEOUT_MS), ...(url.protocol === 'https:' ? { servername: isIP(host) === 0 ? host : undefined, minVersion: 'TLSv1.2' as const, rejectUnauthorized: true, ...(deps.ca === undefined ? {} : { ca: [...rootCertificates, deps.ca] }) } : {}) }, (response) => {
        if (response.statusCode !== 200) {
          response.destroy();
          reject(new IdpFetchError('http_status'));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            response.destroy();
            reject(new IdpFetchError('too_large'));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        response.on('error', (error) => {
          reject(new IdpFetchError('unreachable', { cause: error }));
        });
      });
      req.on('error', (error) => {
        reject(error instanceof IdpFetchError ? error : new IdpFetchError('unreachable', { cause: error }));
      });
      req.end();
    });
  };
}
