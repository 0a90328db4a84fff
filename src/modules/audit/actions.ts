/**
 * The catalogue of audit actions: dotted `noun.verb` names and what each records. Every event's
 * `action` comes from here, so consumers can rely on the list (docs/audit-log.md is generated
 * from it).
 */
export const AUDIT_ACTIONS = {
  'setup.completed': 'The first platform administrator was created with the setup link.',
  'session.created': 'A user signed in; a session was created.',
  'session.login_failed': 'A sign-in attempt failed (wrong credentials, unknown or disabled account).',
  'session.revoked': 'A session ended (sign-out, replaced by a new sign-in, or revoked).',
  'organization.created': 'An organization was created.',
  'organization.renamed': 'An organization was renamed.',
  'organization.deleted': 'An organization was deleted.',
  'project.created': 'A project was created.',
  'project.renamed': 'A project was renamed.',
  'project.deleted': 'A project was deleted.',
  'environment.created': 'An environment was created.',
  'environment.updated': 'An environment was renamed or its kind changed.',
  'environment.deleted': 'An environment was deleted.',
  'role.created': 'A custom role was created.',
  'role.updated': 'A custom role was renamed or its permissions changed.',
  'role.deleted': 'A custom role was deleted.',
  'binding.created': 'A role was bound to a member or service account at a scope (with its conditions and expiry).',
  'binding.deleted': 'A role binding was removed.',
  'service_account.created': 'A service account was created.',
  'service_account.disabled': 'A service account was disabled; its bindings and credentials stopped working.',
  'service_account.enabled': 'A disabled service account was enabled again.',
  'service_account.deleted': 'A service account and its bindings were deleted.',
  'access.reviewed': 'An access review of the organization was generated (API or CLI).',
  'access.requested': 'A user asked for just-in-time access to a role at a scope, with a reason and a duration.',
  'access.approved': 'A second person approved a just-in-time access request; a role binding expiring with it was created.',
  'access.rejected': 'A just-in-time access request was rejected.',
  'access.cancelled': 'The requester withdrew a pending just-in-time access request.',
  'access.revoked': 'An active just-in-time grant was ended before its expiry.',
  'access.granted': 'An approver opened a time-boxed grant for a named operator directly (a tenant-opened support request).',
  'access.break_glass': 'A platform operator self-approved emergency access (break-glass, at most one hour); an alert was raised.',
  'security_alert.raised': "A security alert was raised for the organization's administrators.",
  'security_alert.acknowledged': 'A security alert was acknowledged.',
  'settings.risky_writes_changed': 'The organization switched risky writes between disabled and approval.',
  'risky_write.requested': 'A risky write (e.g. deleting a project) was submitted and waits for a second administrator.',
  'risky_write.approved': 'A second administrator approved a risky write, which was carried out.',
  'risky_write.rejected': 'A pending risky write was rejected or withdrawn.',
  'authz.denied': 'A request was refused because the actor may not act on the target.',
  'audit.exported': 'The audit log was exported.',
  'audit.destination_created': "A SIEM destination (syslog or webhook) was added to the organization's audit stream.",
  'audit.destination_updated': 'An audit stream destination was renamed, enabled or disabled, or its format or target changed.',
  'audit.destination_deleted': 'An audit stream destination was deleted.',
  'audit.retention_changed': "An organization's audit retention period was changed.",
  'audit.retention_applied': 'Events older than the retention period were purged after a signed retention checkpoint.',
  'keys.tenant_key_rotated': "A new version of the organization's tenant key was made primary (on demand or on schedule, ENC-2).",
  'keys.tenant_key_retired': 'A superseded tenant key version was retired: no encrypted value references it any more.',
  'keys.tenant_key_destroyed': 'A tenant key version was destroyed (crypto-shredding): values encrypted under it can no longer be read.',
  'keys.root_rotated': 'A new root key version was made primary at the key provider; tenant keys are rewrapped under it.',
  'oauth_client.created': 'An OAuth client (client credentials: a secret or registered public keys) was created for a service account.',
  'oauth_client.deleted': 'An OAuth client was deleted; its access tokens stop working.',
  'oauth.token_issued': 'An access token was issued to a service account through the client-credentials grant.',
  'oauth.token_refused': 'A token request was refused: unknown client, wrong credentials, replayed assertion, disabled account, or a scope beyond the account.',
  'api.request': 'An API call: method, route, status and latency.',
  'api_key.created': 'An API key was created (its permissions, binding, expiry and whether it signs; never its secret).',
  'api_key.rotated': 'An API key was rotated: a successor was created and the old key given an overlap window.',
  'api_key.revoked': 'An API key was revoked; it stops working at once on every node.',
  'api_key.signature_rejected': 'A request made with a valid API key was refused for its signature: missing, stale, wrong or replayed.',
} as const;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, value);
}
