import type { AppTransactor } from '../../database.ts';
import { bool, isoOrNull, list, maybe, obj, str, time, uuid } from '../../platform/json-schema.ts';
import type { PersonalDataContributor, PersonalDataSection } from '../lifecycle/index.ts';

/**
 * The `passkeys` section of the personal data export (DATA-2): what a user sees about each of
 * their passkeys. Not the public key, credential id, user handle or signature counter: they are
 * not secret, but mean nothing to a person and only serve verification.
 */
export const PASSKEYS_SECTION: PersonalDataSection = {
  section: 'passkeys',
  schema: list(obj({ id: uuid, name: str, aaguid: uuid, transports: list(str), backup_eligible: bool, backed_up: bool, created_at: time, last_used_at: maybe(time) })),
  tables: ['passkeys'],
};

/** The user's passkeys, oldest first. Rows go with the account (`on delete cascade`). */
export function passkeysPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...PASSKEYS_SECTION,
    collect: async (userId) =>
      (
        await deps.transactor.withPlatform((tx) =>
          tx.selectFrom('passkeys').select(['id', 'name', 'aaguid', 'transports', 'backup_eligible', 'backed_up', 'created_at', 'last_used_at']).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute(),
        )
      ).map((p) => ({ ...p, created_at: p.created_at.toISOString(), last_used_at: isoOrNull(p.last_used_at) })),
  };
}
