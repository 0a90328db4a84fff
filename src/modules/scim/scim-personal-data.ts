import type { AppTransactor } from '../../database.ts';
import { bool, list, maybe, obj, str, time, uuid } from '../../platform/json-schema.ts';
import type { PersonalDataContributor, PersonalDataSection } from '../lifecycle/index.ts';

/**
 * The `directory_profiles` section of the personal data export (DATA-2): what each organization's
 * directory (SCIM) sent about the user — names, addresses, whether the IdP has them active and the
 * roles it gave. Read in each organization the user is a member of; a profile in an organization
 * that already deprovisioned the member is not found this way (planned: a definer function listing
 * the user's SCIM rows across organizations). Rows go with the account (`on delete cascade`).
 */
export const SCIM_SECTION: PersonalDataSection = {
  section: 'directory_profiles',
  schema: list(
    obj({
      organization_id: uuid,
      directory_id: uuid,
      id: uuid,
      user_name: str,
      external_id: maybe(str),
      active: bool,
      display_name: maybe(str),
      given_name: maybe(str),
      family_name: maybe(str),
      emails: list(obj({ value: str })),
      applied_roles: list(str),
      created_at: time,
      updated_at: time,
    }),
  ),
  tables: ['scim_users'],
};

export function scimPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...SCIM_SECTION,
    collect: async (userId, memberships) => {
      const profiles = [];
      for (const { tenantId } of memberships) {
        const rows = await deps.transactor.withTenant(tenantId, (tx) =>
          tx
            .selectFrom('scim_users')
            .select(['tenant_id', 'directory_id', 'id', 'user_name', 'external_id', 'active', 'display_name', 'given_name', 'family_name', 'emails', 'applied_roles', 'created_at', 'updated_at'])
            .where('tenant_id', '=', tenantId)
            .where('user_id', '=', userId)
            .orderBy('created_at')
            .orderBy('id')
            .execute(),
        );
        for (const row of rows) {
          const { tenant_id: organizationId, emails, created_at: createdAt, updated_at: updatedAt, ...rest } = row;
          profiles.push({ organization_id: organizationId, ...rest, emails: emails as unknown as { value: string }[], created_at: createdAt.toISOString(), updated_at: updatedAt.toISOString() });
        }
      }
      return profiles;
    },
  };
}
