import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const OAUTH_AUDIT_ACTIONS = defineAuditActions({
  'oauth_client.created': 'An OAuth client (client credentials: a secret or registered public keys) was created for a service account.',
  'oauth_client.deleted': 'An OAuth client was deleted; its access tokens stop working.',
  'oauth.token_issued': 'An access token was issued to a service account through the client-credentials grant.',
  'oauth.token_refused': 'A token request was refused: unknown client, wrong credentials, replayed assertion, disabled account, or a scope beyond the account.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof OAUTH_AUDIT_ACTIONS, true> {}
}
