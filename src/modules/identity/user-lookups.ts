import type { AppTransactor } from '../../database.ts';
import type { RowIntegrity } from './row-integrity.ts';

/**
 * Read-only facts about a user that other modules need without reading identity's tables
 * (their personal-data sections: the export finds refresh-token families by session and
 * invitations by address).
 */
export interface UserLookups {
  /** Every session id of the user, ended ones included. */
  sessionIds(userId: string): Promise<readonly string[]>;
  /** The user's current address, or undefined for an unknown user. */
  email(userId: string): Promise<string | undefined>;
}

export function createUserLookups(transactor: AppTransactor): UserLookups {
  return {
    sessionIds: async (userId) => (await transactor.withPlatform((tx) => tx.selectFrom('sessions').select('id').where('user_id', '=', userId).execute())).map((s) => s.id),
    email: async (userId) => (await transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst()))?.email,
  };
}

/**
 * Whether `userId` is an enabled platform operator: the operator flag counts only with its
 * integrity MAC (row-integrity.ts), like at sign-in. For modules that name an operator (the
 * disclosure module's assignee) without reading identity's tables.
 */
export async function isActivePlatformOperator(transactor: AppTransactor, integrity: Pick<RowIntegrity, 'isPlatformAdmin'>, userId: string): Promise<boolean> {
  const row = await transactor.withPlatform((tx) => tx.selectFrom('users').select(['id', 'is_platform_admin', 'platform_admin_mac', 'disabled_at']).where('id', '=', userId).executeTakeFirst());
  return row !== undefined && row.disabled_at === null && integrity.isPlatformAdmin(row);
}
