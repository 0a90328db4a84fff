import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { AppError, type FieldProblem } from '../../platform/http/errors.ts';
import type { AddressGuard } from './network-guard.ts';

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

function invalid(pointer: string, detail: string): AppError {
  return new AppError('invalid_request', { errors: [{ pointer, detail } satisfies FieldProblem] });
}

/** Refuses a host (name or IP literal) the address policy does not allow, resolving names now. */
async function assertReachable(host: string, guard: AddressGuard, pointer: string): Promise<void> {
  try {
    await guard.assertResolvesAllowed(host);
  } catch {
    throw invalid(pointer, 'is or resolves to a private or reserved address that this Parapet may not send to');
  }
}

/**
 * A syslog receiver's host: a DNS name or an IP literal that the address policy allows. A name
 * is canonicalized as a URL host would be, so the numeric forms `getaddrinfo` also takes
 * (`127.1`, `0x7f000001`, `2130706433`) are checked, and stored, as the IP address they are.
 */
export async function checkHost(host: string, guard: AddressGuard): Promise<string> {
  if (isIP(host) === 0 && !HOSTNAME.test(host)) throw invalid('/body/host', 'must be a host name or an IP address');
  let canonical = host.toLowerCase();
  if (isIP(host) === 0) {
    try {
      canonical = new URL(`https://${host}/`).hostname;
    } catch {
      throw invalid('/body/host', 'must be a host name or an IP address');
    }
  }
  await assertReachable(canonical, guard, '/body/host');
  return canonical;
}

/** A webhook endpoint: https, with a host the address policy allows, and no credentials or fragment in the URL. */
export async function checkWebhookUrl(text: string, guard: AddressGuard): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('/body/url', 'must be an absolute https URL');
  }
  if (url.protocol !== 'https:') throw invalid('/body/url', 'must use https');
  if (url.username !== '' || url.password !== '') throw invalid('/body/url', 'must not contain credentials');
  if (url.hash !== '') throw invalid('/body/url', 'must not contain a fragment');
  await assertReachable(url.hostname.replace(/^\[|\]$/g, ''), guard, '/body/url');
  return url.href;
}

/** A PEM bundle of one or more CA certificates; each must parse as X.509. */
export function checkCaPem(pem: string): string {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw invalid('/body/ca_pem', 'must hold one or more PEM certificates');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw invalid('/body/ca_pem', 'holds a certificate that does not parse');
    }
  }
  return `${blocks.join('\n')}\n`;
}
