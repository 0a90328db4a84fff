import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { SessionService } from '../identity/index.ts';
import { revokeGrantArtifacts } from './artifact-adapter.ts';

/**
 * The tie between a provider grant and the Parapet session the user signed in with: a grant is
 * live only while its session is (AUTH-5 timeouts and revocations apply to apps' tokens too).
 */
export interface GrantSessions {
  link(input: { grantId: string; sessionId: string; userId: string; clientId: string }): Promise<void>;
  /** Whether the grant's Parapet session is still live (not revoked, idle or past its end). */
  live(grantId: string): Promise<boolean>;
  /** Destroys every grant (and its codes and tokens) issued for `sessionId`; returns the grant ids. */
  endSession(sessionId: string): Promise<string[]>;
}

export function createGrantSessions(deps: { transactor: AppTransactor; clock: Clock; sessions: Pick<SessionService, 'listForUser'> }): GrantSessions {
  const { transactor, clock } = deps;
  return {
    link: async (input) => {
      await transactor.withPlatform((tx) =>
        tx.insertInto('oidc_grant_sessions').values({ grant_id: input.grantId, session_id: input.sessionId, user_id: input.userId, client_id: input.clientId, created_at: clock.now() }).onConflict((oc) => oc.doNothing()).execute(),
      );
    },
    live: async (grantId) => {
      const row = await transactor.withPlatform((tx) => tx.selectFrom('oidc_grant_sessions').select(['session_id', 'user_id']).where('grant_id', '=', grantId).executeTakeFirst());
      if (row === undefined) return false;
      return (await deps.sessions.listForUser(row.user_id)).some((session) => session.id === row.session_id);
    },
    endSession: async (sessionId) => {
      const rows = await transactor.withPlatform((tx) => tx.deleteFrom('oidc_grant_sessions').where('session_id', '=', sessionId).returning('grant_id').execute());
      for (const { grant_id } of rows) await revokeGrantArtifacts(transactor, grant_id);
      return rows.map((row) => row.grant_id);
    },
  };
}
