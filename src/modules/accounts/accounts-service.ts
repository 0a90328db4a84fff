import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { newSecretToken, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import type { UserPrincipal } from '../access/index.ts';
import { PLATFORM_TENANT_ID, type AuditEventInput, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import { changeUserEmail, checkNewPassword, findUserByEmail, findUserById, isOverlongPassword, markEmailVerified, normalizeEmail, updatePasswordHash, type LoginThrottle, type PasswordHasher, type RowIntegrity, type SessionService } from '../identity/index.ts';
import { findLiveToken, issueAccountToken, useToken, ACCOUNT_LINK_TTL_MS } from './account-tokens.ts';
import type { AccountTokenPurpose } from './accounts-tables.ts';

export interface AccountThrottles {
  /** Sign-in failures per account: a wrong current password at an email change counts too. */
  readonly login: LoginThrottle;
  /** Reset and verification mails asked per address (every request counts). */
  readonly mailRequests: LoginThrottle;
  /** Invalid link tokens presented per client address. */
  readonly links: LoginThrottle;
}

export interface AccountsDeps {
  readonly transactor: AppTransactor;
  readonly hasher: PasswordHasher;
  /** Issue 13, property 2: password hashes are stored sealed to their user. */
  readonly integrity: Pick<RowIntegrity, 'sealPasswordHash' | 'openPasswordHash'>;
  readonly sessions: SessionService;
  readonly clock: Clock;
  readonly random: Random;
  readonly audit: AuditRecorder;
  readonly mailer: Mailer;
  readonly passwordMinLength: number;
  readonly throttles: AccountThrottles;
}

const anonymous = { type: 'anonymous', id: null, display_name: null } as const;

/** Counts an invalid link against the client address (AUTH-6) and refuses it. */
export async function refuseLink(throttle: LoginThrottle, source: AuditSource, code: 'link_invalid' | 'invitation_invalid' = 'link_invalid'): Promise<never> {
  await throttle.fail(source.ip ?? '');
  throw new AppError(code);
}

/**
 * Email verification, password reset and email change (ASVS V6.4). Links are single-use, expire,
 * and are stored hashed; mail is queued only after the transaction that made the link commits.
 */
export function createAccountsService(deps: AccountsDeps) {
  const { transactor, clock, random, audit, mailer, sessions, throttles } = deps;

  function record(tx: Tx, event: AuditEventInput) {
    return audit.record(tx, PLATFORM_TENANT_ID, event);
  }

  async function userById(tx: Tx, id: string) {
    const user = await findUserById(tx, id);
    if (user === undefined || user.disabled_at !== null) throw new AppError('unauthenticated');
    return user;
  }

  /** Finds and consumes a live link of `purpose` in `tx`; undefined when there is none. */
  async function consume(tx: Tx, purpose: AccountTokenPurpose, token: string) {
    const now = clock.now();
    const row = await findLiveToken(tx, purpose, token, now);
    if (row === undefined || !(await useToken(tx, row.id, now))) return undefined;
    return row;
  }

  return {
    /**
     * ASVS 6.3.8 / 6.4.x: the same answer, and the same work (throttle, lookup, token, rendering,
     * one audited transaction), whether or not the address has an account; mail is queued only
     * when it has one, and delivery never delays the response.
     */
    requestPasswordReset: async (input: { email: string; source: AuditSource }) => {
      // Every request counts: admitted and counted in one atomic step, so a parallel burst gets no more.
      await throttles.mailRequests.reserve(`reset:${input.email}`);
      const token = newSecretToken(random);
      const expiresAt = new Date(clock.now().getTime() + ACCOUNT_LINK_TTL_MS.reset_password);
      const issued = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const user = await findUserByEmail(tx, input.email);
        const usable = user !== undefined && user.disabled_at === null;
        const link = usable ? await issueAccountToken(tx, { clock, random }, { userId: user.id, purpose: 'reset_password', email: user.email, supersedes: ['reset_password'] }) : undefined;
        await record(tx, {
          action: 'password.reset_requested',
          actor: usable ? { type: 'user', id: user.id, display_name: user.display_name } : anonymous,
          outcome: usable ? 'success' : 'failure',
          source: input.source,
          ...(usable ? { targets: [{ type: 'user', id: user.id }] } : {}),
          metadata: { email: input.email.slice(0, 254), ...(usable ? {} : { reason: 'no_usable_account' }) },
        });
        return usable && link !== undefined ? { to: user.email, link } : undefined;
      });
      // Rendered in both cases; the unknown case renders a throwaway token that was never stored.
      const mail = mailer.prepare(issued?.to ?? input.email, { kind: 'password_reset', token: issued?.link.token ?? token, expiresAt: issued?.link.expiresAt ?? expiresAt });
      if (issued !== undefined) mailer.send(mail);
    },

    /**
     * Sets a new password with a reset link. Every session of the account ends (ASVS 7.4.3) and
     * none is created: the user signs in normally, second factor included (ASVS 6.4.3).
     */
    resetPassword: async (input: { token: string; password: string; source: AuditSource }) => {
      await throttles.links.check(input.source.ip ?? '');
      // The link is checked before any hashing work, and consumed only once the password is accepted.
      const live = await transactor.withPlatform((tx) => findLiveToken(tx, 'reset_password', input.token, clock.now()));
      if (live === undefined) return refuseLink(throttles.links, input.source);
      checkNewPassword(input.password, deps.passwordMinLength);
      const passwordHash = await deps.hasher.hash(input.password);
      const done = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const row = await consume(tx, 'reset_password', input.token);
        if (row === undefined) return false;
        const user = await userById(tx, row.user_id);
        const now = clock.now();
        // The link reached the address, so it is verified (if it is still the account's address).
        const verified = row.email !== null && normalizeEmail(row.email) === user.email_normalized;
        await updatePasswordHash(tx, user.id, deps.integrity.sealPasswordHash(user.id, passwordHash), now, { verifiedEmail: verified });
        const ended = await sessions.revokeAllForUser(tx, user.id, 'password_reset');
        // The platform log and each of the user's organizations' logs (issue 14 part 5).
        await audit.recordForUser(tx, user.id, [{
          action: 'password.reset',
          actor: { type: user.is_platform_admin ? 'operator' : 'user', id: user.id, display_name: user.display_name },
          outcome: 'success',
          source: input.source,
          targets: [{ type: 'user', id: user.id }],
          metadata: { sessions_ended: ended.length },
        }]);
        return true;
      });
      if (!done) return refuseLink(throttles.links, input.source);
    },

    /**
     * Changes the signed-in user's password (ASVS 5.0 6.2.2 / 6.2.3): the current password is
     * required and counted like a sign-in (the `login` throttle of the address: a stolen session
     * cannot guess it faster than a sign-in could); the new one passes the rules of every other
     * path. In one transaction the hash is replaced, every OTHER session of the account ends — and
     * with it its refresh-token family — and `password.changed` is recorded in the platform log and
     * each of the user's organizations' logs. The session that asked stays. The address is told.
     * Step-up (an account with a second factor) is the route's check, before this runs.
     */
    changePassword: async (principal: UserPrincipal, input: { currentPassword: string; newPassword: string; source: AuditSource }) => {
      const actor = { type: principal.isPlatformAdmin ? 'operator' : 'user', id: principal.userId, display_name: principal.displayName } as const;
      const refuse = async (reason: string, failures?: number): Promise<never> => {
        await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
          audit.recordForUser(tx, principal.userId, [{ action: 'password.changed', actor, outcome: 'failure', source: input.source, targets: [{ type: 'user', id: principal.userId }], metadata: { reason, ...(failures === undefined ? {} : { consecutive_failures: failures }) } }]),
        );
        throw new AppError('invalid_credentials', { detail: 'The current password is incorrect.' });
      };
      // Over-long input is refused before any hashing work, as at sign-in.
      if (isOverlongPassword(input.currentPassword)) return refuse('password_too_long');
      // Issue 14: admitted and counted before the hash, like a sign-in, so a parallel burst is
      // admitted one by one against the count.
      const failures = await throttles.login.reserve(principal.email);
      const user = await transactor.withPlatform((tx) => userById(tx, principal.userId));
      if (!(await deps.hasher.verify(deps.integrity.openPasswordHash(user) ?? deps.hasher.dummyHash, input.currentPassword))) return refuse('invalid_current_password', failures);
      await throttles.login.succeed(principal.email);
      if (input.newPassword === input.currentPassword) throw new AppError('invalid_request', { errors: [{ pointer: '/new_password', detail: 'is your current password' }] });
      checkNewPassword(input.newPassword, deps.passwordMinLength, [user.email, user.display_name]);
      const passwordHash = await deps.hasher.hash(input.newPassword);
      const ended = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const now = clock.now();
        // Only over the hash that was verified: of two concurrent changes, the second finds it gone.
        if (!(await updatePasswordHash(tx, user.id, deps.integrity.sealPasswordHash(user.id, passwordHash), now, { ifCurrent: user.password_hash }))) throw new AppError('conflict', { detail: 'The password changed meanwhile; sign in again.' });
        const sessionsEnded = await sessions.revokeAllForUser(tx, user.id, 'password_changed', { except: principal.sessionId });
        await audit.recordForUser(tx, user.id, [{ action: 'password.changed', actor, outcome: 'success', source: input.source, targets: [{ type: 'user', id: user.id }], metadata: { sessions_ended: sessionsEnded.length } }]);
        return sessionsEnded.length;
      });
      mailer.send(mailer.prepare(user.email, { kind: 'password_changed', at: clock.now(), ip: input.source.ip, sessionsEnded: ended }));
    },

    /** Mails a verification link to the signed-in user's address (nothing when already verified). */
    requestEmailVerification: async (principal: UserPrincipal) => {
      // Every request counts: admitted and counted in one atomic step, so a parallel burst gets no more.
      await throttles.mailRequests.reserve(`verify:${principal.userId}`);
      const issued = await transactor.withPlatform(async (tx) => {
        const user = await userById(tx, principal.userId);
        if (user.email_verified_at !== null) return undefined;
        const link = await issueAccountToken(tx, { clock, random }, { userId: user.id, purpose: 'verify_email', email: user.email, supersedes: ['verify_email'] });
        return { to: user.email, link };
      });
      if (issued !== undefined) mailer.send(mailer.prepare(issued.to, { kind: 'verify_email', token: issued.link.token, expiresAt: issued.link.expiresAt }));
    },

    /** Confirms an address with a verification link (valid only while it is still the account's address). */
    verifyEmail: async (input: { token: string; source: AuditSource }) => {
      await throttles.links.check(input.source.ip ?? '');
      const ok = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const row = await consume(tx, 'verify_email', input.token);
        if (row === undefined) return false;
        const user = await findUserById(tx, row.user_id);
        if (user === undefined || row.email === null || normalizeEmail(row.email) !== user.email_normalized) return false;
        const now = clock.now();
        await markEmailVerified(tx, user.id, now);
        await record(tx, { action: 'email.verified', actor: { type: 'user', id: user.id, display_name: user.display_name }, outcome: 'success', source: input.source, targets: [{ type: 'user', id: user.id, name: user.email }] });
        return true;
      });
      if (!ok) return refuseLink(throttles.links, input.source);
    },

    /**
     * Starts an email change (ASVS 6.4.x): needs the current password (counted like a sign-in);
     * the NEW address gets a confirmation link, the OLD one a notice with a link to report it.
     * Nothing changes until the new address confirms. Whether the new address is already taken is
     * only told to whoever confirms from it.
     */
    requestEmailChange: async (principal: UserPrincipal, input: { newEmail: string; password: string; source: AuditSource }) => {
      // Issue 14: admitted and counted before the hash, like a sign-in.
      await throttles.login.reserve(principal.email);
      const user = await transactor.withPlatform((tx) => userById(tx, principal.userId));
      if (!(await deps.hasher.verify(deps.integrity.openPasswordHash(user) ?? deps.hasher.dummyHash, input.password))) {
        throw new AppError('invalid_credentials', { detail: 'The current password is incorrect.' });
      }
      await throttles.login.succeed(principal.email);
      if (normalizeEmail(input.newEmail) === user.email_normalized) throw new AppError('invalid_request', { errors: [{ pointer: '/new_email', detail: 'is already your address' }] });
      const links = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const confirm = await issueAccountToken(tx, { clock, random }, { userId: user.id, purpose: 'change_email', email: input.newEmail.trim(), sessionId: principal.sessionId, supersedes: ['change_email'] });
        const report = await issueAccountToken(tx, { clock, random }, { userId: user.id, purpose: 'report_email_change', email: user.email, supersedes: [] });
        await record(tx, {
          action: 'email.change_requested',
          actor: { type: user.is_platform_admin ? 'operator' : 'user', id: user.id, display_name: user.display_name },
          outcome: 'success',
          source: input.source,
          targets: [{ type: 'user', id: user.id, name: user.email }],
          metadata: { new_email: input.newEmail.trim() },
        });
        return { confirm, report };
      });
      mailer.send(mailer.prepare(input.newEmail.trim(), { kind: 'email_change_confirm', newEmail: input.newEmail.trim(), token: links.confirm.token, expiresAt: links.confirm.expiresAt }));
      mailer.send(mailer.prepare(user.email, { kind: 'email_change_notice', newEmail: input.newEmail.trim(), token: links.report.token, expiresAt: links.report.expiresAt }));
    },

    /** Applies an email change from the new address's link; every other session of the account ends. */
    confirmEmailChange: async (input: { token: string; source: AuditSource }) => {
      await throttles.links.check(input.source.ip ?? '');
      const ok = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const row = await consume(tx, 'change_email', input.token);
        if (row?.email == null) return false;
        const user = await userById(tx, row.user_id);
        const taken = await findUserByEmail(tx, row.email);
        // Told only to whoever holds the new address's link (they can see that address's mail).
        if (taken !== undefined) throw new AppError('conflict', { detail: 'Another account already uses this address.' });
        const now = clock.now();
        await changeUserEmail(tx, user.id, row.email, now);
        const ended = await sessions.revokeAllForUser(tx, user.id, 'email_changed', { except: row.session_id ?? undefined });
        await record(tx, {
          action: 'email.changed',
          actor: { type: user.is_platform_admin ? 'operator' : 'user', id: user.id, display_name: user.display_name },
          outcome: 'success',
          source: input.source,
          targets: [{ type: 'user', id: user.id, name: row.email }],
          metadata: { old_email: user.email, new_email: row.email, sessions_ended: ended.length },
        });
        return true;
      });
      if (!ok) return refuseLink(throttles.links, input.source);
    },

    /** The old address reports a change it did not make: pending changes are cancelled, every session ends. */
    reportEmailChange: async (input: { token: string; source: AuditSource }) => {
      await throttles.links.check(input.source.ip ?? '');
      const ok = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const row = await consume(tx, 'report_email_change', input.token);
        if (row === undefined) return false;
        const now = clock.now();
        await tx.updateTable('account_tokens').set({ used_at: now }).where('user_id', '=', row.user_id).where('purpose', '=', 'change_email').where('used_at', 'is', null).execute();
        const ended = await sessions.revokeAllForUser(tx, row.user_id, 'email_change_reported');
        await record(tx, { action: 'email.change_reported', actor: anonymous, outcome: 'success', source: input.source, targets: [{ type: 'user', id: row.user_id }], metadata: { sessions_ended: ended.length } });
        return true;
      });
      if (!ok) return refuseLink(throttles.links, input.source);
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
