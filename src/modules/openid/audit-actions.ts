import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const OPENID_AUDIT_ACTIONS = defineAuditActions({
  'oidc.application_created': 'An OpenID application was registered in an environment (its type, redirect URI count and scopes; never its secret).',
  'oidc.application_deleted': 'An OpenID application was deleted; its codes and tokens stop working.',
  'oidc.resource_server_created': 'A resource server (an API receiving JWT access tokens) was registered in an environment: its identifier, scopes and token lifetime.',
  'oidc.resource_server_deleted': 'A resource server was deleted; no new access tokens are issued for it.',
  'oidc.authorized': 'A user signed in to an OpenID application through the hosted sign-in: a grant was issued for their Parapet session.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof OPENID_AUDIT_ACTIONS, true> {}
}
