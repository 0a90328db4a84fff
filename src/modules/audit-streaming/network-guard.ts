import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { addressFamily, cidrBlockList } from '../../platform/net/cidr.ts';
import { isSpecialPurposeAddress } from '../../platform/net/special-purpose-addresses.ts';
import { DeliveryError } from './delivery-error.ts';

/** Which addresses destinations may reach, so a tenant cannot point Parapet at internal services. */
export interface AddressGuard {
  /** Throws `address_not_allowed` for a private or reserved IP literal not in the allowlist. */
  assertAllowed(address: string): void;
  /**
   * Resolves a host name (an IP literal is checked as it is) and throws `address_not_allowed` when
   * any answer is refused. A name that does not resolve now is left to the check at connection.
   */
  assertResolvesAllowed(host: string): Promise<void>;
  /** A DNS lookup for `net`/`tls`/`https` that drops private or reserved answers (no DNS rebinding). */
  readonly lookup: LookupFunction;
}

/** Every address a name resolves to; `[]` when it does not resolve (now). */
export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

/** How long a save waits for DNS before leaving the name to the check at connection. */
const RESOLVE_TIMEOUT_MS = 5_000;

const systemResolveAll: ResolveAll = (hostname) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve([]);
    }, RESOLVE_TIMEOUT_MS);
    timer.unref();
    dnsLookup(hostname, { all: true, family: 0 }, (error, addresses) => {
      clearTimeout(timer);
      resolve(error === null ? addresses : []);
    });
  });

/**
 * `allowedNetworks`: CIDRs the operator opens on purpose (the SIEM collector's subnet, or
 * `127.0.0.0/8` in tests). Every special-purpose address (platform/net: loopback, private,
 * link-local, shared, documentation, benchmarking, multicast, NAT64, 6to4, IPv4-mapped… from the
 * IANA registries, RFC 6890) outside them is refused.
 */
export function createAddressGuard(allowedNetworks: readonly string[], options: { resolveAll?: ResolveAll } = {}): AddressGuard {
  const allowed = cidrBlockList(allowedNetworks);
  const resolveAll = options.resolveAll ?? systemResolveAll;

  const permits = (address: string): boolean => {
    const family = addressFamily(address);
    if (family === undefined) return false;
    return allowed.check(address, family) || !isSpecialPurposeAddress(address);
  };

  return {
    assertAllowed: (address) => {
      if (addressFamily(address) !== undefined && !permits(address)) throw new DeliveryError('address_not_allowed', `${address} is a private or reserved address`);
    },
    assertResolvesAllowed: async (host) => {
      if (addressFamily(host) !== undefined) {
        if (!permits(host)) throw new DeliveryError('address_not_allowed', `${host} is a private or reserved address`);
        return;
      }
      const addresses = await resolveAll(host);
      if (addresses.some((a) => !permits(a.address))) throw new DeliveryError('address_not_allowed', `${host} resolves to a private or reserved address`);
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
