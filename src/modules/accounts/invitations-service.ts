import type { Selectable } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import { accessReads, BUILT_IN_ROLES, isBuiltInRole, type AccessControl, type AccessService, type NewBinding, type Caller, type UserPrincipal } from '../access/index.ts';
import type { AuditRecorder, AuditSource } from '../audit/index.ts';
import { checkNewPassword, findUserByEmail, insertUser, markEmailVerified, normalizeEmail, type LoginThrottle, type PasswordHasher, type RowIntegrity } from '../identity/index.ts';
import { insertMembership } from '../tenants/index.ts';
import { refuseLink } from './accounts-service.ts';
import type { InvitationsTable } from './accounts-tables.ts';
import { tenancy } from '../tenants/index.ts';

export type InvitationRow = Selectable<InvitationsTable>;

/**
 * An invitation token names its organization, then 256 random bits: `<org id>.<secret>`. The
 * lookup runs inside that organization's tenant context (row-level security) and matches the
 * digest of the WHOLE token, so a token cannot be re-pointed at another organization.
 */
const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{43}$/;

export function invitationStatus(row: Pick<InvitationRow, 'accepted_at' | 'revoked_at' | 'expires_at'>, now: Date): 'pending' | 'accepted' | 'revoked' | 'expired' {
  if (row.accepted_at !== null) return 'accepted';
  if (row.revoked_at !== null) return 'revoked';
  return now < row.expires_at ? 'pending' : 'expired';
}

