import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Caller } from '../access/index.ts';
import type { AuditActor, AuditRecorder, AuditSource } from '../audit/index.ts';
import type { SsoIntegrity } from './sso-integrity.ts';
import type { SsoSetupLinksTable } from './sso-tables.ts';

type LinkRow = SsoSetupLinksTable;

/** Where the portal's pages live: `/sso/setup/<organization>/<link>`. */
export const SETUP_PAGES = '/sso/setup';
/** A link lives this long unless the admin says otherwise (at most a week). */
export const DEFAULT_LINK_HOURS = 72;
export const MAX_LINK_HOURS = 168;
const SECRET_ROW = 'sso-setup-link/1';
const CSRF_ROW = 'sso-setup-csrf/1';

export interface SetupLinkView {
  readonly id: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly openedAt: Date | null;
  readonly lastTestAt: Date | null;
  readonly lastTestOutcome: string | null;
}

const toView = (row: LinkRow): SetupLinkView => ({ id: row.id, createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at, openedAt: row.opened_at, lastTestAt: row.last_test_at, lastTestOutcome: row.last_test_outcome });

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
const same = (a: Uint8Array | null, b: Uint8Array): boolean => a !== null && a.length === b.length && timingSafeEqual(a, b);

/** The audit actor of whatever the IT administrator does through a link (they have no account). */
export function linkActor(linkId: string): AuditActor {
  return { type: 'system', id: linkId, display_name: 'SSO setup link (IT administrator)' };
}

/** Records the outcome of the portal's "test connection" sign-in on its link (inside the callback's transaction). */
export async function recordSetupTest(tx: Tx, tenantId: string, linkId: string, outcome: string, now: Date): Promise<void> {
  await tx.updateTable('sso_setup_links').set({ last_test_at: now, last_test_outcome: outcome.slice(0, 200) }).where('tenant_id', '=', tenantId).where('id', '=', linkId).execute();
}

/**
 * Self-serve setup links (issue 18 part 5). A Tenant Admin makes one; its URL carries a secret
 * shown once and kept only as a keyed MAC. The first opening (a POST from the page, so link
 * previews do not use it up) binds the link to that browser's portal cookie; afterwards only that
 * browser, until the link expires or is revoked. Every step is audited in the organization's log.
 */
export function createSetupLinks(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; integrity: SsoIntegrity; publicUrl: string }) {
  const { transactor, clock, random, audit, integrity } = deps;
  const secretMac = (tenantId: string, id: string, secret: string) => integrity.rowMac(SECRET_ROW, [tenantId, id, secret]);
  const live = (row: LinkRow | undefined, now: Date): row is LinkRow => row !== undefined && row.revoked_at === null && row.expires_at.getTime() > now.getTime();

  async function refused(tenantId: string, linkId: string, source: AuditSource, reason: string): Promise<never> {
    await transactor.withTenant(tenantId, (tx) => audit.record(tx, tenantId, { action: 'sso.setup_link_refused', actor: { type: 'anonymous', id: null, display_name: null }, outcome: 'failure', source, targets: [{ type: 'sso_setup_link', id: linkId }], metadata: { reason } }));
    // One answer for unknown, expired, revoked, already opened and wrong secret.
    throw new AppError('sso_setup_link_invalid');
  }

  return {
    create: async (by: Caller, tenantId: string, hours: number = DEFAULT_LINK_HOURS): Promise<{ link: SetupLinkView; url: string }> => {
      const now = clock.now();
      const id = uuidv7(clock, random);
      const secret = newSecretToken(random);
      const row: LinkRow = { tenant_id: tenantId, id, secret_mac: secretMac(tenantId, id, secret), created_by: by.userId === '' ? null : by.userId, created_at: now, expires_at: new Date(now.getTime() + Math.min(Math.max(hours, 1), MAX_LINK_HOURS) * 3_600_000), revoked_at: null, opened_at: null, session_digest: null, last_test_at: null, last_test_outcome: null };
      await transactor.withTenant(tenantId, async (tx) => {
        await tx.insertInto('sso_setup_links').values(row).execute();
        await audit.record(tx, tenantId, { action: 'sso.setup_link_created', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_setup_link', id }], metadata: { expires_at: row.expires_at.toISOString() } });
      });
      return { link: toView(row), url: `${deps.publicUrl.replace(/\/$/, '')}${SETUP_PAGES}/${tenantId}/${id}/${secret}` };
    },

    list: async (tenantId: string): Promise<SetupLinkView[]> => (await transactor.withTenant(tenantId, (tx) => tx.selectFrom('sso_setup_links').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(50).execute())).map(toView),

    revoke: async (by: Caller, tenantId: string, id: string): Promise<void> => {
      await transactor.withTenant(tenantId, async (tx) => {
        const done = await tx.updateTable('sso_setup_links').set({ revoked_at: clock.now() }).where('tenant_id', '=', tenantId).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        if (done.numUpdatedRows === 0n) throw new AppError('not_found');
        await audit.record(tx, tenantId, { action: 'sso.setup_link_revoked', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_setup_link', id }] });
      });
    },

    /** Opens the link in this browser (once): returns the portal cookie's value. */
    open: async (tenantId: string, linkId: string, secret: string, source: AuditSource): Promise<string> => {
      const now = clock.now();
      const token = newSecretToken(random);
      const outcome = await transactor.withTenant(tenantId, async (tx): Promise<string> => {
        // Locked: of two browsers opening the same link at once, one wins.
        const row = await tx.selectFrom('sso_setup_links').selectAll().where('tenant_id', '=', tenantId).where('id', '=', linkId).forUpdate().executeTakeFirst();
        if (row === undefined || !same(row.secret_mac, secretMac(tenantId, linkId, secret))) return 'unknown_or_wrong_secret';
        if (row.revoked_at !== null) return 'revoked';
        if (!live(row, now)) return 'expired';
        if (row.opened_at !== null) return 'already_opened';
        await tx.updateTable('sso_setup_links').set({ opened_at: now, session_digest: sha256(token) }).where('tenant_id', '=', tenantId).where('id', '=', linkId).execute();
        await audit.record(tx, tenantId, { action: 'sso.setup_link_opened', actor: linkActor(linkId), outcome: 'success', source, targets: [{ type: 'sso_setup_link', id: linkId }] });
        return 'opened';
      });
      return outcome === 'opened' ? token : refused(tenantId, linkId, source, outcome);
    },

    /** The live link this browser opened, or undefined (expired, revoked, another browser, another organization). */
    session: async (tenantId: string, linkId: string, token: string | undefined): Promise<SetupLinkView | undefined> => {
      if (token === undefined || token.length > 200) return undefined;
      const row = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('sso_setup_links').selectAll().where('tenant_id', '=', tenantId).where('id', '=', linkId).executeTakeFirst());
      return live(row, clock.now()) && same(row.session_digest, sha256(token)) ? toView(row) : undefined;
    },

    /** The form token of the portal's forms: bound to the link and to this browser's cookie. */
    csrfToken: (linkId: string, token: string): string => integrity.rowMac(CSRF_ROW, [linkId, token]).toString('base64url'),
    csrfValid: (linkId: string, token: string, presented: string | undefined): boolean => presented !== undefined && same(Buffer.from(presented, 'utf8'), Buffer.from(integrity.rowMac(CSRF_ROW, [linkId, token]).toString('base64url'), 'utf8')),
  };
}

export type SetupLinks = ReturnType<typeof createSetupLinks>;
