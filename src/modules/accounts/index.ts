export { createAccountsService, type AccountsService, type AccountThrottles } from './accounts-service.ts';
export { createInvitationsService, invitationStatus, type InvitationsService, type InvitationRow } from './invitations-service.ts';
export { registerAccountsRoutes, RESET_REQUESTED } from './accounts-routes.ts';
export { ACCOUNT_LINK_TTL_MS } from './account-tokens.ts';
export type { AccountsTables } from './accounts-tables.ts';
export { accountsModule, type AccountsApi } from './module.ts';
export { ACCOUNT_LINKS_SECTION, INVITATIONS_SECTION, accountLinksPersonalData, invitationsPersonalData } from './accounts-personal-data.ts';
export { ACCOUNTS_ERRORS } from './errors.ts';
export { ACCOUNTS_AUDIT_ACTIONS } from './audit-actions.ts';