export function createInvitationsService(deps: {
  transactor: AppTransactor;
  hasher: PasswordHasher;
  /** Issue 13, property 2: the new account's password hash is stored sealed to it. */
  integrity: Pick<RowIntegrity, 'platformAdminMac' | 'sealPasswordHash'>;
  clock: Clock;
  random: Random;
  audit: AuditRecorder;
  mailer: Mailer;
  access: AccessControl;
  accessService: Pick<AccessService, 'assertGrantable'>;
  passwordMinLength: number;
  invitationDays: number;
  links: LoginThrottle;
}) {
  const { transactor, clock, random, audit, mailer } = deps;

  return {
    /**
     * Invites an address with a role at organization scope. The inviter must hold every permission
     * of the role (no escalation). The answer and the mail are the same whether the address already
     * has an account, so inviting reveals nothing about other organizations' users.
     */
    create: async (ctx: Caller, tenantId: string, input: { email: string; role: string }) => {
      const role = await deps.accessService.assertGrantable(ctx, tenantId, input.role);
      const roleKey = role.builtIn ?? role.customId ?? '';
      const now = clock.now();
      const token = `${tenantId}.${newSecretToken(random)}`;
      const row: InvitationRow = {
        tenant_id: tenantId,
        id: uuidv7(clock, random),
        email: input.email.trim(),
        email_normalized: normalizeEmail(input.email),
        role: roleKey,
        token_hash: digestToken(token),
        invited_by: ctx.userId === '' ? null : ctx.userId,
        created_at: now,
        expires_at: new Date(now.getTime() + deps.invitationDays * 86_400_000),
        accepted_at: null,
        accepted_by: null,
        revoked_at: null,
      };
      const { organization, roleName } = await transactor.withTenant(tenantId, async (tx) => {
        // One pending invitation per address: a new one replaces the old link.
        await tx.updateTable('invitations').set({ revoked_at: now }).where('tenant_id', '=', tenantId).where('email_normalized', '=', row.email_normalized).where('accepted_at', 'is', null).where('revoked_at', 'is', null).execute();
        await tx.insertInto('invitations').values(row).execute();
        await audit.record(tx, tenantId, {
          action: 'invitation.created',
          actor: ctx.actor,
          outcome: 'success',
          source: ctx.source,
          targets: [{ type: 'invitation', id: row.id, name: row.email }],
          metadata: { role: roleKey, expires_at: row.expires_at.toISOString() },
        });
        const org = await tenancy.organizationSummary(tx, tenantId);
        if (org === undefined) throw new AppError('not_found');
        const custom = role.customId === null ? undefined : await accessReads.customRoleName(tx, tenantId, role.customId);
        return { organization: org.name, roleName: role.builtIn !== null && isBuiltInRole(role.builtIn) ? BUILT_IN_ROLES[role.builtIn].name : (custom ?? roleKey) };
      });
      mailer.send(mailer.prepare(row.email, { kind: 'invitation', organization, inviter: ctx.actor.display_name ?? 'An administrator', role: roleName, token, expiresAt: row.expires_at }));
      return row;
    },

    list: (tenantId: string, page: { after?: string | undefined; limit: number }) =>
      transactor.withTenant(tenantId, async (tx) => {
        let query = tx.selectFrom('invitations').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(page.limit + 1);
        if (page.after !== undefined) query = query.where('id', '>', page.after);
        return query.execute();
      }),

    revoke: (ctx: Caller, tenantId: string, id: string) =>
      transactor.withTenant(tenantId, async (tx) => {
        const now = clock.now();
        const row = await tx.updateTable('invitations').set({ revoked_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).returningAll().executeTakeFirst();
        if (row === undefined) throw new AppError('not_found');
        await audit.record(tx, tenantId, { action: 'invitation.revoked', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'invitation', id, name: row.email }] });
      }),

    /**
     * Accepts an invitation. Signed in as the invited address: that account joins. Not signed in:
     * a new account is created with the display name and password given, its address verified
     * (the link proved it); an address that already has an account must sign in first. The
     * password is hashed before the account lookup, so both paths cost one argon2id hash.
     */
    accept: async (input: { token: string; principal: UserPrincipal | undefined; displayName: string | undefined; password: string | undefined; source: AuditSource }) => {
      await deps.links.check(input.source.ip ?? '');
      const tenantId = TOKEN.exec(input.token)?.[1];
      if (tenantId === undefined) return refuseLink(deps.links, input.source, 'invitation_invalid');
      const digest = digestToken(input.token);
      const live = await transactor.withTenant(tenantId, (tx) =>
        tx.selectFrom('invitations').selectAll().where('tenant_id', '=', tenantId).where('token_hash', '=', digest).where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', clock.now()).executeTakeFirst(),
      );
      if (live === undefined) return refuseLink(deps.links, input.source, 'invitation_invalid');
      if (input.principal !== undefined && normalizeEmail(input.principal.email) !== live.email_normalized) {
        throw new AppError('forbidden', { detail: 'This invitation is for another address. Sign out, then open the link again.' });
      }
      let passwordHash: string | undefined;
      if (input.principal === undefined) {
        if (input.displayName === undefined || input.password === undefined) {
          throw new AppError('invalid_request', { errors: [{ pointer: '/password', detail: 'display_name and password are required to create your account (or sign in first)' }] });
        }
        checkNewPassword(input.password, deps.passwordMinLength);
        passwordHash = await deps.hasher.hash(input.password);
      }
      const result = await transactor.withTenant(tenantId, async (tx) => {
        const now = clock.now();
        const row = await tx.selectFrom('invitations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', live.id).forUpdate().executeTakeFirst();
        if (row === undefined || invitationStatus(row, now) !== 'pending') return undefined;
        let userId: string;
        if (input.principal !== undefined) {
          userId = input.principal.userId;
        } else {
          if ((await findUserByEmail(tx, row.email)) !== undefined) throw new AppError('sign_in_required');
          const user = await insertUser(tx, { id: uuidv7(clock, random), email: row.email, displayName: input.displayName ?? '', passwordHash: passwordHash ?? '', isPlatformAdmin: false, now }, deps.integrity);
          await markEmailVerified(tx, user.id, now);
          userId = user.id;
        }
        await tx.updateTable('invitations').set({ accepted_at: now, accepted_by: userId }).where('tenant_id', '=', tenantId).where('id', '=', row.id).execute();
        await insertMembership(tx, tenantId, userId, 'member', now, { ifAbsent: true });
        const builtIn = isBuiltInRole(row.role) ? row.role : null;
        if (builtIn === null && !(await accessReads.customRoleExists(tx, deps.access.integrity, tenantId, row.role))) {
          throw new AppError('invitation_invalid', { detail: 'The role of this invitation no longer exists; ask for a new invitation.' });
        }
        const binding: NewBinding = {
          tenant_id: tenantId,
          id: uuidv7(clock, random),
          principal_type: 'user',
          principal_id: userId,
          built_in_role: builtIn,
          custom_role_id: builtIn === null ? row.role : null,
          project_id: null,
          environment_id: null,
          conditions: null,
          expires_at: null,
          grant_id: null,
          created_by: row.invited_by,
          created_at: now,
          last_used_at: null,
        };
        await deps.access.insertBinding(tx, binding);
        await deps.access.changed(tx, tenantId);
        await audit.record(tx, tenantId, {
          action: 'invitation.accepted',
          actor: input.principal === undefined ? { type: 'user', id: userId, display_name: input.displayName ?? null } : { type: 'user', id: userId, display_name: input.principal.displayName },
          outcome: 'success',
          source: input.source,
          targets: [
            { type: 'invitation', id: row.id, name: row.email },
            { type: 'user', id: userId },
            { type: 'role', id: row.role },
          ],
          // Not whether the account is new: the organization's log must not tell the inviter that.
          metadata: { binding_id: binding.id },
        });
        return { organizationId: tenantId, userId };
      });
      if (result === undefined) return refuseLink(deps.links, input.source, 'invitation_invalid');
      return result;
    },
  };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
