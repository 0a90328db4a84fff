import { createHash, createHmac } from 'node:crypto';

/**
 * Request signing for Parapet API keys that require it (AUTH-8; docs/api-keys.md, "Signed requests").
 *
 * The signature is HMAC-SHA256, keyed with the UTF-8 bytes of the key's signing secret (`prs_…`),
 * over the canonical request: six lines joined by `\n` (no trailing newline):
 *
 * ```
 * PARAPET-HMAC-SHA256
 * <timestamp: Unix seconds, decimal>
 * <method, upper case>
 * <path, exactly as sent, without the query>
 * <canonical query>
 * <hex SHA-256 of the raw body bytes (of nothing, when there is no body)>
 * ```
 *
 * It travels as `Parapet-Signature: v1=<base64 of the 32-byte HMAC>`, with the timestamp in
 * `Parapet-Timestamp` and the key itself in `Authorization: Bearer prk_…`.
 */

export const SIGNATURE_ALGORITHM = 'PARAPET-HMAC-SHA256';
export const TIMESTAMP_HEADER = 'parapet-timestamp';
export const SIGNATURE_HEADER = 'parapet-signature';
/** A signature is accepted this many seconds either side of the server's clock, and only once. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** RFC 3986 §2.3: only unreserved characters stay unencoded; everything else is %XX over UTF-8, upper case. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical form of a raw query string (without `?`): split on `&`, empty parts dropped; each
 * part split at its first `=` (no `=`: empty value); names and values percent-decoded (`+` stays a
 * plus) and re-encoded per RFC 3986; pairs sorted by name, then value (code unit order); joined
 * as `name=value` with `&`. Throws `URIError` on a malformed percent escape.
 */
export function canonicalQuery(rawQuery: string): string {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([encodeRfc3986(decodeURIComponent(name)), encodeRfc3986(decodeURIComponent(value))]);
  }
  pairs.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** Hex SHA-256 of a body; an absent body hashes as empty. */
export function bodyDigest(body: string | Uint8Array | undefined): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex');
}

/** The string that is signed. `target` is the request target as sent: path and optional `?query`. */
export function canonicalRequest(options: { method: string; target: string; bodySha256: string; timestamp: number }): string {
  const q = options.target.indexOf('?');
  const path = q === -1 ? options.target : options.target.slice(0, q);
  const query = q === -1 ? '' : options.target.slice(q + 1);
  return [SIGNATURE_ALGORITHM, String(options.timestamp), options.method.toUpperCase(), path, canonicalQuery(query), options.bodySha256].join('\n');
}

/** Base64 HMAC-SHA256 of the canonical request under the signing secret. */
export function computeSignature(secret: string, canonical: string): string {
  return createHmac('sha256', secret).update(canonical).digest('base64');
}

export interface SignRequestOptions {
  /** The API key, `prk_…`. */
  readonly key: string;
  /** The key's signing secret, `prs_…`, shown once when the key was created. */
  readonly secret: string;
  readonly method: string;
  /** The URL the request goes to, absolute or a path with its query; sign exactly what you send. */
  readonly url: string;
  /** The exact body bytes sent (a string is sent as UTF-8); omit for none. */
  readonly body?: string | Uint8Array | undefined;
  /** The signing time (default: now). Each signature is accepted once, within 5 minutes of it. */
  readonly now?: Date | undefined;
}

/** The headers that authenticate and sign one request. */
export interface SignedHeaders {
  readonly authorization: string;
  readonly 'parapet-timestamp': string;
  readonly 'parapet-signature': string;
}

/**
 * Signs a request for a key whose signing is required. Send every returned header with it; sign
 * each request anew (a signature is accepted only once).
 */
export function signRequest(options: SignRequestOptions): SignedHeaders {
  const url = new URL(options.url, 'http://parapet.invalid');
  const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const canonical = canonicalRequest({ method: options.method, target: `${url.pathname}${url.search}`, bodySha256: bodyDigest(options.body), timestamp });
  return {
    authorization: `Bearer ${options.key}`,
    'parapet-timestamp': String(timestamp),
    'parapet-signature': `v1=${computeSignature(options.secret, canonical)}`,
  };
}
