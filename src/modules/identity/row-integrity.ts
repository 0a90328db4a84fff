import { createCipheriv, createDecipheriv, createHmac, hash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';

/** The fields of a session row the application trusts; none of them changes after the insert. */
export interface SessionIdentity {
  readonly id: string;
  readonly token_hash: Uint8Array;
  readonly user_id: string;
  readonly auth_methods: readonly string[];
  readonly created_at: Date;
  readonly authenticated_at: Date;
}

/**
 * MACs over the rows the application trusts for authentication (issue 13, property 1), under the
 * keyring key `row-integrity`, which the database never holds: SQL running as `parapet_app` (an
 * injection) can insert or alter a row but cannot make the application accept it.
 */
export interface RowIntegrity {
  /** HMAC-SHA256 over a session's identity fields. */
  sessionMac(session: SessionIdentity): Buffer;
  /** True when `mac` is the session's MAC (constant-time comparison). */
  sessionValid(session: SessionIdentity & { readonly integrity_mac: Uint8Array | null }): boolean;
  /** The MAC that makes `is_platform_admin` count for one user. */
  platformAdminMac(userId: string): Buffer;
  /** `is_platform_admin`, counted only when the row carries the user's platform-admin MAC. */
  isPlatformAdmin(user: { readonly id: string; readonly is_platform_admin: boolean; readonly platform_admin_mac: Uint8Array | null }): boolean;
  /**
   * HMAC-SHA256 over one row of another kind (API keys, role bindings, refresh tokens…): `kind`
   * names the row type and its field list's version (`'api-key/1'`), `fields` are the values the
   * application trusts, the row id, tenant and user ids among them. Dates count as epoch
   * milliseconds, bytes as hex and objects with their keys sorted (jsonb reorders them).
   */
  rowMac(kind: string, fields: readonly unknown[]): Buffer;
  /**
   * True when `presented` is the row's MAC. A false answer is logged as a security warning naming
   * the table, the row id and its tenant only: a row the application did not write (or one altered
   * since) is treated as absent by the caller.
   */
  rowValid(kind: string, fields: readonly unknown[], presented: Uint8Array | null, where: RowRef): boolean;
  /**
   * Issue 13, property 2: a password hash as stored (`ph1.…`): AES-256-GCM under a key derived from
   * this one, bound to the user id, so a bulk read of `users` is useless offline and a hash copied
   * from another account (or written by SQL in the clear) does not open.
   */
  sealPasswordHash(userId: string, hash: string): string;
  /** The argon2id hash inside a stored value, or undefined when it is not one sealed for this user. */
  openPasswordHash(user: { readonly id: string; readonly password_hash: string }): string | undefined;
  /**
   * Issue 13, property 2: the form a secret's SHA-256 digest is stored and looked up in —
   * HMAC-SHA256 under a key derived from this one over `<kind>|digest`, so a bulk read of digests
   * cannot be tested against a guess without the keyring. `kind` names the table (`session`…).
   */
  storedDigest(kind: StoredDigestKind, sha256: Uint8Array): Buffer;
}

/** The secrets whose digests are stored keyed. */
export type StoredDigestKind = 'session' | 'refresh-token' | 'setup-token' | 'recovery-code' | 'account-token' | 'mfa-pending-login' | 'invitation' | 'oidc-sign-up';

/** The prefix of a sealed password hash. */
export const SEALED_PASSWORD_PREFIX = 'ph1.';

/** Which row failed its MAC, for the security log (ids only, never a secret or hash). */
export interface RowRef {
  readonly table: string;
  readonly id: string;
  readonly tenantId?: string | undefined;
}

/** A canonical form of a value for the MAC: the same whatever the driver or jsonb did to it. */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return { d: value.getTime() };
  if (value instanceof Uint8Array) return { b: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { o: entries.map(([k, v]) => [k, canonical(v)]) };
  }
  // Ids compare case-insensitively in PostgreSQL: one spelling for the MAC.
  if (typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return value.toLowerCase();
  return value;
}

function equal(expected: Buffer, presented: Uint8Array | null): boolean {
  return presented !== null && presented.length === expected.length && timingSafeEqual(expected, presented);
}

export function createRowIntegrity(key: Buffer, logger?: Pick<Logger, 'warn'>): RowIntegrity {
  // Each message starts with its row type, so a MAC of one kind is never valid as another;
  // the JSON array makes the field boundaries unambiguous.
  const mac = (fields: readonly unknown[]) => createHmac('sha256', key).update(JSON.stringify(fields), 'utf8').digest();
  const sessionMac = (s: SessionIdentity) =>
    mac(['session/1', s.id, Buffer.from(s.token_hash).toString('hex'), s.user_id, s.auth_methods, s.created_at.getTime(), s.authenticated_at.getTime()]);
  const platformAdminMac = (userId: string) => mac(['platform-admin/1', userId.toLowerCase()]);
  const rowMac = (kind: string, fields: readonly unknown[]) => mac(['row', kind, ...fields.map(canonical)]);
  // Two further keys from this one (HKDF-SHA256, distinct infos): they never share a use with the MAC key.
  const subkey = (info: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));
  const sealKey = subkey('parapet/password-hash-seal/1');
  // HMAC-SHA256 under this key with its pads precomputed (RFC 2104): two one-shot hashes per digest,
  // about a tenth of what createHmac costs per call (it sets up a key each time).
  const digestKey = subkey('parapet/stored-digest/1');
  const digestInner = Buffer.alloc(64, 0x36);
  const digestOuter = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < digestKey.length; i++) {
    digestInner[i] = (digestInner[i] ?? 0) ^ (digestKey[i] ?? 0);
    digestOuter[i] = (digestOuter[i] ?? 0) ^ (digestKey[i] ?? 0);
  }
  const passwordAad = (userId: string) => Buffer.from(`password-hash/1|${userId.toLowerCase()}`, 'utf8');
  return {
    sealPasswordHash: (userId, hash) => {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey, nonce);
      cipher.setAAD(passwordAad(userId));
      const body = Buffer.concat([cipher.update(hash, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${SEALED_PASSWORD_PREFIX}${nonce.toString('base64url')}.${body.toString('base64url')}`;
    },
    openPasswordHash: (user) => {
      if (!user.password_hash.startsWith(SEALED_PASSWORD_PREFIX)) return undefined;
      const [nonceText, bodyText, extra] = user.password_hash.slice(SEALED_PASSWORD_PREFIX.length).split('.');
      if (nonceText === undefined || bodyText === undefined || extra !== undefined) return undefined;
      const nonce = Buffer.from(nonceText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (nonce.length !== 12 || body.length < 17) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', sealKey, nonce);
        decipher.setAAD(passwordAad(user.id));
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
    storedDigest: (kind, sha256) => hash('sha256', Buffer.concat([digestOuter, hash('sha256', Buffer.concat([digestInner, Buffer.from(`${kind}|`, 'utf8'), sha256]), 'buffer')]), 'buffer'),
    rowMac,
    rowValid: (kind, fields, presented, where) => {
      if (equal(rowMac(kind, fields), presented)) return true;
      logger?.warn({ event: 'row_integrity_failed', table: where.table, rowId: where.id, tenantId: where.tenantId }, 'a row without a valid MAC was refused (written by hand, or before the upgrade)');
      return false;
    },
    sessionMac,
    sessionValid: (session) => equal(sessionMac(session), session.integrity_mac),
    platformAdminMac,
    isPlatformAdmin: (user) => user.is_platform_admin && equal(platformAdminMac(user.id), user.platform_admin_mac),
  };
}
