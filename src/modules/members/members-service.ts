import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { bindingsOfUsers, heldByOwner, isPermission, type AccessControl, type AccessService, type Caller, type Conditions } from '../access/index.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import { cancelPendingRequests } from '../access-requests/index.ts';
import { deleteMembership } from '../tenants/index.ts';
import { identityReads } from '../identity/index.ts';
import * as store from './members-store.ts';

/** One role a member holds: the binding, its role (built-in key or custom role id) and scope. */
export interface MemberRole {
  readonly bindingId: string;
  readonly role: string;
  readonly projectId: string | null;
  readonly environmentId: string | null;
  readonly expiresAt: Date | null;
  readonly conditions: Conditions | null;
}

export interface MemberView {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly joinedAt: Date;
  /** Present when the caller may read access details (`access.read`). */
  readonly details?: { readonly roles: readonly MemberRole[]; readonly mfaMethods: readonly string[]; readonly mfaEnabled: boolean; readonly lastSignInAt: Date | null };
}

export interface MemberKey {
  readonly id: string;
  readonly name: string;
  readonly mode: 'live' | 'test';
  readonly permissions: readonly string[];
  readonly projectId: string | null;
  readonly environmentId: string | null;
  readonly expiresAt: Date;
  /** The member holds none of the key's permissions at its scope any more (issue 14 part 3). */
  readonly suspended: boolean;
}

/** Who removes: a signed-in caller (held to the removal rule) or the operator at the CLI. */
export type Remover = Caller | (AuditContext & { readonly operator: true });

export interface MembersDeps {
  readonly transactor: AppTransactor;
  readonly clock: Clock;
  readonly audit: AuditRecorder;
  readonly access: Pick<AccessControl, 'snapshot' | 'integrity'>;
  readonly accessService: Pick<AccessService, 'assertMayRemovePrincipal' | 'endBindingsOf'>;
  /** Ends every session of a user inside `tx`, announcing it to every node; returns the ended ids. */
  readonly endSessions: (tx: Tx, userId: string, reason: string) => Promise<readonly string[]>;
  /** The second-factor methods each user can use now, and whether any is primary (read outside tenant context). */
  readonly mfa: (userIds: readonly string[]) => Promise<Map<string, { methods: readonly string[]; enabled: boolean }>>;
}

/**
 * The members of an organization (issue 14 part 4): list them with their roles, second factors and
 * last sign-in, read one with the API keys they made, and remove one. Removing ends the member's
 * bindings and sessions and suspends their keys, under the removal rule (the remover holds all the
 * member holds here) and the last-Tenant-Admin guard.
 */
