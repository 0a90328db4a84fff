import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { AppError, type FieldProblem } from '../../platform/http/errors.ts';
import type { AddressGuard } from './network-guard.ts';

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

function invalid(pointer: string, detail: string): AppError {
  return new AppError('invalid_request', { errors: [{ pointer, detail } satisfies FieldProblem] });
}

/** A syslog receiver's host: a DNS name or an IP literal that the address policy allows. */
export function checkHost(host: string, guard: AddressGuard): string {
  if (isIP(host) === 0 && !HOSTNAME.test(host)) throw invalid('/body/host', 'must be a host name or an IP address');
  try {
    guard.assertAllowed(host);
  } catch {
    throw invalid('/body/host', 'is a private or reserved address that this Parapet may not send to');
  }
  return host.toLowerCase();
}

/** A webhook endpoint: https, with a host, and no credentials or fragment in the URL. */
export function checkWebhookUrl(text: string, guard: AddressGuard): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('/body/url', 'must be an absolute https URL');
  }
  if (url.protocol !== 'https:') throw invalid('/body/url', 'must use https');
  if (url.username !== '' || url.password !== '') throw invalid('/body/url', 'must not contain credentials');
  if (url.hash !== '') throw invalid('/body/url', 'must not contain a fragment');
  try {
    guard.assertAllowed(url.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    throw invalid('/body/url', 'is a private or reserved address that this Parapet may not send to');
  }
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
