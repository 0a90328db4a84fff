import type { Tx } from '../../database.ts';
import { liveKeysMadeByUser } from '../api-keys/index.ts';
import { identityReads } from '../identity/index.ts';
import { tenancy } from '../tenants/index.ts';

// Every statement runs inside withTenant; queries still name tenant_id (see tenants-store.ts).

/** A page of an organization's members with their account fields, ordered by user id (tenancy's memberships, identity's accounts). */
export async function listMembers(tx: Tx, tenantId: string, page: { after?: string | undefined; limit: number; userId?: string | undefined }) {
  const memberships = await tenancy.membershipPage(tx, tenantId, page);
  const accounts = new Map((await identityReads.accountsOf(tx, memberships.map((m) => m.user_id))).map((a) => [a.id, a]));
  return memberships.flatMap((m) => {
    const account = accounts.get(m.user_id);
    return account === undefined ? [] : [{ id: m.user_id, email: account.email, display_name: account.display_name, joined_at: m.created_at }];
  });
}

/** When each user last signed in (their newest session's authentication), from the platform's sessions. */
export const lastSignIns = identityReads.lastSignInsOf;

/** API keys a user made in the organization that are neither revoked nor past their end. */
export const liveKeysMadeBy = liveKeysMadeByUser;

