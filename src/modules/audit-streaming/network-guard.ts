import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DeliveryError } from './delivery-error.ts';

/** Which addresses destinations may reach, so a tenant cannot point Parapet at internal services. */
export interface AddressGuard {
  /** Throws `address_not_allowed` for a private or reserved IP literal not in the allowlist. */
  assertAllowed(address: string): void;
  /** A DNS lookup for `net`/`tls`/`https` that drops private or reserved answers (no DNS rebinding). */
  readonly lookup: LookupFunction;
}

// Loopback, private, link-local (cloud metadata), shared, benchmarking, multicast and reserved
// ranges (RFC 6890), and NAT64, which can reach them. (BlockList checks IPv4-mapped IPv6
// addresses against the IPv4 rules.)
const RESERVED: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], ['10.0.0.0', 8, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['127.0.0.0', 8, 'ipv4'], ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'], ['192.0.0.0', 24, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['198.18.0.0', 15, 'ipv4'], ['224.0.0.0', 3, 'ipv4'],
  ['::', 127, 'ipv6'], ['64:ff9b::', 96, 'ipv6'], ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6'], ['ff00::', 8, 'ipv6'],
];

/**
 * `allowedNetworks`: CIDRs the operator opens on purpose (the SIEM collector's subnet, or
 * `127.0.0.0/8` in tests). Everything else private or reserved is refused.
 */
export function createAddressGuard(allowedNetworks: readonly string[]): AddressGuard {
  const reserved = new BlockList();
  for (const [network, prefix, type] of RESERVED) reserved.addSubnet(network, prefix, type);
  const allowed = new BlockList();
  for (const cidr of allowedNetworks) {
    const [network = '', prefixText = ''] = cidr.split('/');
    const family = isIP(network);
    const prefix = Number(prefixText);
    if (family === 0 || !/^\d{1,3}$/.test(prefixText) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`not a CIDR: ${cidr}`);
    allowed.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }

  const permits = (address: string): boolean => {
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    return allowed.check(address, type) || !reserved.check(address, type);
  };

  return {
    assertAllowed: (address) => {
      if (isIP(address) !== 0 && !permits(address)) throw new DeliveryError('address_not_allowed', `${address} is a private or reserved address`);
    },
    lookup: (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error !== null) {
          callback(error, '');
          return;
        }
        const usable = addresses.filter((a) => permits(a.address));
        const first = usable[0];
        if (first === undefined) {
          callback(new DeliveryError('address_not_allowed', `${hostname} resolves only to private or reserved addresses`), '');
          return;
        }
        if (options.all === true) callback(null, usable);
        else callback(null, first.address, first.family);
      });
    },
  };
}