export function createMembersService(deps: MembersDeps) {
  const { transactor, clock, audit } = deps;

  /** Rows as views; with details, read in a transaction of their own and then (platform data) the second factors. */
  async function view(tenantId: string, rows: Awaited<ReturnType<typeof store.listMembers>>, detailed: boolean): Promise<MemberView[]> {
    if (!detailed) return rows.map((row) => ({ id: row.id, email: row.email, displayName: row.display_name, joinedAt: row.joined_at }));
    const ids = rows.map((row) => row.id);
    const [bindings, signIns] = await transactor.withTenant(tenantId, (tx) => Promise.all([bindingsOfUsers(tx, deps.access.integrity, tenantId, ids, clock.now()), store.lastSignIns(tx, ids)]));
    const mfa = await deps.mfa(ids);
    return rows.map((row) => ({
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      joinedAt: row.joined_at,
      details: {
        roles: bindings
          .filter((b) => b.principal_id === row.id)
          .map((b) => ({ bindingId: b.id, role: b.built_in_role ?? b.custom_role_id ?? '', projectId: b.project_id, environmentId: b.environment_id, expiresAt: b.expires_at, conditions: b.conditions })),
        mfaMethods: mfa.get(row.id)?.methods ?? [],
        mfaEnabled: mfa.get(row.id)?.enabled ?? false,
        lastSignInAt: signIns.get(row.id) ?? null,
      },
    }));
  }

  return {
    /** A page of members ordered by user id (`limit + 1` rows, for `toPage`). */
    list: async (tenantId: string, page: { after?: string | undefined; limit: number }, detailed: boolean): Promise<MemberView[]> => {
      const rows = await transactor.withTenant(tenantId, (tx) => store.listMembers(tx, tenantId, page));
      return view(tenantId, rows, detailed);
    },

    /**
     * One member, or a former member whose API keys still live here (so their suspended keys can be
     * found); anyone else is `not_found`. Keys are listed only when `withKeys`.
     */
    get: async (tenantId: string, userId: string, options: { detailed: boolean; withKeys: boolean }): Promise<{ member: MemberView; isMember: boolean; keys: MemberKey[] | undefined }> => {
      const now = clock.now();
      const found = await transactor.withTenant(tenantId, async (tx) => {
        const rows = await store.listMembers(tx, tenantId, { userId, limit: 1 });
        const keys = await store.liveKeysMadeBy(tx, tenantId, userId, now);
        if (rows.length > 0) return { rows, keys, isMember: true };
        if (keys.length === 0) return undefined;
        const [user] = await identityReads.accountsOf(tx, [userId]);
        return user === undefined ? undefined : { rows: [{ id: user.id, email: user.email, display_name: user.display_name, joined_at: user.created_at }], keys, isMember: false };
      });
      if (found === undefined) throw new AppError('not_found');
      const [member] = await view(tenantId, found.rows, options.detailed);
      if (member === undefined) throw new AppError('not_found');
      let keys: MemberKey[] | undefined;
      if (options.withKeys) {
        const snapshot = await deps.access.snapshot(tenantId);
        keys = found.keys.map((key) => {
          const scope = { tenantId, projectId: key.project_id ?? undefined, environmentId: key.environment_id ?? undefined };
          const held = snapshot === undefined ? [] : heldByOwner(snapshot, { type: 'user', id: userId }, key.permissions.filter(isPermission), scope, now);
          return { id: key.id, name: key.name, mode: key.mode, permissions: key.permissions, projectId: key.project_id, environmentId: key.environment_id, expiresAt: key.retires_at !== null && key.retires_at < key.expires_at ? key.retires_at : key.expires_at, suspended: held.length === 0 };
        });
      }
      return { member, isMember: found.isMember, keys };
    },

    /**
     * Removes a member: every binding (refused if that leaves no Tenant Admin, also against a
     * concurrent removal), the membership, pending just-in-time requests and every session end in
     * one transaction; the keys they made are suspended from then on (they act with what their
     * maker holds). Audited as `member.removed`.
     */
    remove: async (by: Remover, tenantId: string, userId: string): Promise<{ bindings: number; sessions: number; keysSuspended: number }> => {
      const snapshot = await deps.access.snapshot(tenantId);
      // Only members: anyone else's id answers as if it did not exist.
      if (snapshot === undefined || !snapshot.members.has(userId)) throw new AppError('not_found');
      if (!('operator' in by)) await deps.accessService.assertMayRemovePrincipal(by, tenantId, userId);
      const now = clock.now();
      return transactor.withTenant(
        tenantId,
        async (tx) => {
          const bindings = await deps.accessService.endBindingsOf(tx, tenantId, userId);
          // Removed meanwhile by someone else.
          if (!(await deleteMembership(tx, tenantId, userId))) throw new AppError('not_found');
          const requests = await cancelPendingRequests(tx, tenantId, userId, now);
          const sessions = await deps.endSessions(tx, userId, 'member_removed');
          const keys = await store.liveKeysMadeBy(tx, tenantId, userId, now);
          await audit.record(tx, tenantId, {
            action: 'member.removed',
            actor: by.actor,
            outcome: 'success',
            source: by.source,
            targets: [{ type: 'user', id: userId }],
            metadata: { bindings: bindings.length, sessions: sessions.length, api_keys_suspended: keys.length, access_requests_cancelled: requests },
          });
          return { bindings: bindings.length, sessions: sessions.length, keysSuspended: keys.length };
        },
        by.userId,
      );
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
