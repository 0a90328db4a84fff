import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import { checkNewPassword, emailTaken, findUserByEmail, insertUser, isOverlongPassword, markEmailVerified, normalizeEmail, type LoginThrottle, type PasswordHasher, type PasswordRules, type RowIntegrity } from '../identity/index.ts';
import type { ApplicationRow, Where } from './applications-service.ts';

/** How new accounts reach an environment's applications. */
export type SignUpMode = 'off' | 'invite_only' | 'open';

export interface SignUpSettings {
  readonly mode: SignUpMode;
  /** Lower-case domains; empty = any. */
  readonly allowedDomains: readonly string[];
}

/** A verification link lives as long as the accounts module's email verification links (24 h). */
/**
 * What a pending sign-up's password hash is sealed to (issue 13): not a user id (user ids are bare
 * UUIDs), so the sealed value opens for no account and in no other sign-up row.
 */
function signUpSealId(signUpId: string): string {
  return `oidc-sign-up|${signUpId.toLowerCase()}`;
}

export const SIGN_UP_LINK_TTL_MS = 24 * 3_600_000;

/** Counts an invalid link against the client address (AUTH-6) and refuses it. */
async function refuseLinkFor(throttle: LoginThrottle, source: AuditSource): Promise<never> {
  await throttle.fail(source.ip ?? '');
  throw new AppError('link_invalid');
}

/** No row: sign-up is off. */
export const SIGN_UP_OFF: SignUpSettings = Object.freeze({ mode: 'off', allowedDomains: Object.freeze([]) });

/** A DNS name of at least two labels (RFC 1035 letters, digits, hyphens), lower case. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** `<organization id>.<secret>`: the organization tells which tenant's rows to look in. */
const LINK_TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{20,200})$/;

export interface SignUp {
  settings(ctx: AuditContext, where: Where): Promise<SignUpSettings>;
  updateSettings(ctx: AuditContext, where: Where, input: SignUpSettings): Promise<SignUpSettings>;
  /** The settings of the environment `app` belongs to. */
  settingsFor(app: ApplicationRow): Promise<SignUpSettings>;
  /**
   * Asks for an account. Refused when the environment's sign-up is not open or the address's
   * domain is not allowed, and when the password breaks the rules. Otherwise the same answer and
   * the same work whether or not the address has an account; only a new address is mailed a link.
   */
  request(app: ApplicationRow, input: { email: string; password: string; source: AuditSource }): Promise<void>;
  /** Creates the account a verification link stands for (single use, expiring). */
  verify(input: { token: string; source: AuditSource }): Promise<{ readonly created: boolean }>;
}

export interface SignUpDeps {
  readonly transactor: AppTransactor;
  /** The organization's environments (access snapshot): whether `environmentId` is one of `projectId`'s. */
  readonly environmentIn: (tenantId: string, projectId: string, environmentId: string) => Promise<boolean>;
  readonly clock: Clock;
  readonly random: Random;
  readonly hasher: PasswordHasher;
  /** Issue 13, property 2: the new account's password hash is stored sealed to it. */
  readonly integrity: Pick<RowIntegrity, 'platformAdminMac' | 'sealPasswordHash' | 'openPasswordHash' | 'rowMac' | 'rowValid' | 'storedDigest'>;
  readonly audit: AuditRecorder;
  readonly mailer: Mailer;
  readonly passwordRules: PasswordRules;
  /** The identity module's throttles: mails per address, invalid links per client address. */
  readonly throttles: { readonly mailRequests: LoginThrottle; readonly links: LoginThrottle };
}

