/**
 * Columns that name a person: a user id under its usual names, or an address. A table with one of
 * them holds personal data, so some personal-data section exports it or it is listed below.
 */
export const PERSONAL_DATA_COLUMNS: readonly string[] = [
  'user_id',
  'actor_id',
  'created_by',
  'updated_by',
  'deleted_by',
  'revoked_by',
  'requested_by',
  'requester_id',
  'principal_id',
  'invited_by',
  'accepted_by',
  'decided_by',
  'acknowledged_by',
  'cancelled_by',
  'email',
  'recipient',
];

/**
 * Tables that name a person but that no section exports, each with the reason (DATA-2). The
 * coverage test (`personal-data-coverage.test.ts`) fails for a table that is neither exported
 * nor here; docs/data-lifecycle.md repeats this list.
 */
export const PERSONAL_DATA_EXCLUSIONS: Readonly<Record<string, string>> = {
  // Exported, but at the document's top level (`deletion`, export-service.ts), not as a section.
  user_deletions: 'the pending deletion is the export document’s top-level `deletion`',
  // Exists only once the account is gone: there is nobody left to export it for.
  account_tombstones: 'written when the account is purged; holds an HMAC of the address, not the address',
  // Transient sign-in state: lives minutes, swept hourly; what it leads to is in `sessions`.
  mfa_pending_logins: 'a password-accepted sign-in waiting 5 minutes for its second factor (deleted within the hour); its address and user agent continue in the session it becomes',
  webauthn_challenges: 'a one-time ceremony challenge that expires in minutes; the passkey it registers is in `passkeys`',
  // An organization's own configuration, naming who last changed it: the change itself is in the
  // user's `audit_events` (where they were the actor); the row describes the organization.
  organizations: 'the organization’s row (`created_by`); the user’s membership is in `organizations`, creating it in `audit_events`',
  service_accounts: 'organization configuration (`created_by`); creating it is in the user’s `audit_events`',
  oauth_clients: 'organization configuration (`created_by`); creating it is in the user’s `audit_events`',
  organization_settings: 'organization configuration (`updated_by`); the change is in the user’s `audit_events`',
  organization_security_policies: 'organization configuration (`updated_by`); the change is in the user’s `audit_events`',
  retention_settings: 'organization configuration (`updated_by`); the change is in the user’s `audit_events`',
  organization_deletions: 'the organization’s deletion (`requested_by`, `cancelled_by`); both are in the user’s `audit_events`',
  // Secret values are the organization's, never the writer's, and must not leave in an export.
  secrets: 'the organization’s vault (`deleted_by`); the deletion is in the user’s `audit_events`',
  secret_versions: 'the organization’s secret values (`created_by`); writes are in the user’s `audit_events`',
  // The organization's security record about an event; the event itself is exported elsewhere.
  security_alerts: 'an organization’s alert about an event (`actor_id`, `acknowledged_by`): break-glass access is in `access_requests`, a reused refresh token ends a session in `sessions`',
  // Not yet exported: mail delivery rows name a recipient address, not a user id, and belong to
  // platform/mail, which may not depend on modules; an account's rows go with it at deletion.
  mail_deliveries: 'delivery status of mail (kind, status, dates) by recipient address; not yet exported, deleted with the account',
  // Outside researchers have no account: their reports are theirs to read through the portal (docs/disclosure.md).
  // One-time upgrade list (migration 0030): operators that existed before row MACs; emptied at start.
  identity_operator_upgrade: 'operator accounts listed once when row MACs were introduced, MACed and removed at the next start; the status itself is in `users`',
  sso_policies: 'organization configuration (`updated_by`); the change is in the user’s `audit_events`',
  incidents: 'the platform’s incident record (`created_by`, a platform administrator); opening it is in the platform audit log',
  security_alert_rules: 'the deployment’s alert-rule overrides (`updated_by`, a platform administrator); each change is in the platform audit log',
  oidc_applications: 'organization configuration (`created_by`); registering it is in the user’s `audit_events`',
  // Not yet exported: which OpenID applications a session signed in to; it ends with the session.
  oidc_grant_sessions: 'the link from an OpenID application’s grant to the session it came from (not yet exported; removed when the session ends); signing in to the application is in the user’s `audit_events`',
  // One-time upgrade copies (migrations 0062, 0063): rows that existed before row MACs, read once at start to MAC them and removed.
  api_keys_mac_upgrade: 'a one-time copy of API keys that existed before row MACs (`created_by`), MACed and removed at the next start; the key itself is in `api_keys`',
  role_bindings_mac_upgrade: 'a one-time copy of role bindings that existed before row MACs, MACed and removed at the next start; the bindings themselves are in the `organizations` section',
  totp_factors_mac_upgrade: 'a one-time copy of TOTP factors that existed before row MACs (`user_id`), MACed and removed at the next start; the factor itself is in the `mfa` section',
  mfa_recovery_codes_mac_upgrade: 'a one-time copy of unused recovery codes that existed before row MACs (`user_id`, the digest), MACed and removed at the next start; the codes themselves are in the `mfa` section',
  passkeys_mac_upgrade: 'a one-time copy of passkeys that existed before row MACs (`user_id`, credential id, public key), MACed and removed at the next start; the passkey itself is in the `passkeys` section',
  users_email_upgrade: 'a one-time copy of addresses that existed before the address MAC (`user_id`, `email`), MACed onto the account and removed at the next start; the address itself is in `users`',
  users_password_upgrade: 'a one-time copy of password hashes that existed before they were sealed (`user_id`, the hash), sealed onto the account and removed at the next start; the account itself is in `users`',
  oidc_branding: 'organization configuration (`updated_by`); the change is in the user’s `audit_events`',
  oidc_resource_servers: 'organization configuration (`created_by`); registering it is in the user’s `audit_events`',
  oidc_sign_up_settings: 'organization configuration (`updated_by`); the change is in the user’s `audit_events`',
  scim_directories: 'organization configuration (`created_by`); creating it is in the user’s `audit_events`',
  sso_setup_links: 'organization configuration (`created_by`): an SSO setup link a Tenant Admin made for their IT administrator; making it is in the user’s `audit_events`',
  // Which of a user's role bindings an SSO group rule made (so that a group no longer asserted ends only those); removed with the user (on delete cascade).
  sso_group_bindings: 'bookkeeping of which role binding an SSO group rule made for the user (`user_id`, ids only); the binding itself is in the `organizations` section, and the row goes with the account (on delete cascade)',
  incident_reviews: 'the platform’s post-incident review (`updated_by`, a platform administrator); each edit is in the platform audit log',
  incident_notice_templates: 'the operator’s notice texts (`updated_by`, a platform administrator); each edit is in the platform audit log',
  // Not yet exported: before its link is used, a sign-up has no account to export it for.
  oidc_sign_ups: 'a self-service sign-up waiting for its emailed link (address, password hash; no account yet); the link expires after 24 hours (not yet exported)',
  disclosure_tokens: 'single-use links mailed to a vulnerability reporter (no account), by address; the reports they open are read through the researcher portal',
  disclosure_portal_sessions: 'researcher portal sessions of a vulnerability reporter (no account), by address, for 30 minutes; the reports and conversations they open are read through the portal itself',
  // Platform-level subscribers are visitors of public pages, not a tenant's users (docs/subscriptions.md, the DATA-2/DATA-3 decision).
  subscription_subscribers: 'subscribers of the public status page and subprocessor list, by address (no account, no organization); unsubscribing through the signed link in every notice erases the address at once, and unconfirmed requests are deleted when their link expires',
  // Back-channel logout notices waiting for delivery (openid outbox): no content but ids.
  oidc_backchannel_outbox: 'a back-channel logout notice waiting for delivery (application, `user_id`, session id; no token), deleted once delivered or given up after about 45 minutes',
  // The requests themselves are the trust module's `trust_nda_requests` section (by address).
  trust_nda_tokens: 'single-use links mailed to an NDA requester (no account), by address (only the token\u2019s hash); they expire within 48 hours, and go with their request (counted in the `trust_nda_requests` section, removed by its retention purge)',
};
