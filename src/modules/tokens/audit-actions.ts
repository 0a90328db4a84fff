import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const TOKENS_AUDIT_ACTIONS = defineAuditActions({
  'session.tokens_issued': 'An API client signed in and got an access token and a refresh token bound to the session.',
  'session.token_refreshed': 'An API client exchanged its refresh token for a new pair (the old refresh token retired).',
  'session.refresh_token_reused': 'A retired refresh token was presented again: its whole family and session were revoked and an alert raised.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof TOKENS_AUDIT_ACTIONS, true> {}
}
