import type { AppTransactor } from '../../database.ts';
import { int, list, maybe, obj, time, uuid } from '../../platform/json-schema.ts';
import type { UserLookups } from '../identity/index.ts';
import type { PersonalDataContributor, PersonalDataSection } from '../lifecycle/index.ts';

/**
 * The `refresh_token_families` section of the personal data export (DATA-2): one entry per API
 * client sign-in (a family is a session; its address, user agent and revocation are in the
 * `sessions` entry with the same id). Never a token or its digest.
 */
export const REFRESH_TOKEN_FAMILIES_SECTION: PersonalDataSection = {
  section: 'refresh_token_families',
  schema: list(obj({ session_id: uuid, organization_id: maybe(uuid), created_at: time, last_refreshed_at: maybe(time), refreshes: int, expires_at: time })),
  tables: ['refresh_tokens'],
};

/**
 * The families of the user's sessions (the identity module lists them), oldest first. Rows cascade from `sessions`, which cascade from `users`.
 */
export function userTokensPersonalData(deps: { transactor: AppTransactor; users: Pick<UserLookups, 'sessionIds'> }): PersonalDataContributor {
  return {
    ...REFRESH_TOKEN_FAMILIES_SECTION,
    collect: async (userId) => {
      const sessionIds = await deps.users.sessionIds(userId);
      if (sessionIds.length === 0) return [];
      const families = await deps.transactor.withPlatform((tx) =>
        tx
          .selectFrom('refresh_tokens')
          .select((eb) => ['session_id', 'organization_id', eb.fn.min('created_at').as('created_at'), eb.fn.max('created_at').as('latest_at'), eb.fn.countAll<string>().as('tokens'), eb.fn.max('family_expires_at').as('expires_at')])
          .where('session_id', 'in', sessionIds)
          .groupBy(['session_id', 'organization_id'])
          .execute(),
      );
      return families
        .map((f) => {
          const refreshes = Number(f.tokens) - 1;
          return { session_id: f.session_id, organization_id: f.organization_id, created_at: new Date(f.created_at).toISOString(), last_refreshed_at: refreshes === 0 ? null : new Date(f.latest_at).toISOString(), refreshes, expires_at: new Date(f.expires_at).toISOString() };
        })
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.session_id.localeCompare(b.session_id));
    },
  };
}
