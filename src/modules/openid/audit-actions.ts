import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const OPENID_AUDIT_ACTIONS = defineAuditActions({
  'oidc.application_created': 'An OpenID application was registered in an environment (its type, redirect URI count and scopes; never its secret).',
  'oidc.application_deleted': 'An OpenID application was deleted; its codes and tokens stop working.',
  'oidc.resource_server_created': 'A resource server (an API receiving JWT access tokens) was registered in an environment: its identifier, scopes and token lifetime.',
  'oidc.resource_server_deleted': 'A resource server was deleted; no new access tokens are issued for it.',
  'oidc.sign_up_settings_updated': "An environment's self-service sign-up was set: its mode (off, invite_only, open) and allowed email domains.",
  'oidc.sign_up_requested': 'Someone asked for an account on the hosted sign-up page (platform log: whether the address already had an account is recorded here only).',
  'oidc.sign_up_completed': "A sign-up's email verification link was used: the account was created, its address verified.",
  'oidc.branding_updated': "An organization's hosted sign-in branding was set: display name, logo URL and colours.",
  'oidc.authorized': 'A user signed in to an OpenID application through the hosted sign-in: a grant was issued for their Parapet session.',
  'oidc.token_issued': "An OpenID application's token-endpoint exchange succeeded (code or refresh): grant type, scopes, resource of a JWT access token, whether a refresh token was issued; never a token.",
  'oidc.code_replayed': 'An authorization code was presented a second time: refused, and what its first use issued was revoked (RFC 6749 §4.1.2).',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof OPENID_AUDIT_ACTIONS, true> {}
}