/** Self-service sign-up per environment (issue 17): off, invite-only, or open with email verification. */
export function createSignUp(deps: SignUpDeps): SignUp {
  const { transactor, clock, random, audit, mailer, throttles } = deps;
  const anonymous = { type: 'anonymous', id: null, display_name: null } as const;

  const read = (tenantId: string, environmentId: string) =>
    transactor.withTenant(tenantId, async (tx) => {
      const row = await tx.selectFrom('oidc_sign_up_settings').selectAll().where('tenant_id', '=', tenantId).where('environment_id', '=', environmentId).executeTakeFirst();
      return row === undefined ? SIGN_UP_OFF : { mode: row.mode, allowedDomains: row.allowed_domains };
    });

  return {
    settings: async (_ctx, where) => {
      // The environment must be this project's (404 otherwise, as for its other routes).
      if (!(await deps.environmentIn(where.tenantId, where.projectId, where.environmentId))) throw new AppError('not_found');
      return read(where.tenantId, where.environmentId);
    },
    updateSettings: async (ctx, where, input) => {
      const domains = [...new Set(input.allowedDomains.map((domain) => domain.trim().toLowerCase()))];
      domains.forEach((domain, i) => {
        if (!DOMAIN.test(domain)) throw new AppError('invalid_request', { errors: [{ pointer: `/body/allowed_domains/${i}`, detail: 'is not a domain name' }] });
      });
      if (!(await deps.environmentIn(where.tenantId, where.projectId, where.environmentId))) throw new AppError('not_found');
      await transactor.withTenant(
        where.tenantId,
        async (tx) => {
          const now = clock.now();
          const updatedBy = ctx.actor.type === 'user' || ctx.actor.type === 'operator' ? ctx.actor.id : null;
          await tx
            .insertInto('oidc_sign_up_settings')
            .values({ tenant_id: where.tenantId, environment_id: where.environmentId, mode: input.mode, allowed_domains: domains, updated_by: updatedBy, updated_at: now })
            .onConflict((oc) => oc.columns(['tenant_id', 'environment_id']).doUpdateSet({ mode: input.mode, allowed_domains: domains, updated_by: updatedBy, updated_at: now }))
            .execute();
          await audit.record(tx, where.tenantId, { action: 'oidc.sign_up_settings_updated', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'environment', id: where.environmentId }], metadata: { mode: input.mode, allowed_domains: domains.join(' ') } });
        },
        ctx.userId,
      );
      return { mode: input.mode, allowedDomains: domains };
    },
    settingsFor: (app) => read(app.tenant_id, app.environment_id),

    request: async (app, input) => {
      const settings = await read(app.tenant_id, app.environment_id);
      // Invite-only environments take new accounts through organization invitations only.
      if (settings.mode !== 'open') throw new AppError('sign_up_not_allowed');
      const email = input.email.trim();
      const at = email.lastIndexOf('@');
      const domain = email.slice(at + 1).toLowerCase();
      if (at < 1 || email.length > 254 || !DOMAIN.test(domain)) throw new AppError('invalid_request', { errors: [{ pointer: '/body/email', detail: 'is not an email address' }] });
      if (settings.allowedDomains.length > 0 && !settings.allowedDomains.includes(domain)) throw new AppError('sign_up_domain_not_allowed');
      // The rules of every other path (length, blocklist, strength), before any hashing work.
      if (isOverlongPassword(input.password)) throw new AppError('password_too_long');
      checkNewPassword(input.password, deps.passwordRules, [email]);
      // Every request counts against the address, admitted and counted atomically.
      await throttles.mailRequests.reserve(`sign-up:${normalizeEmail(email)}`);
      // The same work either way: the hash, a token, the lookup, the rendering, one audit event.
      const passwordHash = await deps.hasher.hash(input.password);
      const secret = newSecretToken(random);
      const token = `${app.tenant_id}.${secret}`;
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + SIGN_UP_LINK_TTL_MS);
      const existing = await transactor.withPlatform((tx) => findUserByEmail(tx, email, deps.integrity));
      if (existing === undefined) {
        const id = uuidv7(clock, random);
        // Issue 13, property 2: the hash sealed to this sign-up (it opens for no user and in no other
        // row), the link's digest keyed.
        await transactor.withTenant(app.tenant_id, (tx) =>
          tx.insertInto('oidc_sign_ups').values({ tenant_id: app.tenant_id, id, environment_id: app.environment_id, client_id: app.id, email, email_normalized: normalizeEmail(email), password_hash: deps.integrity.sealPasswordHash(signUpSealId(id), passwordHash), token_hash: deps.integrity.storedDigest('oidc-sign-up', digestToken(secret)), created_at: now, expires_at: expiresAt, used_at: null }).execute(),
        );
      }
      // The truth goes to the platform log (operators), not to the organization's: its
      // administrators must not learn whether an address has a Parapet account.
      await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
        audit.record(tx, PLATFORM_TENANT_ID, {
          action: 'oidc.sign_up_requested',
          actor: anonymous,
          outcome: existing === undefined ? 'success' : 'failure',
          source: input.source,
          targets: [{ type: 'organization', id: app.tenant_id }, { type: 'oidc_application', id: app.id, name: app.name }],
          metadata: { email: email.slice(0, 254), ...(existing === undefined ? {} : { reason: 'account_exists' }) },
        }),
      );
      const mail = mailer.prepare(email, { kind: 'sign_up_verify', application: app.name, token, expiresAt });
      if (existing === undefined) mailer.send(mail);
    },

    verify: async (input) => {
      await throttles.links.check(input.source.ip ?? '');
      const match = LINK_TOKEN.exec(input.token.trim());
      const tenantId = match?.[1];
      const secret = match?.[2];
      if (tenantId === undefined || secret === undefined) return refuseLinkFor(throttles.links, input.source);
      const outcome = await transactor.withTenant(tenantId, async (tx) => {
        const now = clock.now();
        // Single use: only the first of two racing uses finds the row unused.
        const row = await tx.updateTable('oidc_sign_ups').set({ used_at: now }).where('tenant_id', '=', tenantId).where('token_hash', '=', deps.integrity.storedDigest('oidc-sign-up', digestToken(secret))).where('used_at', 'is', null).where('expires_at', '>', now).returningAll().executeTakeFirst();
        if (row === undefined) return undefined;
        // Someone created the account meanwhile (another sign-up, an invitation): told only to
        // whoever holds this link, who reads that address's mail.
        if (await emailTaken(tx, row.email)) return { created: false };
        // Opened here and sealed again for the new user by insertUser; one that does not open (written by SQL) is refused.
        const passwordHash = deps.integrity.openPasswordHash({ id: signUpSealId(row.id), password_hash: row.password_hash });
        if (passwordHash === undefined) return undefined;
        const user = await insertUser(tx, { id: uuidv7(clock, random), email: row.email, displayName: row.email.slice(0, row.email.indexOf('@')).slice(0, 100), passwordHash, isPlatformAdmin: false, now }, deps.integrity);
        // The link reached the address: it is verified.
        await markEmailVerified(tx, user.id, now);
        await audit.record(tx, tenantId, { action: 'oidc.sign_up_completed', actor: { type: 'user', id: user.id, display_name: user.display_name }, outcome: 'success', source: input.source, targets: [{ type: 'user', id: user.id, name: user.email }, { type: 'oidc_application', id: row.client_id }] });
        return { created: true };
      });
      if (outcome === undefined) return refuseLinkFor(throttles.links, input.source);
      return outcome;
    },
  };
}
