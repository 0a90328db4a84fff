import type { FastifyReply } from 'fastify';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** HSTS (ENC-6): two years, as Mozilla recommends; includeSubDomains only when configured. */
export function hstsValue(includeSubdomains: boolean): string {
  return `max-age=63072000${includeSubdomains ? '; includeSubDomains' : ''}`;
}

/** Headers every response carries (OWASP Secure Headers); HSTS only when served over TLS. */
export function securityHeaders(tls: boolean, hsts = hstsValue(false)): Readonly<Record<string, string>> {
  return {
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    // RFC 6797: only meaningful (and only honoured) over a secure transport.
    ...(tls ? { 'strict-transport-security': hsts } : {}),
  };
}

/** Sets `securityHeaders` on a reply. */
export function applySecurityHeaders(reply: FastifyReply, tls: boolean, hsts = hstsValue(false)): void {
  reply.headers(securityHeaders(tls, hsts));
}
