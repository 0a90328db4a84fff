import { defineOption, cidrList } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** Private networks OpenID back-channel logout URIs and applications' jwks_uri may be in (openid module, issue 17). */
    readonly oidcBackchannelAllowedNetworks: readonly string[];
  }
}

/** The openid module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const OPENID_OPTIONS = [
  defineOption({
    key: 'oidcBackchannelAllowedNetworks', env: 'PARAPET_OIDC_BACKCHANNEL_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) OpenID back-channel logout URIs and applications\' jwks_uri may be in; other private, loopback and metadata addresses are refused.',
    parse: cidrList, derive: () => [],
  }),
] as const;
