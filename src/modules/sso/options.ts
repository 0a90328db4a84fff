import { defineOption, asString, cidrList, optional, OptionError } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** DNS servers (`host:port`) the SSO module asks for domain-verification TXT records; empty: the system resolver. */
    readonly ssoDnsServers: readonly string[];
    /** Private networks (CIDRs) IdP metadata URLs and domain-verification hosts may be in; others are refused. */
    readonly ssoFetchAllowedNetworks: readonly string[];
    /** A PEM file of CA certificates trusted, besides the system's, for IdP metadata and domain-verification fetches. */
    readonly ssoFetchCaFile: string | undefined;
  }
}

/** `host:port` entries (IPv4, or [IPv6]); the port defaults to 53. */
function dnsServerList(raw: unknown): readonly string[] {
  const entries = asString(raw).split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const entry of entries) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/.test(entry)) throw new OptionError(`"${entry.slice(0, 60)}" is not host:port with an IP address, e.g. 10.0.0.2:53`);
  }
  return entries;
}

/** The sso module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const SSO_OPTIONS = [
  defineOption({
    key: 'ssoDnsServers', env: 'PARAPET_SSO_DNS_SERVERS', defaultText: '(the system resolver)',
    description: 'DNS servers (comma-separated host:port, e.g. 10.0.0.2:53) asked for SSO domain-verification TXT records.',
    parse: dnsServerList, derive: () => [],
  }),
  defineOption({
    key: 'ssoFetchAllowedNetworks', env: 'PARAPET_SSO_FETCH_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) an IdP metadata URL or a domain\'s HTTPS verification file may be fetched from; other private, loopback and metadata addresses are refused.',
    parse: cidrList, derive: () => [],
  }),
  defineOption({
    key: 'ssoFetchCaFile', env: 'PARAPET_SSO_FETCH_CA_FILE', defaultText: '(the system CAs only)',
    description: 'A PEM file of CA certificates trusted, besides the system CAs, when fetching IdP metadata and domain-verification files (an IdP behind a private CA).',
    parse: optional, derive: () => undefined,
  }),
] as const;
