import { createHmac, timingSafeEqual } from 'node:crypto';

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
}

function equal(expected: Buffer, presented: Uint8Array | null): boolean {
  return presented !== null && presented.length === expected.length && timingSafeEqual(expected, presented);
}

export function createRowIntegrity(key: Buffer): RowIntegrity {
  // Each message starts with its row type, so a MAC of one kind is never valid as another;
  // the JSON array makes the field boundaries unambiguous.
  const mac = (fields: readonly unknown[]) => createHmac('sha256', key).update(JSON.stringify(fields), 'utf8').digest();
  const sessionMac = (s: SessionIdentity) =>
    mac(['session/1', s.id, Buffer.from(s.token_hash).toString('hex'), s.user_id, s.auth_methods, s.created_at.getTime(), s.authenticated_at.getTime()]);
  const platformAdminMac = (userId: string) => mac(['platform-admin/1', userId.toLowerCase()]);
  return {
    sessionMac,
    sessionValid: (session) => equal(sessionMac(session), session.integrity_mac),
    platformAdminMac,
    isPlatformAdmin: (user) => user.is_platform_admin && equal(platformAdminMac(user.id), user.platform_admin_mac),
  };
}
