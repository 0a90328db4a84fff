import { createHash, createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { afterCommit } from '../../platform/db/transactor.ts';
import { eraseDeliveriesTo } from '../../platform/mail/index.ts';
import { PLATFORM_TENANT_ID, SYSTEM_ACTOR, type AuditContext, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import { deleteUser, eraseUserSessions, normalizeEmail, setUserDisabled } from '../identity/index.ts';
import { deleteOrganization } from '../tenants/index.ts';
import type { BindingIntegrity } from '../access/index.ts';
import type { DeletionNotice, DeletionNotifier, DeletionRecipient } from './deletion-notifier.ts';
import { organizationOwners, ownedOrganizations, soleOwnerRefusal } from './organization-owners.ts';
import type { PersonalDataContributor } from './personal-data.ts';
import { identityReads } from '../identity/index.ts';
import { tenancy } from '../tenants/index.ts';

/** Change-feed topic: an organization's deletion was scheduled, cancelled or completed (key: its id). */
export const ORGANIZATION_DELETION_TOPIC = 'org-deletion';

const DAY_MS = 86_400_000;

/**
 * Tenant tables emptied in batches before the organization row goes (children before parents);
 * the organization's remaining rows (configuration: projects, roles, destinations, keys…) go with
 * it by `on delete cascade`. Modules with large tenant tables add theirs (`purgeTables.push`).
 */
export const ORGANIZATION_PURGE_TABLES: string[] = [
  'api_key_signatures',
  'oauth_assertion_jtis',
  'security_alerts',
  'access_requests',
  'risky_write_approvals',
  'role_bindings',
  'api_keys',
  'memberships',
  'retention_settings',
];

export interface DeletionDeps {
  readonly transactor: AppTransactor;
  readonly clock: Clock;
  readonly random: Random;
  readonly audit: Pick<AuditRecorder, 'record'>;
  readonly logger: Pick<Logger, 'error'>;
  readonly feed: ChangeFeed;
  readonly graceDays: number;
  readonly batchSize: number;
  /** HMAC key for the email kept in a tombstone (derived from the keyring). */
  readonly tombstoneKey: Buffer;
  readonly sessions: { listForUser(userId: string): Promise<readonly { id: string }[]>; revoke(sessionId: string, reason: string, by: { actor: AuditContext['actor']; source: AuditSource }): Promise<void> };
  readonly access: { changed(tx: Tx, tenantId: string): Promise<void>; readonly integrity: BindingIntegrity };
  /** Crypto-shredding of a tenant (`keys.destroy`). */
  readonly keys: { destroy(tenantId: string): Promise<void> };
  readonly contributors: () => readonly PersonalDataContributor[];
  readonly notifier: DeletionNotifier | undefined;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Account and organization deletion (DATA-3): a request starts a grace period (14 days by default)
 * during which it can be cancelled; the account cannot sign in, the organization is read-only.
 * When the period has run out the lifecycle job purges the rows in batches and, for an
 * organization, destroys its keys first, so copies left in backups cannot be decrypted.
 */
export function createDeletionService(deps: DeletionDeps) {
  const { transactor, clock, audit, feed } = deps;
  const pendingCache = new Map<string, boolean>();
  let notifier = deps.notifier;
  /**
   * Tells every node that an organization's deletion state changed: other nodes through the change
   * feed (whose delivery may lag), this node as soon as the transaction commits, so the request
   * that follows here never reads the old state.
   */
  async function deletionChanged(tx: Tx, tenantId: string): Promise<void> {
    await feed.publish(tx as never, ORGANIZATION_DELETION_TOPIC, tenantId);
    afterCommit(tx as never, () => pendingCache.delete(tenantId));
  }
  feed.subscribe(
    ORGANIZATION_DELETION_TOPIC,
    (tenantId) => pendingCache.delete(tenantId),
    () => {
      pendingCache.clear();
    },
  );

  async function send(notice: DeletionNotice): Promise<boolean> {
    if (notifier === undefined) return false;
    try {
      await notifier.notify(notice);
      return true;
    } catch (error) {
      // Never the notice itself: a scheduled account notice carries the cancel token, which a
      // delivery error might echo (an SMTP reply quoting the message), so it is cut out.
      const message = error instanceof Error ? error.message : 'notifier failed';
      const safe = 'cancelToken' in notice ? message.replaceAll(notice.cancelToken, '[cancel token]') : message;
      deps.logger.error({ error: safe, subject: notice.subject, event: notice.event }, 'deletion notice not delivered');
      return false;
    }
  }

  async function userRecipient(tx: Tx, userId: string): Promise<DeletionRecipient | undefined> {
    const [user] = await identityReads.accountsOf(tx, [userId]);
    return user === undefined ? undefined : { userId: user.id, email: user.email, displayName: user.display_name };
  }

  async function owners(tx: Tx, tenantId: string): Promise<DeletionRecipient[]> {
    return (await organizationOwners(tx, deps.access.integrity, tenantId)).map((r) => ({ userId: r.id, email: r.email, displayName: r.display_name }));
  }

  async function memberships(userId: string): Promise<{ tenantId: string }[]> {
    const ids = await transactor.withActor(userId, (tx) => tenancy.organizationsOfUser(tx, userId));
    return ids.map((tenantId) => ({ tenantId }));
  }

  async function cancelUser(where: { userId: string } | { tokenHash: Buffer }, ctx: { actor: AuditContext['actor']; source: AuditSource }, via: 'token' | 'operator'): Promise<string> {
    const now = clock.now();
    const { userId, recipient } = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
      let query = tx.deleteFrom('user_deletions').where('purge_after', '>', now);
      query = 'userId' in where ? query.where('user_id', '=', where.userId) : query.where('cancel_token_hash', '=', where.tokenHash);
      const row = await query.returning(['user_id', 'was_disabled']).executeTakeFirst();
      if (row === undefined) throw 'userId' in where ? new AppError('not_found') : new AppError('deletion_cancel_invalid');
      if (!row.was_disabled) await setUserDisabled(tx, row.user_id, null, now);
      const found = await userRecipient(tx, row.user_id);
      const actor = via === 'token' ? { type: 'user' as const, id: row.user_id, display_name: found?.displayName ?? null } : ctx.actor;
      await audit.record(tx, PLATFORM_TENANT_ID, { action: 'user.deletion_cancelled', actor, outcome: 'success', source: ctx.source, targets: [{ type: 'user', id: row.user_id }], metadata: { via } });
      return { userId: row.user_id, recipient: found };
    });
    await send({ subject: 'user', event: 'cancelled', userId, recipients: recipient === undefined ? [] : [recipient] });
    return userId;
  }

  /** Runs `step` until it removes fewer than a batch. */
  async function inBatches(step: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await step();
      total += n;
      if (n < deps.batchSize) return total;
    }
  }

  async function purgeUser(userId: string): Promise<void> {
    const orgs = await memberships(userId);
    for (const contributor of deps.contributors()) {
      const { erase } = contributor;
      if (erase !== undefined) await inBatches(() => erase(userId, orgs, deps.batchSize));
    }
    for (const { tenantId } of orgs) await transactor.withTenant(tenantId, (tx) => deps.access.changed(tx, tenantId));
    await inBatches(() => transactor.withPlatform((tx) => eraseUserSessions(tx, userId, deps.batchSize)));
    // Delivery records name the address (they hold no body): they go before the row that holds it.
    const [address] = await transactor.withPlatform((tx) => identityReads.accountsOf(tx, [userId]));
    if (address !== undefined) {
      const forms = [address.email, normalizeEmail(address.email)];
      await inBatches(() => transactor.withPlatform((tx) => eraseDeliveriesTo(tx, forms, deps.batchSize)));
    }
    // The last notice: its address is read in the transaction that deletes it and kept in memory
    // only until the mailer delivers it (its delivery record does not name it).
    const recipient = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
      const [user] = await identityReads.accountsOf(tx, [userId]);
      const pending = await tx.selectFrom('user_deletions').select('requested_at').where('user_id', '=', userId).executeTakeFirst();
      if (user === undefined || pending === undefined) return undefined;
      // The tombstone: an HMAC of the address (to recognise a returning address without storing it) and dates.
      const emailHmac = createHmac('sha256', deps.tombstoneKey).update(normalizeEmail(user.email), 'utf8').digest();
      await tx
        .insertInto('account_tombstones')
        .values({ user_id: userId, email_hmac: emailHmac, account_created_at: user.created_at, deletion_requested_at: pending.requested_at, deleted_at: clock.now() })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
      await deleteUser(tx, userId);
      await audit.record(tx, PLATFORM_TENANT_ID, { action: 'user.deletion_completed', actor: SYSTEM_ACTOR, outcome: 'success', targets: [{ type: 'user', id: userId }], metadata: { organizations: orgs.length } });
      return { userId, email: user.email, displayName: user.display_name };
    });
    if (recipient !== undefined) await send({ subject: 'user', event: 'completed', userId, recipients: [recipient] });
  }

  async function purgeOrganization(tenantId: string): Promise<void> {
    const before = await transactor.withTenant(tenantId, async (tx) => ({
      name: (await tenancy.organizationSummary(tx, tenantId))?.name ?? '',
      recipients: await owners(tx, tenantId),
    }));
    // Keys first: if anything below fails, what is left (and every backup) is already unreadable.
    await deps.keys.destroy(tenantId);
    for (const table of ORGANIZATION_PURGE_TABLES) {
      await inBatches(() =>
        transactor.withTenant(tenantId, async (tx) =>
          Number((await sql`delete from ${sql.table(table)} where ctid = any(array(select ctid from ${sql.table(table)} where tenant_id = ${tenantId} limit ${deps.batchSize}))`.execute(tx)).numAffectedRows ?? 0n),
        ),
      );
    }
    await transactor.withTenant(tenantId, async (tx) => {
      const due = await tx.selectFrom('organization_deletions').select('id').where('tenant_id', '=', tenantId).where('cancelled_at', 'is', null).where('purge_after', '<=', clock.now()).executeTakeFirst();
      if (due === undefined) return;
      await deleteOrganization(tx, tenantId);
      await deps.access.changed(tx, tenantId);
      await deletionChanged(tx, tenantId);
      // The organization's own log outlives it until its audit retention ends (docs/data-lifecycle.md).
      await audit.record(tx, tenantId, { action: 'organization.deletion_completed', actor: SYSTEM_ACTOR, outcome: 'success', targets: [{ type: 'organization', id: tenantId }] });
    });
    await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
      audit.record(tx, PLATFORM_TENANT_ID, { action: 'organization.deletion_completed', actor: SYSTEM_ACTOR, outcome: 'success', targets: [{ type: 'organization', id: tenantId }] }),
    );
    await send({ subject: 'organization', event: 'completed', tenantId, name: before.name, recipients: before.recipients });
  }

  return {
    graceDays: deps.graceDays,
    /** Plugs in the notice delivery (the mail module, at start-up); notices not yet sent for organizations go out on the next pass. */
    setNotifier: (next: DeletionNotifier) => {
      notifier = next;
    },

    /**
     * Schedules deletion of an account; sign-in stops now. Returns the cancel token (also sent to
     * the owner). Refused with `sole_owner` while the account is the last enabled owner of an
     * organization that is not itself pending deletion: the organization would be left with
     * nobody to administer it, or to approve its deletion.
     */
    requestUserDeletion: async (ctx: AuditContext, userId: string, requestedBy: 'self' | 'operator'): Promise<{ purgeAfter: Date; cancelToken: string; ownerNotified: boolean }> => {
      const now = clock.now();
      const purgeAfter = new Date(now.getTime() + deps.graceDays * DAY_MS);
      const cancelToken = deps.random(32).toString('base64url');
      const owned = await ownedOrganizations(transactor, deps.access.integrity, userId, await memberships(userId));
      const recipient = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        // The account and every other owner of its organizations, locked in one order: a co-owner
        // deleting their account at the same time waits here, then sees this one disabled.
        const ids = [...new Set([userId, ...owned.flatMap((o) => o.otherOwners)])];
        const locked = await identityReads.lockAccounts(tx, ids);
        const user = locked.find((row) => row.id === userId);
        if (user === undefined) throw new AppError('not_found');
        const existing = await tx.selectFrom('user_deletions').select('user_id').where('user_id', '=', userId).executeTakeFirst();
        if (existing !== undefined) throw new AppError('conflict', { detail: 'Deletion of this account is already scheduled.' });
        const refusal = soleOwnerRefusal(owned, new Set(locked.filter((row) => row.id !== userId && row.disabled_at === null).map((row) => row.id)));
        if (refusal !== undefined) throw refusal;
        await tx
          .insertInto('user_deletions')
          .values({ user_id: userId, requested_by: ctx.userId === '' ? null : ctx.userId, requested_at: now, purge_after: purgeAfter, cancel_token_hash: sha256(cancelToken), was_disabled: user.disabled_at !== null })
          .execute();
        if (user.disabled_at === null) await setUserDisabled(tx, userId, now, now);
        await audit.record(tx, PLATFORM_TENANT_ID, {
          action: 'user.deletion_requested',
          actor: ctx.actor,
          outcome: 'success',
          source: ctx.source,
          targets: [{ type: 'user', id: userId }],
          metadata: { requested_by: requestedBy, purge_after: purgeAfter.toISOString(), notifier: notifier !== undefined },
        });
        return { userId: user.id, email: user.email, displayName: user.display_name };
      });
      // Every session ends on every node now (the disabled account also fails session checks).
      for (const session of await deps.sessions.listForUser(userId)) await deps.sessions.revoke(session.id, 'account_deletion', ctx);
      const ownerNotified = await send({ subject: 'user', event: 'scheduled', userId, recipients: [recipient], purgeAfter, cancelToken });
      return { purgeAfter, cancelToken, ownerNotified };
    },
    /** Cancels with the token sent to the owner (no session needed: the account cannot sign in). */
    cancelUserDeletionWithToken: (token: string, source: AuditSource) => cancelUser({ tokenHash: sha256(token) }, { actor: { type: 'anonymous', id: null, display_name: null }, source }, 'token'),
    /** A platform administrator cancels. */
    cancelUserDeletion: (ctx: AuditContext, userId: string) => cancelUser({ userId }, ctx, 'operator'),
    userDeletion: (userId: string) => transactor.withPlatform((tx) => tx.selectFrom('user_deletions').select(['requested_at', 'purge_after']).where('user_id', '=', userId).executeTakeFirst()),

    /** The risky write's executor (AC-7): schedules the organization's deletion inside the approval's transaction. */
    requestOrganizationDeletionIn: async (tx: Tx, ctx: AuditContext, tenantId: string): Promise<void> => {
      const now = clock.now();
      const pending = await tx.selectFrom('organization_deletions').select('id').where('tenant_id', '=', tenantId).where('cancelled_at', 'is', null).executeTakeFirst();
      if (pending !== undefined) throw new AppError('conflict', { detail: 'Deletion of this organization is already scheduled.' });
      const id = uuidv7(clock, deps.random);
      const purgeAfter = new Date(now.getTime() + deps.graceDays * DAY_MS);
      await tx.insertInto('organization_deletions').values({ tenant_id: tenantId, id, requested_by: ctx.userId === '' ? null : ctx.userId, requested_at: now, purge_after: purgeAfter, cancelled_at: null, cancelled_by: null, notified_at: null }).execute();
      await deletionChanged(tx, tenantId);
      await audit.record(tx, tenantId, { action: 'organization.deletion_requested', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: tenantId }], metadata: { purge_after: purgeAfter.toISOString() } });
    },
    cancelOrganizationDeletion: async (ctx: AuditContext, tenantId: string): Promise<void> => {
      const now = clock.now();
      const notice = await transactor.withTenant(
        tenantId,
        async (tx) => {
          const row = await tx
            .updateTable('organization_deletions')
            .set({ cancelled_at: now, cancelled_by: ctx.userId === '' ? null : ctx.userId })
            .where('tenant_id', '=', tenantId)
            .where('cancelled_at', 'is', null)
            .where('purge_after', '>', now)
            .returning('id')
            .executeTakeFirst();
          if (row === undefined) throw new AppError('not_found', { detail: 'No deletion of this organization is pending.' });
          await deletionChanged(tx, tenantId);
          await audit.record(tx, tenantId, { action: 'organization.deletion_cancelled', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: tenantId }] });
          const name = (await tenancy.organizationSummary(tx, tenantId))?.name ?? '';
          return { subject: 'organization' as const, event: 'cancelled' as const, tenantId, name, recipients: await owners(tx, tenantId) };
        },
        ctx.userId,
      );
      await send(notice);
    },
    organizationDeletion: (tenantId: string) =>
      transactor.withTenant(tenantId, (tx) => tx.selectFrom('organization_deletions').select(['requested_at', 'purge_after', 'requested_by']).where('tenant_id', '=', tenantId).where('cancelled_at', 'is', null).executeTakeFirst()),
    /** Whether the organization is read-only because its deletion is pending (cached per node, dropped through the change feed). */
    isPendingDeletion: async (tenantId: string): Promise<boolean> => {
      const cached = pendingCache.get(tenantId);
      if (cached !== undefined) return cached;
      const row = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('organization_deletions').select('id').where('tenant_id', '=', tenantId).where('cancelled_at', 'is', null).executeTakeFirst());
      pendingCache.set(tenantId, row !== undefined);
      return row !== undefined;
    },

    /** Sends the owners of newly scheduled organization deletions their notice (the outbox). */
    deliverNotices: async (): Promise<number> => {
      if (notifier === undefined) return 0;
      const tenants = await transactor.withJobs(async (tx) => (await sql<{ t: string }>`select parapet_unnotified_organization_deletions() as t`.execute(tx)).rows.map((r) => r.t));
      let sent = 0;
      for (const tenantId of tenants) {
        const notice = await transactor.withTenant(tenantId, async (tx) => {
          const row = await tx.selectFrom('organization_deletions').select(['id', 'purge_after']).where('tenant_id', '=', tenantId).where('cancelled_at', 'is', null).where('notified_at', 'is', null).executeTakeFirst();
          if (row === undefined) return undefined;
          const name = (await tenancy.organizationSummary(tx, tenantId))?.name ?? '';
          return { id: row.id, notice: { subject: 'organization' as const, event: 'scheduled' as const, tenantId, name, recipients: await owners(tx, tenantId), purgeAfter: row.purge_after } };
        });
        if (notice === undefined || !(await send(notice.notice))) continue;
        await transactor.withTenant(tenantId, (tx) => tx.updateTable('organization_deletions').set({ notified_at: clock.now() }).where('tenant_id', '=', tenantId).where('id', '=', notice.id).execute());
        sent++;
      }
      return sent;
    },

    /** Purges every account and organization whose grace period has run out; returns how many. */
    purgeDue: async (): Promise<{ users: number; organizations: number }> => {
      const now = clock.now();
      const users = await transactor.withPlatform((tx) => tx.selectFrom('user_deletions').select('user_id').where('purge_after', '<=', now).orderBy('purge_after').limit(100).execute());
      for (const { user_id } of users) await purgeUser(user_id);
      const orgs = await transactor.withJobs(async (tx) => (await sql<{ t: string }>`select parapet_due_organization_deletions(${now}) as t`.execute(tx)).rows.map((r) => r.t));
      for (const tenantId of orgs) await purgeOrganization(tenantId);
      return { users: users.length, organizations: orgs.length };
    },
  };
}

export type DeletionService = ReturnType<typeof createDeletionService>;
