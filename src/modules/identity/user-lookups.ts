import type { AppTransactor } from '../../database.ts';

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
