import { sql } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { isUniqueViolation } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import { organizationRoleBinding, type AccessControl, type AccessService } from '../access/index.ts';
import type { AuditActor, AuditRecorder, AuditSource } from '../audit/index.ts';
import { findUserByEmail, insertUser, type RowIntegrity } from '../identity/index.ts';
import type { MembersService } from '../members/index.ts';
import { insertMembership } from '../tenants/index.ts';
import { TOKEN_PREFIX } from './directories-service.ts';
import { ScimError } from './scim-error.ts';
import { GROUP_FILTER, USER_FILTER, filterToSql } from './scim-filter-sql.ts';
import { parseFilter } from './scim-filter.ts';
import { groupFromBody, patchGroup, patchUser, userFromBody, type GroupState, type JsonObject, type PatchOperation, type UserState } from './scim-patch.ts';
import * as store from './scim-store.ts';

/** The password hash of an account a directory created: no password verifies against it (as SSO's). */
export const NO_PASSWORD = '!scim-provisioned';
/** RFC 7644 §3.4.2.4: the page size when the client names none, and the most one page holds. */
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The directory a request authenticated as: every read and write is confined to it. */
export interface Directory {
  readonly tenantId: string;
  readonly row: store.DirectoryRow;
  readonly source: AuditSource;
}

export interface Page<T> {
  readonly total: number;
  readonly items: readonly T[];
}

export interface UserResult {
  readonly row: store.UserRow;
  readonly groups: readonly { id: string; display_name: string }[];
}

export interface GroupResult {
  readonly row: store.GroupRow;
  readonly members: readonly { id: string; user_name: string }[];
}

/** RFC 7644 §3.14: a resource's entity tag, weak (the representation may vary with the request). */
export function etagOf(version: number): string {
  return `W/"${String(version)}"`;
}

/**
 * RFC 7232 §3.1 If-Match against a resource's current version: absent, `*` or a list naming it
 * (weak comparison, RFC 7232 §2.3.2) passes; otherwise 412, and nothing is written.
 * Returns the version the write must still find (undefined: no precondition).
 */
export function assertIfMatch(ifMatch: string | undefined, version: number): number | undefined {
  if (ifMatch === undefined) return undefined;
  const tags = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (tags.includes('*') || tags.includes(`"${String(version)}"`)) return version;
  throw new ScimError(412);
}

function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  return at < 1 || at === email.length - 1 ? undefined : email.slice(at + 1).toLowerCase();
}

/** The address a user's account is made for: the primary email, else the work one, else the first, else userName. */
function accountEmail(user: UserState): string {
  const pick = user.emails.find((e) => e.primary === true) ?? user.emails.find((e) => e.type?.toLowerCase() === 'work') ?? user.emails[0];
  return (pick?.value ?? user.userName).trim();
}

/**
 * The SCIM protocol side (RFC 7644; issue 18 part 4): Users and Groups of one directory, provisioned
 * into the organization through the identity, tenants, access and members modules' APIs. A user
 * becomes a Parapet account (created, or linked by address) and a member with the directory's
 * default role plus the roles mapped to their groups; `active: false` or DELETE removes the member
 * at once (members.remove: roles and sessions end, their API keys are suspended), reactivation
 * restores the membership and the directory's roles.
 */
