import { defineOption, cidrList } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly auditStreamAllowedNetworks: readonly string[];
  }
}

/** The audit-streaming module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const AUDIT_STREAMING_OPTIONS = [
  defineOption({
    key: 'auditStreamAllowedNetworks', env: 'PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) audit stream destinations may be in; other private, loopback and metadata addresses are refused.',
    parse: cidrList, derive: () => [],
  }),
] as const;
