import type { AppTransactor } from '../../../database.ts';
import { int, isoOrNull, list, maybe, obj, time, uuid } from '../../../platform/json-schema.ts';
import type { PersonalDataContributor, PersonalDataSection } from '../../lifecycle/index.ts';

/**
 * The `mfa` section of the personal data export (DATA-2): the user's authenticator-app factors and
 * the state of their recovery codes. Never the TOTP seed (sealed or not), its last time step, or a
 * recovery code's digest: only dates and counts.
 */
export const MFA_SECTION: PersonalDataSection = {
  section: 'mfa',
  schema: obj({
    totp_factors: list(obj({ id: uuid, created_at: time, confirmed_at: maybe(time), last_used_at: maybe(time) })),
    recovery_codes: maybe(obj({ generated_at: time, total: int, remaining: int, last_used_at: maybe(time) })),
  }),
  tables: ['totp_factors', 'mfa_recovery_codes'],
};

/** TOTP factors oldest first; recovery codes as one summary of the current set (null: none). Rows cascade from `users`. */
export function mfaPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...MFA_SECTION,
    collect: (userId) =>
      deps.transactor.withPlatform(async (tx) => {
        const factors = await tx.selectFrom('totp_factors').select(['id', 'created_at', 'confirmed_at', 'last_used_at']).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
        const codes = await tx.selectFrom('mfa_recovery_codes').select(['created_at', 'used_at']).where('user_id', '=', userId).execute();
        const usedAt = codes.flatMap((c) => (c.used_at === null ? [] : [c.used_at.getTime()]));
        return {
          totp_factors: factors.map((f) => ({ id: f.id, created_at: f.created_at.toISOString(), confirmed_at: isoOrNull(f.confirmed_at), last_used_at: isoOrNull(f.last_used_at) })),
          recovery_codes:
            codes.length === 0
              ? null
              : {
                  generated_at: new Date(Math.max(...codes.map((c) => c.created_at.getTime()))).toISOString(),
                  total: codes.length,
                  remaining: codes.length - usedAt.length,
                  last_used_at: usedAt.length === 0 ? null : new Date(Math.max(...usedAt)).toISOString(),
                },
        };
      }),
  };
}