export function createScimService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: Pick<AuditRecorder, 'record'>;
  access: Pick<AccessControl, 'snapshot' | 'changed' | 'insertBinding'>;
  accessService: Pick<AccessService, 'endBindingsOf'>;
  members: Pick<MembersService, 'remove'>;
  /** The email domains the organization has verified (sso module): the only addresses its directories may provision. */
  verifiedDomains: (tenantId: string) => Promise<ReadonlySet<string>>;
  /** Issue 13: an existing account is linked only when its address carries its MAC. */
  integrity: Pick<RowIntegrity, 'platformAdminMac' | 'sealPasswordHash' | 'rowMac' | 'rowValid'>;
}) {
  const { transactor, clock, random, audit } = deps;
  const actorOf = (dir: Directory): AuditActor => ({ type: 'system', id: dir.row.id, display_name: `SCIM directory ${dir.row.name}`.slice(0, 120) });
  const inTenant = <T>(dir: Directory, fn: (tx: Tx) => Promise<T>): Promise<T> => transactor.withTenant(dir.tenantId, fn);

  async function assertProvisionable(dir: Directory, email: string): Promise<void> {
    const domain = emailDomain(email);
    // Account-takeover defence, as SSO's: a directory vouches only for addresses in a domain THIS
    // organization has proved it owns. Every other address gets the same answer, existing or not.
    if (domain === undefined || email.length > 254 || !(await deps.verifiedDomains(dir.tenantId)).has(domain)) throw new ScimError(400, 'invalidValue');
  }

  /** The roles a SCIM user should hold: the directory's default role and those mapped to their groups. */
  async function desiredRoles(tx: Tx, dir: Directory, scimUserId: string): Promise<string[]> {
    const groups = await store.groupsOfUsers(tx, dir.tenantId, [scimUserId]);
    const mapped = await store.rolesOfGroupNames(tx, dir.tenantId, dir.row.id, groups.map((g) => g.display_name));
    return [...new Set([dir.row.default_role, ...mapped])].sort();
  }

  async function bind(tx: Tx, tenantId: string, userId: string, role: string, now: Date): Promise<void> {
    await deps.access.insertBinding(tx, organizationRoleBinding({ tenantId, id: uuidv7(clock, random), userId, role, now }));
  }

  /**
   * Brings an active SCIM user's organization-level roles to what the directory says. The directory
   * is the source of truth for the members it provisions: when a role must go, every binding of
   * the member ends and the directory's roles are bound anew.
   */
  async function applyRoles(tx: Tx, dir: Directory, row: store.UserRow, joining: boolean): Promise<string[]> {
    const desired = await desiredRoles(tx, dir, row.id);
    const applied = new Set(joining ? [] : row.applied_roles);
    const now = clock.now();
    const removing = [...applied].some((role) => !desired.includes(role));
    if (removing) await deps.accessService.endBindingsOf(tx, dir.tenantId, row.user_id);
    for (const role of desired) if (removing || !applied.has(role)) await bind(tx, dir.tenantId, row.user_id, role, now);
    await tx.updateTable('scim_users').set({ applied_roles: desired }).where('tenant_id', '=', dir.tenantId).where('id', '=', row.id).execute();
    await deps.access.changed(tx, dir.tenantId);
    return desired;
  }

  async function isMember(dir: Directory, userId: string): Promise<boolean> {
    const snapshot = await deps.access.snapshot(dir.tenantId);
    return snapshot?.members.has(userId) === true;
  }

  /** Joins the organization (if not a member) and binds the directory's roles. */
  async function activate(dir: Directory, row: store.UserRow, action: 'scim.user_provisioned' | 'scim.user_reactivated'): Promise<void> {
    const member = await isMember(dir, row.user_id);
    await inTenant(dir, async (tx) => {
      if (!member) await insertMembership(tx, dir.tenantId, row.user_id, 'member', clock.now());
      const roles = await applyRoles(tx, dir, row, !member);
      await audit.record(tx, dir.tenantId, { action, actor: actorOf(dir), outcome: 'success', source: dir.source, targets: [{ type: 'user', id: row.user_id }, { type: 'scim_directory', id: dir.row.id }], metadata: { roles: roles.join(' ').slice(0, 200), joined: !member } });
    });
  }

  /**
   * Suspends the member at once: members.remove ends every binding and session and suspends the
   * API keys they made (they act with what their maker holds: nothing). Audited twice: the
   * members module's `member.removed` and `scim.user_deactivated` with the reason.
   */
  async function deactivate(dir: Directory, row: store.UserRow, reason: 'inactive' | 'deleted'): Promise<void> {
    let result = { bindings: 0, sessions: 0, keysSuspended: 0 };
    if (await isMember(dir, row.user_id)) {
      try {
        result = await deps.members.remove({ operator: true, userId: '', actor: actorOf(dir), source: dir.source }, dir.tenantId, row.user_id);
      } catch (error) {
        // The organization's last Tenant Admin stays: the directory cannot lock everyone out.
        if (error instanceof AppError && error.code === 'conflict') throw new ScimError(409, 'mutability', { cause: error });
        if (!(error instanceof AppError && error.code === 'not_found')) throw error;
      }
    }
    await inTenant(dir, async (tx) => {
      await tx.updateTable('scim_users').set({ applied_roles: [] }).where('tenant_id', '=', dir.tenantId).where('id', '=', row.id).execute();
      await audit.record(tx, dir.tenantId, {
        action: 'scim.user_deactivated',
        actor: actorOf(dir),
        outcome: 'success',
        source: dir.source,
        targets: [{ type: 'user', id: row.user_id }, { type: 'scim_directory', id: dir.row.id }],
        metadata: { reason, bindings: result.bindings, sessions: result.sessions, api_keys_suspended: result.keysSuspended },
      });
    });
  }

  async function userResult(dir: Directory, id: string): Promise<UserResult> {
    return inTenant(dir, async (tx) => {
      const row = await store.findUser(tx, dir.tenantId, dir.row.id, id);
      if (row === undefined) throw new ScimError(404);
      return { row, groups: await store.groupsOfUsers(tx, dir.tenantId, [row.id]) };
    });
  }

  async function groupResult(dir: Directory, id: string, withMembers: boolean): Promise<GroupResult> {
    return inTenant(dir, async (tx) => {
      const row = await store.findGroup(tx, dir.tenantId, dir.row.id, id);
      if (row === undefined) throw new ScimError(404);
      return { row, members: withMembers ? await store.membersOfGroups(tx, dir.tenantId, [row.id]) : [] };
    });
  }

  const stateOf = (row: store.UserRow): UserState => ({ userName: row.user_name, externalId: row.external_id, displayName: row.display_name, givenName: row.given_name, familyName: row.family_name, emails: [...row.emails], active: row.active });

  /** Writes a user's new state and carries out what changed: activation, deactivation, roles. */
  async function update(dir: Directory, before: store.UserRow, next: UserState, expectedVersion: number | undefined): Promise<UserResult> {
    if (next.userName === '') throw new ScimError(400, 'invalidValue');
    // A new address, or a reactivation, must (still) be in a verified domain. Deactivation never
    // depends on it: deprovisioning works even after the organization dropped the domain.
    const emailChanged = accountEmail(next).toLowerCase() !== accountEmail(stateOf(before)).toLowerCase();
    if (next.active && (emailChanged || !before.active)) await assertProvisionable(dir, accountEmail(next));
    // Suspension first: if it is refused (the last Tenant Admin), nothing is written.
    if (before.active && !next.active) await deactivate(dir, before, 'inactive');
    const row = await inTenant(dir, async (tx) => {
      try {
        const updated = await tx
          .updateTable('scim_users')
          .set({ user_name: next.userName, external_id: next.externalId, display_name: next.displayName, given_name: next.givenName, family_name: next.familyName, emails: JSON.stringify(next.emails) as never, active: next.active, updated_at: clock.now(), version: sql<number>`version + 1` })
          .where('tenant_id', '=', dir.tenantId)
          .where('id', '=', before.id)
          // If-Match: the version checked must still be the stored one (a concurrent change answers 412).
          .$if(expectedVersion !== undefined, (qb) => qb.where('version', '=', expectedVersion ?? 0))
          .returningAll()
          .executeTakeFirst();
        if (updated === undefined) throw new ScimError(expectedVersion === undefined ? 404 : 412);
        return updated;
      } catch (error) {
        if (isUniqueViolation(error)) throw new ScimError(409, 'uniqueness', { cause: error });
        throw error;
      }
    });
    if (!before.active && next.active) await activate(dir, row, 'scim.user_reactivated');
    else if (before.active === next.active)
      await inTenant(dir, (tx) =>
        audit.record(tx, dir.tenantId, { action: 'scim.user_updated', actor: actorOf(dir), outcome: 'success', source: dir.source, targets: [{ type: 'user', id: row.user_id }, { type: 'scim_directory', id: dir.row.id }] }),
      );
    return userResult(dir, row.id);
  }

  /** Recomputes the roles of the given active SCIM users after their groups or the mappings changed. */
  async function refreshRoles(dir: Directory, scimUserIds: readonly string[]): Promise<void> {
    for (const id of new Set(scimUserIds)) {
      const row = await inTenant(dir, (tx) => store.findUser(tx, dir.tenantId, dir.row.id, id));
      if (row === undefined || !row.active || !(await isMember(dir, row.user_id))) continue;
      try {
        await inTenant(dir, (tx) => applyRoles(tx, dir, row, false));
      } catch (error) {
        if (error instanceof AppError && error.code === 'conflict') throw new ScimError(409, 'mutability', { cause: error });
        throw error;
      }
    }
  }

  async function writeGroup(dir: Directory, id: string | undefined, state: GroupState, expectedVersion?: number): Promise<{ id: string; touched: string[] }> {
    return inTenant(dir, async (tx) => {
      // Members are users of THIS directory only: an id from another directory or organization is not a member.
      const known = await store.existingUserIds(tx, dir.tenantId, dir.row.id, state.members);
      if (known.size !== state.members.length) throw new ScimError(400, 'invalidValue');
      const now = clock.now();
      let groupId = id;
      let before: string[] = [];
      if (groupId === undefined) {
        groupId = uuidv7(clock, random);
        await tx.insertInto('scim_groups').values({ tenant_id: dir.tenantId, directory_id: dir.row.id, id: groupId, display_name: state.displayName, external_id: state.externalId, created_at: now, updated_at: now }).execute();
      } else {
        const updated = await tx
          .updateTable('scim_groups')
          .set({ display_name: state.displayName, external_id: state.externalId, updated_at: now, version: sql<number>`version + 1` })
          .where('tenant_id', '=', dir.tenantId)
          .where('directory_id', '=', dir.row.id)
          .where('id', '=', groupId)
          .$if(expectedVersion !== undefined, (qb) => qb.where('version', '=', expectedVersion ?? 0))
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) throw new ScimError(expectedVersion === undefined ? 404 : 412);
        before = (await store.membersOfGroups(tx, dir.tenantId, [groupId])).map((m) => m.id);
        await tx.deleteFrom('scim_group_members').where('tenant_id', '=', dir.tenantId).where('group_id', '=', groupId).execute();
      }
      if (state.members.length > 0) await tx.insertInto('scim_group_members').values(state.members.map((member) => ({ tenant_id: dir.tenantId, group_id: groupId, scim_user_id: member }))).execute();
      await audit.record(tx, dir.tenantId, { action: 'scim.group_changed', actor: actorOf(dir), outcome: 'success', source: dir.source, targets: [{ type: 'scim_group', id: groupId }, { type: 'scim_directory', id: dir.row.id }], metadata: { members: state.members.length } });
      const after = new Set(state.members);
      const changed = [...before.filter((m) => !after.has(m)), ...state.members.filter((m) => !before.includes(m))];
      // The `groups` attribute of its members (old and new; the name may have changed) changed: their versions too.
      const shown = id === undefined ? state.members : [...new Set([...before, ...state.members])];
      if (shown.length > 0) await tx.updateTable('scim_users').set({ version: sql<number>`version + 1` }).where('tenant_id', '=', dir.tenantId).where('id', 'in', shown).execute();
      return { id: groupId, touched: id === undefined ? state.members : changed };
    });
  }

  function page(startIndex: number | undefined, count: number | undefined): { offset: number; limit: number } {
    // RFC 7644 §3.4.2.4: startIndex below 1 is 1; a negative count is 0.
    const start = Math.max(1, Math.trunc(startIndex ?? 1));
    return { offset: start - 1, limit: Math.min(MAX_COUNT, Math.max(0, Math.trunc(count ?? DEFAULT_COUNT))) };
  }

  const service = {
    /** The directory whose live token `authorization` carries, if `directoryId` names it; else 401. */
    authenticate: async (directoryId: string, authorization: string | undefined, source: AuditSource): Promise<Directory> => {
      const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/i.exec(authorization ?? '');
      const token = match?.[1];
      if (token === undefined || !token.startsWith(TOKEN_PREFIX) || !UUID.test(directoryId)) throw new ScimError(401);
      const id = directoryId.toLowerCase();
      // The lookup names the directory AND the token's digest: a token of another directory finds nothing.
      const tenantId = await transactor.withPlatform((tx) => store.directoryTenant(tx, id, digestToken(token)));
      if (tenantId === undefined) throw new ScimError(401);
      const row = await transactor.withTenant(tenantId, (tx) => store.findDirectory(tx, tenantId, id));
      if (row === undefined) throw new ScimError(401);
      return { tenantId, row, source };
    },

    listUsers: async (dir: Directory, query: { filter?: string | undefined; startIndex?: number | undefined; count?: number | undefined }): Promise<Page<UserResult> & { startIndex: number }> => {
      const where = query.filter === undefined ? undefined : filterToSql(parseFilter(query.filter), USER_FILTER);
      const { offset, limit } = page(query.startIndex, query.count);
      return inTenant(dir, async (tx) => {
        const { rows, total } = await store.pageUsers(tx, dir.tenantId, dir.row.id, where, offset, limit);
        const groups = await store.groupsOfUsers(tx, dir.tenantId, rows.map((r) => r.id));
        return { total, startIndex: offset + 1, items: rows.map((row) => ({ row, groups: groups.filter((g) => g.scim_user_id === row.id) })) };
      });
    },

    getUser: (dir: Directory, id: string) => (UUID.test(id) ? userResult(dir, id.toLowerCase()) : Promise.reject(new ScimError(404))),

    createUser: async (dir: Directory, body: JsonObject): Promise<UserResult> => {
      const state = userFromBody(body);
      const email = accountEmail(state);
      await assertProvisionable(dir, email);
      const now = clock.now();
      const row = await inTenant(dir, async (tx) => {
        if ((await store.findUserByName(tx, dir.tenantId, dir.row.id, state.userName)) !== undefined) throw new ScimError(409, 'uniqueness');
        // (A concurrent POST of the same user meets a unique index: the catch below answers 409.)
        // The address is in a domain this organization proved it owns: an existing account is linked.
        let account = await findUserByEmail(tx, email, deps.integrity);
        account ??= await insertUser(tx, { id: uuidv7(clock, random), email, displayName: (state.displayName ?? email.slice(0, email.indexOf('@'))).slice(0, 100), passwordHash: NO_PASSWORD, isPlatformAdmin: false, now }, deps.integrity);
        return tx
            .insertInto('scim_users')
            .values({ tenant_id: dir.tenantId, directory_id: dir.row.id, id: uuidv7(clock, random), user_id: account.id, user_name: state.userName, external_id: state.externalId, active: state.active, display_name: state.displayName, given_name: state.givenName, family_name: state.familyName, emails: JSON.stringify(state.emails) as never, applied_roles: [], created_at: now, updated_at: now })
            .returningAll()
            .executeTakeFirstOrThrow();
      }).catch((error: unknown) => {
        if (isUniqueViolation(error)) throw new ScimError(409, 'uniqueness', { cause: error });
        throw error;
      });
      if (state.active) await activate(dir, row, 'scim.user_provisioned');
      return userResult(dir, row.id);
    },

    replaceUser: async (dir: Directory, id: string, body: JsonObject, ifMatch?: string): Promise<UserResult> => {
      const before = (await service.getUser(dir, id)).row;
      const expected = assertIfMatch(ifMatch, before.version);
      return update(dir, before, userFromBody(body), expected);
    },

    patchUser: async (dir: Directory, id: string, operations: readonly PatchOperation[], ifMatch?: string): Promise<UserResult> => {
      const before = (await service.getUser(dir, id)).row;
      const expected = assertIfMatch(ifMatch, before.version);
      return update(dir, before, patchUser(stateOf(before), operations), expected);
    },

    /** RFC 7644 §3.6: the resource is gone; the member is suspended as by `active: false`. */
    deleteUser: async (dir: Directory, id: string, ifMatch?: string): Promise<void> => {
      const { row } = await service.getUser(dir, id);
      assertIfMatch(ifMatch, row.version);
      if (row.active) await deactivate(dir, row, 'deleted');
      // Its group memberships go with it (foreign keys cascade).
      await inTenant(dir, (tx) => tx.deleteFrom('scim_users').where('tenant_id', '=', dir.tenantId).where('id', '=', row.id).execute());
    },

    listGroups: async (dir: Directory, query: { filter?: string | undefined; startIndex?: number | undefined; count?: number | undefined; withMembers: boolean }): Promise<Page<GroupResult> & { startIndex: number }> => {
      const where = query.filter === undefined ? undefined : filterToSql(parseFilter(query.filter), GROUP_FILTER);
      const { offset, limit } = page(query.startIndex, query.count);
      return inTenant(dir, async (tx) => {
        const { rows, total } = await store.pageGroups(tx, dir.tenantId, dir.row.id, where, offset, limit);
        const members = query.withMembers ? await store.membersOfGroups(tx, dir.tenantId, rows.map((r) => r.id)) : [];
        return { total, startIndex: offset + 1, items: rows.map((row) => ({ row, members: members.filter((m) => m.group_id === row.id) })) };
      });
    },

    getGroup: (dir: Directory, id: string, withMembers = true) => (UUID.test(id) ? groupResult(dir, id.toLowerCase(), withMembers) : Promise.reject(new ScimError(404))),

    createGroup: async (dir: Directory, body: JsonObject): Promise<GroupResult> => {
      const { id, touched } = await writeGroup(dir, undefined, groupFromBody(body));
      await refreshRoles(dir, touched);
      return groupResult(dir, id, true);
    },

    replaceGroup: async (dir: Directory, id: string, body: JsonObject, ifMatch?: string): Promise<GroupResult> => {
      const current = await service.getGroup(dir, id, false);
      const written = await writeGroup(dir, id.toLowerCase(), groupFromBody(body), assertIfMatch(ifMatch, current.row.version));
      await refreshRoles(dir, written.touched);
      return groupResult(dir, written.id, true);
    },

    patchGroup: async (dir: Directory, id: string, operations: readonly PatchOperation[], ifMatch?: string): Promise<GroupResult> => {
      const before = await service.getGroup(dir, id, true);
      const expected = assertIfMatch(ifMatch, before.row.version);
      const state = patchGroup({ displayName: before.row.display_name, externalId: before.row.external_id, members: before.members.map((m) => m.id) }, operations);
      const renamed = state.displayName !== before.row.display_name;
      const written = await writeGroup(dir, before.row.id, state, expected);
      // A rename can change which mapping applies: every member's roles are recomputed.
      await refreshRoles(dir, renamed ? [...written.touched, ...state.members] : written.touched);
      return groupResult(dir, written.id, true);
    },

    deleteGroup: async (dir: Directory, id: string, ifMatch?: string): Promise<void> => {
      const before = await service.getGroup(dir, id, true);
      assertIfMatch(ifMatch, before.row.version);
      await inTenant(dir, async (tx) => {
        await tx.deleteFrom('scim_groups').where('tenant_id', '=', dir.tenantId).where('id', '=', before.row.id).execute();
        const shown = before.members.map((m) => m.id);
        if (shown.length > 0) await tx.updateTable('scim_users').set({ version: sql<number>`version + 1` }).where('tenant_id', '=', dir.tenantId).where('id', 'in', shown).execute();
        await audit.record(tx, dir.tenantId, { action: 'scim.group_changed', actor: actorOf(dir), outcome: 'success', source: dir.source, targets: [{ type: 'scim_group', id: before.row.id }, { type: 'scim_directory', id: dir.row.id }], metadata: { deleted: true } });
      });
      await refreshRoles(dir, before.members.map((m) => m.id));
    },
  };
  return service;
}

export type ScimService = ReturnType<typeof createScimService>;
