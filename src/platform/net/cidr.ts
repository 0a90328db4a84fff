import { ParapetError } from '../errors.ts';
import { BlockList, isIP } from 'node:net';

/** A parsed CIDR range: the address as written, its prefix length and its family. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Raised by `parseCidrList` for the first entry that is not a range; the message names it. */
export class CidrError extends ParapetError {
  readonly code = 'invalid_cidr';
  override readonly name = 'CidrError';
}

// Decimal, no sign, no leading zero: `/08` and `/+8` are not prefixes.
const PREFIX = /^(?:0|[1-9]\d{0,2})$/;

/**
 * The one CIDR parser: `a.b.c.d/n` or `x::y/n`, strictly. The address must be one `net.isIP`
 * accepts (dotted-quad IPv4 with no octet over 255 or leading zero, or IPv6), with no zone
 * (`%eth0`); the prefix a decimal from 0 to 32 (IPv4) or 128 (IPv6). With `bareAddress`, an
 * address alone is the single-address range (`/32` or `/128`). Host bits may be set
 * (`10.0.0.1/8` is `10.0.0.0/8`), as in `BlockList`. Returns undefined for anything else.
 */
export function parseCidr(text: string, options: { readonly bareAddress?: boolean } = {}): Cidr | undefined {
  if (text.length > 64 || text.includes('%')) return undefined;
  const slash = text.indexOf('/');
  if (slash === -1 && options.bareAddress !== true) return undefined;
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!PREFIX.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Parses a comma-separated list (blanks around entries ignored; an empty text is an empty list).
 * Throws a `CidrError` naming the first bad entry (cut to 64 characters).
 */
export function parseCidrList(text: string, options: { readonly bareAddress?: boolean } = {}): readonly string[] {
  if (text.trim() === '') return Object.freeze([]);
  const parts = text.split(',').map((part) => part.trim());
  for (const part of parts) {
    if (parseCidr(part, options) === undefined) throw new CidrError(`"${part.slice(0, 64)}" is not a CIDR range`);
  }
  return Object.freeze(parts);
}

/** `::ffff:10.0.0.1` (how a dual-stack socket reports IPv4) compares as `10.0.0.1`. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** The `BlockList` family of an address, or undefined when it is not an IP address (or has a zone). */
export function addressFamily(address: string): 'ipv4' | 'ipv6' | undefined {
  if (address.includes('%')) return undefined;
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/** A `BlockList` of the ranges; throws a `CidrError` on an entry `parseCidr` refuses. */
export function cidrBlockList(ranges: readonly string[], options: { readonly bareAddress?: boolean } = {}): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const parsed = parseCidr(range, options);
    if (parsed === undefined) throw new CidrError(`"${range.slice(0, 64)}" is not a CIDR range`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/**
 * A matcher for a list of ranges (bare addresses allowed); throws a `CidrError` on an invalid
 * entry, so validate input first. Anything that is not an IP address matches nothing.
 */
export function cidrMatcher(ranges: readonly string[]): (ip: string) => boolean {
  const list = cidrBlockList(ranges, { bareAddress: true });
  return (ip) => {
    const address = normalizeIp(ip);
    const family = addressFamily(address);
    return family !== undefined && list.check(address, family);
  };
}
