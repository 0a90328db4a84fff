import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignJWT } from 'jose';
import type { Logger } from 'pino';
import type { AddressGuard } from '../audit-streaming/index.ts';
import type { TokenKeys } from '../tokens/index.ts';
import type { ApplicationRow } from './applications-service.ts';

/** The event a logout token carries (OpenID Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** The logout token's JOSE `typ` (§2.4: explicit typing, so no ID token passes for one). */
export const LOGOUT_TOKEN_TYP = 'logout+jwt';
/** A logout token is valid this long: it is sent at once, and retried within these minutes. */
const LOGOUT_TOKEN_TTL_S = 120;
/** Waits before each retry: a receiver down for a few seconds still hears of the logout. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000];
const TIMEOUT_MS = 5_000;

/** One grant of an ended Parapet session. */
export interface EndedGrant {
  readonly clientId: string;
  readonly userId: string;
  /** The provider's sid for this client (the ID token's `sid`); null when no code was ever issued. */
  readonly sid: string | null;
}

export interface BackchannelLogout {
  /**
   * Sends each application with a `backchannel_logout_uri` one logout token per (sid) of the ended
   * grants; delivery (with retries) continues in the background. Resolves when every first attempt
   * has been made.
   */
  notify(grants: readonly EndedGrant[]): Promise<void>;
}

/**
 * OpenID Back-Channel Logout 1.0 on Parapet session revocation: the logout token is signed with the
 * tokens module's current key (EdDSA, the key ID tokens use), posted as `logout_token` in a form
 * body, through the outbound address guard (no private or reserved address unless the operator
 * allowed its network; DNS answers are filtered at connection, so no rebinding), redirects never
 * followed, retried on failure.
 */
export function createBackchannelLogout(deps: {
  issuer: string;
  keys: TokenKeys;
  guard: AddressGuard;
  application: (clientId: string) => Promise<ApplicationRow | undefined>;
  logger: Pick<Logger, 'warn'>;
  now?: () => Date;
  retryDelaysMs?: readonly number[];
}): BackchannelLogout {
  const now = deps.now ?? (() => new Date());
  const delays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;

  async function logoutToken(app: ApplicationRow, grant: EndedGrant & { sid: string }): Promise<string> {
    const key = deps.keys.signingKey();
    const iat = Math.floor(now().getTime() / 1000);
    return new SignJWT({ sid: grant.sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } })
      .setProtectedHeader({ alg: 'EdDSA', typ: LOGOUT_TOKEN_TYP, kid: key.kid })
      .setIssuer(deps.issuer)
      .setAudience(app.id)
      .setSubject(grant.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + LOGOUT_TOKEN_TTL_S)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  /** One POST; resolves on 200/204 (§2.8), rejects otherwise. */
  function post(uri: string, token: string): Promise<void> {
    const url = new URL(uri);
    const body = new URLSearchParams({ logout_token: token }).toString();
    deps.guard.assertAllowed(url.hostname.replace(/^\[|\]$/g, ''));
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (send === undefined) return Promise.reject(new Error('backchannel_logout_uri must use http(s)'));
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'user-agent': 'Parapet-OIDC-Backchannel-Logout/1', 'cache-control': 'no-store' },
          agent: false,
          lookup: deps.guard.lookup,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          response.destroy();
          if (status === 200 || status === 204) resolve();
          else reject(new Error(`HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function deliver(app: ApplicationRow, uri: string, grant: EndedGrant & { sid: string }): Promise<void> {
    // A new token (jti, iat) for every attempt: a receiver may reject a replayed jti.
    try {
      await post(uri, await logoutToken(app, grant));
      return;
    } catch (error) {
      retry(app, uri, grant, 0, error);
    }
  }

  function retry(app: ApplicationRow, uri: string, grant: EndedGrant & { sid: string }, attempt: number, last: unknown): void {
    const delay = delays[attempt];
    if (delay === undefined) {
      deps.logger.warn({ client_id: app.id, attempts: attempt + 1, err: last instanceof Error ? last.message : String(last) }, 'OpenID back-channel logout could not be delivered');
      return;
    }
    const timer = setTimeout(() => {
      logoutToken(app, grant)
        .then((token) => post(uri, token))
        .catch((error: unknown) => {
          retry(app, uri, grant, attempt + 1, error);
        });
    }, delay);
    timer.unref();
  }

  return {
    notify: async (grants) => {
      // One token per (client, sid): several grants of one provider session share a sid.
      const seen = new Set<string>();
      const sends: Promise<void>[] = [];
      for (const grant of grants) {
        if (grant.sid === null) continue;
        const key = `${grant.clientId}\n${grant.sid}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const app = await deps.application(grant.clientId);
        if (app?.backchannel_logout_uri == null) continue;
        sends.push(deliver(app, app.backchannel_logout_uri, { ...grant, sid: grant.sid }));
      }
      await Promise.all(sends);
    },
  };
}
