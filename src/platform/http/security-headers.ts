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
export function applySecurityHeaders(reply: FastifyReply, tls: boolean, hsts = hstsValue(false)): void {
  reply.header('content-security-policy', CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  // RFC 6797: only meaningful (and only honoured) over a secure transport.
  if (tls) reply.header('strict-transport-security', hsts);
}
