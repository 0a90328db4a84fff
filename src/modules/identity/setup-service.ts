import type { AppTransactor } from '../../database.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, digestsEqual, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { sql, type Selectable, type Transaction } from 'kysely';
import type { DB } from '../../database.ts';
import { AppError } from '../../platform/http/errors.ts';
import { emailTaken, insertUser, platformAdminExists, type UserRow } from './identity-store.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { RowIntegrity } from './row-integrity.ts';
import type { SetupTokensTable } from './identity-tables.ts';
import { checkNewPassword, type PasswordRules } from './password-policy.ts';

/** Transaction-level advisory lock serializing setup-link issuance across nodes (the leader jobs use 7450104021…41). */
const SETUP_LINK_LOCK = 7450104051;

async function lockSetupLinks(tx: Transaction<DB>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${SETUP_LINK_LOCK})`.execute(tx);
}

/** How long a setup link stays valid. */
export const SETUP_LINK_TTL_MS = 60 * 60 * 1000;

export interface SetupService {
  /**
   * Issues a fresh one-time setup link while no platform administrator exists (older unused
   * links stop working). Returns undefined once setup is complete.
   */
  issueLink(publicUrl: string): Promise<string | undefined>;
  /**
   * What a starting node prints: a link only when setup is pending and no unexpired link exists
   * (one link per cluster, however many nodes start); otherwise when the live link expires.
   * Returns undefined once setup is complete.
   */
  issueFirstLink(publicUrl: string): Promise<{ readonly link: string } | { readonly issuedUntil: Date } | undefined>;
  /** Consumes the link's token and creates the first platform administrator. */
  complete(input: { token: string; email: string; password: string; displayName: string; source: AuditSource }): Promise<UserRow>;
}

export const SETUP_TOKEN_ROW = 'setup-token/1';

/**
 * Issue 13, property 1: a setup link is MAC'd over its id, digest, creation and expiry. SQL as
 * parapet_app that clears the operator flag (which then no longer counts) and inserts a token with
 * a chosen digest must not get the application to create a platform administrator for it.
 * `used_at` changes after the insert and is left out (clearing it helps only whoever holds the
 * token, which was already used).
 */
export function setupTokenFields(row: { readonly id: string; readonly token_hash: Uint8Array; readonly created_at: Date; readonly expires_at: Date }): unknown[] {
  return [row.id, row.token_hash, row.created_at, row.expires_at];
}

export function createSetupService(deps: { transactor: AppTransactor; hasher: PasswordHasher; clock: Clock; random: Random; passwordRules: PasswordRules; audit: AuditRecorder; integrity: RowIntegrity }): SetupService {
  const { transactor, hasher, clock, random, audit } = deps;
  /** A token the application wrote (a false answer is logged, ids only). */
  const valid = (row: Selectable<SetupTokensTable>) => deps.integrity.rowValid(SETUP_TOKEN_ROW, setupTokenFields(row), row.integrity_mac, { table: 'setup_tokens', id: row.id });

  /** Voids every unused link and stores a fresh one; returns its URL. */
  async function newLink(tx: Transaction<DB>, publicUrl: string): Promise<string> {
    const now = clock.now();
    await tx.updateTable('setup_tokens').set({ used_at: now }).where('used_at', 'is', null).execute();
    const token = newSecretToken(random);
    const row = { id: uuidv7(clock, random), token_hash: deps.integrity.storedDigest('setup-token', digestToken(token)), created_at: now, expires_at: new Date(now.getTime() + SETUP_LINK_TTL_MS) };
    await tx
      .insertInto('setup_tokens')
      .values({ ...row, used_at: null, integrity_mac: deps.integrity.rowMac(SETUP_TOKEN_ROW, setupTokenFields(row)) })
      .execute();
    // The token travels in the fragment, which browsers never send to a server, so it stays
    // out of access logs and Referer headers; the page posts it in the request body.
    return `${publicUrl}/setup#token=${token}`;
  }

  return {
    issueLink: async (publicUrl) =>
      transactor.withPlatform(async (tx) => {
        await lockSetupLinks(tx);
        if (await platformAdminExists(tx, deps.integrity)) return undefined;
        return newLink(tx, publicUrl);
      }),
    issueFirstLink: async (publicUrl) =>
      transactor.withPlatform(async (tx) => {
        // Nodes of a fresh cluster start together: serialized here, the first issues the link and
        // the others see it, instead of each voiding the one printed before.
        await lockSetupLinks(tx);
        if (await platformAdminExists(tx, deps.integrity)) return undefined;
        const live = (await tx.selectFrom('setup_tokens').selectAll().where('used_at', 'is', null).where('expires_at', '>', clock.now()).orderBy('expires_at', 'desc').execute()).find(valid);
        if (live !== undefined) return { issuedUntil: live.expires_at };
        return { link: await newLink(tx, publicUrl) };
      }),
    complete: async ({ token, email, password, displayName, source }) => {
      checkNewPassword(password, deps.passwordRules, [email, displayName]);
      const presented = deps.integrity.storedDigest('setup-token', digestToken(token));
      const passwordHash = await hasher.hash(password);
      return transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const now = clock.now();
        // Lock the live tokens so two concurrent uses cannot both succeed. There is at most one;
        // it is compared in constant time against the digest of what was presented.
        const live = await tx.selectFrom('setup_tokens').selectAll().where('used_at', 'is', null).where('expires_at', '>', now).forUpdate().execute();
        const match = live.find((row) => digestsEqual(Buffer.from(row.token_hash), presented) && valid(row));
        if (match === undefined || (await platformAdminExists(tx, deps.integrity))) throw new AppError('setup_link_invalid');
        if (await emailTaken(tx, email)) throw new AppError('conflict', { detail: 'An account with this email already exists.' });
        await tx.updateTable('setup_tokens').set({ used_at: now }).where('id', '=', match.id).execute();
        const user = await insertUser(tx, { id: uuidv7(clock, random), email, displayName, passwordHash, isPlatformAdmin: true, now }, deps.integrity);
        await audit.record(tx, PLATFORM_TENANT_ID, {
          action: 'setup.completed',
          actor: { type: 'operator', id: user.id, display_name: user.display_name },
          outcome: 'success',
          source,
          targets: [{ type: 'user', id: user.id, name: user.email }],
        });
        return user;
      });
    },
  };
}
