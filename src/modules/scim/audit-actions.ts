import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const SCIM_AUDIT_ACTIONS = defineAuditActions({
  'scim.directory_created': 'A SCIM directory was created for the organization; its bearer token was shown once (never logged).',
  'scim.directory_deleted': 'A SCIM directory was deleted: its token stops working; the members it provisioned stay, with the roles they hold.',
  'scim.token_rotated': "A SCIM directory's bearer token was replaced; the previous token stops working at once.",
  'scim.token_revoked': "A SCIM directory's bearer token was revoked; the directory answers no request until a new token is issued.",
  'scim.group_role_mapped': 'A directory group name was mapped to a role: members of the group receive it.',
  'scim.group_role_unmapped': 'A group-to-role mapping was removed; members lose the role at their next directory update.',
  'scim.user_provisioned': "The organization's directory created or linked a user and made them a member with the directory's roles.",
  'scim.user_updated': "The directory changed a user's attributes or roles.",
  'scim.user_deactivated': 'The directory deactivated or deleted a user: the member was suspended at once (roles and sessions ended, API keys suspended).',
  'scim.user_reactivated': "The directory reactivated a user: membership and the directory's roles were restored.",
  'scim.group_changed': 'The directory created, renamed, deleted a group or changed its members.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof SCIM_AUDIT_ACTIONS, true> {}
}
