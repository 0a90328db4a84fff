import { BlockList } from 'node:net';
import { addressFamily } from './cidr.ts';

/**
 * Addresses that are not ordinary, globally reachable unicast hosts: the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890 and its updates), plus multicast, the deprecated
 * site-local and 6to4 ranges (6to4 and NAT64 embed an IPv4 address, private ones included), and
 * the newer documentation (RFC 9637) and SRv6 (RFC 9602) blocks. A guard against server-side
 * request forgery refuses every one of them unless an operator opens it on purpose.
 */
export const SPECIAL_PURPOSE_RANGES: readonly string[] = Object.freeze([
  // IPv4
  '0.0.0.0/8', // "this network" (RFC 791)
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // shared address space, carrier-grade NAT (RFC 6598)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, cloud metadata services (RFC 3927)
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments (RFC 6890)
  '192.0.2.0/24', // documentation TEST-NET-1 (RFC 5737)
  '192.31.196.0/24', // AS112-v4 (RFC 7535)
  '192.52.193.0/24', // AMT (RFC 7450)
  '192.88.99.0/24', // deprecated 6to4 relay anycast (RFC 7526)
  '192.168.0.0/16', // private (RFC 1918)
  '192.175.48.0/24', // direct delegation AS112 (RFC 7534)
  '198.18.0.0/15', // benchmarking (RFC 2544)
  '198.51.100.0/24', // documentation TEST-NET-2 (RFC 5737)
  '203.0.113.0/24', // documentation TEST-NET-3 (RFC 5737)
  '224.0.0.0/4', // multicast (RFC 5771)
  '240.0.0.0/4', // reserved (RFC 1112), including 255.255.255.255 limited broadcast (RFC 919)
  // IPv6
  '::/96', // unspecified ::/128, loopback ::1/128 and the deprecated IPv4-compatible addresses (RFC 4291)
  '::ffff:0:0/96', // IPv4-mapped (RFC 4291): checked apart, see isSpecialPurposeAddress
  '64:ff9b::/96', // NAT64 well-known prefix (RFC 6052)
  '64:ff9b:1::/48', // local-use NAT64 (RFC 8215)
  '100::/64', // discard-only (RFC 6666)
  '2001::/23', // IETF protocol assignments: Teredo, benchmarking, ORCHID… (RFC 2928)
  '2001:db8::/32', // documentation (RFC 3849)
  '2002::/16', // 6to4 (RFC 3056)
  '2620:4f:8000::/48', // direct delegation AS112 (RFC 7534)
  '3fff::/20', // documentation (RFC 9637)
  '5f00::/16', // segment routing SIDs (RFC 9602)
  'fc00::/7', // unique local (RFC 4193)
  'fe80::/10', // link-local (RFC 4291)
  'fec0::/10', // deprecated site-local (RFC 3879)
  'ff00::/8', // multicast (RFC 4291)
]);

const MAPPED = '::ffff:0:0/96';

// BlockList matches an IPv6 rule against IPv4 addresses through their mapped form (an
// `::ffff:0:0/96` rule would match every IPv4 address), so the mapped range is kept apart and
// checked for IPv6 addresses only.
const ordinaryRules = new BlockList();
for (const range of SPECIAL_PURPOSE_RANGES) {
  if (range === MAPPED) continue;
  const [address = '', prefix = ''] = range.split('/');
  ordinaryRules.addSubnet(address, Number(prefix), addressFamily(address) ?? 'ipv6');
}
const mappedRule = new BlockList();
mappedRule.addSubnet('::ffff:0:0', 96, 'ipv6');

/**
 * Whether an IP address is special-purpose (see `SPECIAL_PURPOSE_RANGES`). Anything that is not
 * a plain IP address (a zone index such as `fe80::1%eth0` included) counts as special, so a
 * caller that refuses special addresses refuses it too.
 */
export function isSpecialPurposeAddress(address: string): boolean {
  const family = addressFamily(address);
  if (family === undefined) return true;
  if (family === 'ipv6' && mappedRule.check(address, 'ipv6')) return true;
  return ordinaryRules.check(address, family);
}
