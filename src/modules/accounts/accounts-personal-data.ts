import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { isoOrNull, list, maybe, obj, str, time, uuid } from '../../platform/json-schema.ts';
import { normalizeEmail, type UserLookups } from '../identity/index.ts';
import type { PersonalDataContributor, PersonalDataSection } from '../lifecycle/index.ts';
import { invitationStatus, type InvitationRow } from './invitations-service.ts';

const invitation = obj({ organization_id: uuid, id: uuid, email: str, role: str, status: { enum: ['pending', 'accepted', 'revoked', 'expired'] }, created_at: time, expires_at: time, accepted_at: maybe(time), revoked_at: maybe(time) });

/**
 * The `invitations` section of the personal data export (DATA-2): invitations sent to the user's
 * address or accepted by them, in any organization, and invitations the user sent (in the
 * organizations they belong to). Never the invitation token or its digest, nor who else invited.
 */
export const INVITATIONS_SECTION: PersonalDataSection = {
  section: 'invitations',
  schema: obj({ received: list(invitation), sent: list(invitation) }),
  tables: ['invitations'],
};

/**
 * The `account_links` section: the single-use links mailed to the user (address verification,
 * password reset, email change and its report), with the address each was about. Never the
 * token or its digest.
 */
export const ACCOUNT_LINKS_SECTION: PersonalDataSection = {
  section: 'account_links',
  schema: list(obj({ id: uuid, purpose: str, email: maybe(str), created_at: time, expires_at: time, used_at: maybe(time) })),
  tables: ['account_tokens'],
};

/**
 * Invitations for the user. Received ones are found by the user's current address (and by
 * `accepted_by`, for addresses changed since) through `parapet_invitation_organizations`, then
 * read inside each organization's context. They stay with the organization when the account is
 * deleted (`invited_by` and `accepted_by` are set null): they are its records of whom it invited.
 */
export function invitationsPersonalData(deps: { transactor: AppTransactor; clock: Clock; users: Pick<UserLookups, 'email'> }): PersonalDataContributor {
  const { transactor, clock } = deps;
  const columns = ['tenant_id', 'id', 'email', 'role', 'created_at', 'expires_at', 'accepted_at', 'revoked_at'] as const;
  const shape = (row: Pick<InvitationRow, (typeof columns)[number]>, now: Date) => ({
    organization_id: row.tenant_id,
    id: row.id,
    email: row.email,
    role: row.role,
    status: invitationStatus(row, now),
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    accepted_at: isoOrNull(row.accepted_at),
    revoked_at: isoOrNull(row.revoked_at),
  });
  return {
    ...INVITATIONS_SECTION,
    collect: async (userId, memberships) => {
      const now = clock.now();
      const email = await deps.users.email(userId);
      const address = email === undefined ? '' : normalizeEmail(email);
      const holders = await transactor.withActor(userId, (tx) => sql<{ tenant_id: string }>`select parapet_invitation_organizations() as tenant_id`.execute(tx));
      const received = [];
      for (const { tenant_id: tenantId } of [...holders.rows].sort((a, b) => a.tenant_id.localeCompare(b.tenant_id))) {
        const rows = await transactor.withTenant(tenantId, (tx) =>
          tx
            .selectFrom('invitations')
            .select(columns)
            .where('tenant_id', '=', tenantId)
            .where((eb) => eb.or([eb('email_normalized', '=', address), eb('accepted_by', '=', userId)]))
            .orderBy('id')
            .execute(),
        );
        received.push(...rows.map((row) => shape(row, now)));
      }
      const sent = [];
      for (const { tenantId } of memberships) {
        const rows = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('invitations').select(columns).where('tenant_id', '=', tenantId).where('invited_by', '=', userId).orderBy('id').execute());
        sent.push(...rows.map((row) => shape(row, now)));
      }
      return { received, sent };
    },
  };
}

/** The user's account links, oldest first. Rows cascade from `users`. */
export function accountLinksPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...ACCOUNT_LINKS_SECTION,
    collect: async (userId) =>
      (
        await deps.transactor.withPlatform((tx) =>
          tx.selectFrom('account_tokens').select(['id', 'purpose', 'email', 'created_at', 'expires_at', 'used_at']).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute(),
        )
      ).map((l) => ({ ...l, created_at: l.created_at.toISOString(), expires_at: l.expires_at.toISOString(), used_at: isoOrNull(l.used_at) })),
  };
}
