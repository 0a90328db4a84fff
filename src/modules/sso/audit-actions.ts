import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const SSO_AUDIT_ACTIONS = defineAuditActions({
  'sso.connection_created': "An identity provider connection (OIDC or SAML) was added to the organization (never its client secret).",
  'sso.connection_updated': 'An identity provider connection was changed (certificates, endpoints, default role, IdP-initiated sign-in, enabled).',
  'sso.connection_metadata_refreshed': "A SAML connection's IdP metadata was fetched again from its URL (entity id, SSO URL, signing certificates).",
  'sso.connection_deleted': 'An identity provider connection was deleted; sign-ins through it stop.',
  'sso.domain_claimed': 'The organization claimed an email domain; it routes nothing until verified.',
  'sso.domain_verified': "The organization proved it owns an email domain (DNS TXT record or HTTPS well-known file); sign-ins for its addresses route to the organization's IdP.",
  'sso.domain_verification_failed': 'A domain verification attempt did not find the expected record.',
  'sso.domain_removed': 'A claimed or verified email domain was removed from the organization.',
  'sso.sign_in': "A user signed in through the organization's identity provider (protocol, connection, the IdP's amr or AuthnContextClassRef).",
  'sso.sign_in_refused': 'A single sign-on response was refused, with the reason (signature, issuer, audience, replay, expired, state, unverified email domain).',
  'sso.user_provisioned': 'A user was created just in time on their first single sign-on, and joined the organization with the default role.',
  'sso.member_provisioned': 'An existing user with a verified-domain address joined the organization on their first single sign-on, with the default role.',
  'sso.group_role_mapped': "A connection's rule was added: members the IdP puts in the group receive the role (organization-wide or at one project) at sign-in.",
  'sso.group_role_unmapped': "A connection's group-to-role rule was removed; the bindings it made end at each user's next sign-in.",
  'sso.group_roles_applied': "At a single sign-on, the roles mapped from the IdP's groups were granted, or withdrawn because the IdP no longer asserts the group (or kept, when withdrawing would leave no Tenant Admin).",
  'sso.setup_link_created': "A Tenant Admin made a self-serve setup link for the organization's IT administrator (the secret is shown once, never stored).",
  'sso.setup_link_revoked': 'A self-serve setup link was revoked; it opens nothing any more.',
  'sso.setup_link_opened': 'A self-serve setup link was opened, and bound to that browser (nobody can open it again).',
  'sso.setup_link_refused': 'A self-serve setup link was refused (unknown, wrong secret, expired, revoked or already opened), with the reason.',
  'sso.setup_tested': "The setup portal's test sign-in came back from the identity provider, with its outcome (no session opened).",
  'sso.policy_changed': 'The organization turned required SSO on or off, or changed its break-glass accounts.',
  'sso.local_sign_in_refused': 'A password or passkey sign-in was refused because the organization requires SSO for the address\u2019s verified domain.',
  'sso.break_glass_sign_in': 'A named break-glass account signed in with a password or passkey although the organization requires SSO.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof SSO_AUDIT_ACTIONS, true> {}
}
