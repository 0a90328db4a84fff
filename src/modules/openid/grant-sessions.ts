import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { SessionService } from '../identity/index.ts';
import { revokeGrantArtifacts } from './artifact-adapter.ts';
import type { EndedGrant } from './backchannel-logout.ts';

/**
 * The tie between a provider grant and the Parapet session the user signed in with: a grant is
 * live only while its session is (AUTH-5 timeouts and revocations apply to apps' tokens too).
 */
export interface GrantSessions {
  link(input: { grantId: string; sessionId: string; userId: string; clientId: string }): Promise<void>;
  /** Whether the grant's Parapet session is still live (not revoked, idle or past its end). */
  live(grantId: string): Promise<boolean>;
  /** Records the provider's sid for the grant's client (from its authorization code). */
  recordSid(grantId: string, sid: string): Promise<void>;
  /**
   * Destroys every grant (and its codes and tokens) issued for `sessionId`; returns those grants.
   * Only the caller whose delete removed the rows gets them (every node hears of a revocation; one
   * sends the back-channel logout).
   */
  endSession(sessionId: string): Promise<EndedGrant[]>;
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
    recordSid: async (grantId, sid) => {
      await transactor.withPlatform((tx) => tx.updateTable('oidc_grant_sessions').set({ sid }).where('grant_id', '=', grantId).where('sid', 'is', null).execute());
    },
    endSession: async (sessionId) => {
      const rows = await transactor.withPlatform((tx) => tx.deleteFrom('oidc_grant_sessions').where('session_id', '=', sessionId).returning(['grant_id', 'client_id', 'user_id', 'sid']).execute());
      for (const { grant_id } of rows) await revokeGrantArtifacts(transactor, grant_id);
      return rows.map((row) => ({ clientId: row.client_id, userId: row.user_id, sid: row.sid }));
    },
  };
}
