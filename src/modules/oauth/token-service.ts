import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { isPermission, type AccessControl, type Permission } from '../access/index.ts';
import { PLATFORM_TENANT_ID, type AuditActor, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import { signAccessToken, type TokenKeys } from '../tokens/index.ts';
import { invalidClient, presentedCredential, secretMatches, verifyClientAssertion, type PresentedCredential } from './client-credentials.ts';
import { OAuthError } from './oauth-error.ts';
import { clientTenant, clientWithAccount, useAssertionJti, type ClientLookup, type ClientWithAccount } from './oauth-store.ts';

/** Access tokens live 15 minutes (RFC 9700 §2.2: short-lived, audience-restricted, no refresh token). */
export const ACCESS_TOKEN_TTL_S = 900;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ANONYMOUS: AuditActor = { type: 'anonymous', id: null, display_name: null };

/** Where this authorization server lives, and the audiences it issues tokens for. */
export interface OAuthEndpoints {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  /** The Parapet API (`<publicUrl>/api`): the default audience and the one the bearer check requires. */
  readonly apiAudience: string;
  /** Every audience (RFC 8707 resource) a token may be requested for. */
  readonly audiences: readonly string[];
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

export interface TokenService {
  /** RFC 6749 §4.4 client credentials grant. Throws `OAuthError`. */
  issue(request: { authorization: string | undefined; form: Readonly<Record<string, string | undefined>>; source: AuditSource }): Promise<TokenResponse>;
}

/** What the service account may do anywhere in its organization right now: the ceiling of any scope. */
function heldPermissions(snapshot: Awaited<ReturnType<AccessControl['snapshot']>>, serviceAccountId: string, now: Date): Set<Permission> {
  const held = new Set<Permission>();
  for (const binding of snapshot?.bindings.get(serviceAccountId) ?? []) {
    if (binding.expiresAt !== undefined && now.getTime() >= binding.expiresAt) continue;
    for (const permission of binding.permissions) held.add(permission);
  }
  return held;
}

/**
 * The token endpoint's use-case (AUTH-7): authenticate the client, then issue a short-lived,
 * audience-restricted EdDSA access token for its service account, whose `scope` can only narrow
 * what the account's bindings grant. Every issue and every refusal is audited in the organization's
 * log (the platform's when the client is unknown).
 */
export function createTokenService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: AuditRecorder;
  access: Pick<AccessControl, 'snapshot'>;
  keys: TokenKeys;
  endpoints: OAuthEndpoints;
  /** Issue 13: the MAC of a client id the tenant lookup is asked with. */
  lookup: ClientLookup;
}): TokenService {
  const { transactor, clock, random, audit, endpoints } = deps;

  async function refuse(tx: Tx, tenantId: string, error: OAuthError, reason: string, source: AuditSource, found: ClientWithAccount | undefined, clientId: string): Promise<OAuthError> {
    const actor: AuditActor = found === undefined ? ANONYMOUS : { type: 'service_account', id: found.client.service_account_id, display_name: found.serviceAccountName };
    await audit.record(tx, tenantId, {
      action: 'oauth.token_refused',
      actor,
      outcome: 'denied',
      source,
      targets: found === undefined ? [] : [{ type: 'oauth_client', id: found.client.id, name: found.client.name }],
      metadata: { error: error.code, reason, client_id: clientId.slice(0, 64) },
    });
    return error;
  }

  /** Checks the presented credential against the stored client; a reason string when it fails. */
  async function authenticate(tx: Tx, tenantId: string, credential: PresentedCredential, found: ClientWithAccount | undefined, now: Date): Promise<string | undefined> {
    if (credential.method === 'private_key_jwt') {
      if (found?.client.jwks == null || found.client.token_endpoint_auth_method !== 'private_key_jwt') return 'wrong authentication method';
      let assertion;
      try {
        assertion = await verifyClientAssertion(credential.assertion, { clientId: credential.clientId, jwks: found.client.jwks, audiences: [endpoints.issuer, endpoints.tokenEndpoint], now });
      } catch {
        return 'assertion not valid';
      }
      if (!(await useAssertionJti(tx, tenantId, found.client.id, assertion.jti, assertion.expiresAt, now))) return 'assertion replayed';
      return undefined;
    }
    // Constant time, and computed even when the client or its hash is missing.
    const matches = secretMatches(credential.secret, found?.client.secret_hash ?? null);
    if (!matches) return 'wrong secret';
    if (found?.client.token_endpoint_auth_method !== credential.method) return 'wrong authentication method';
    return undefined;
  }

  return {
    issue: async ({ authorization, form, source }) => {
      const grantType = form['grant_type'];
      if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.');
      if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'Only client_credentials is supported.');
      const credential = presentedCredential(authorization, form);
      const fail = (cause?: unknown) => invalidClient(credential.method, cause);

      const clientId = credential.clientId.toLowerCase();
      const tenantId = UUID.test(clientId) ? await transactor.withPlatform((tx) => clientTenant(tx, deps.lookup, clientId)) : undefined;
      if (tenantId === undefined) {
        // Same work as for a known client whose secret is wrong, then the same answer.
        if (credential.method !== 'private_key_jwt') secretMatches(credential.secret, null);
        const error = await transactor.withTenant(PLATFORM_TENANT_ID, (tx) => refuse(tx, PLATFORM_TENANT_ID, fail(), 'unknown client', source, undefined, credential.clientId));
        throw error;
      }

      const snapshot = await deps.access.snapshot(tenantId);
      const outcome = await transactor.withTenant(tenantId, async (tx): Promise<TokenResponse | OAuthError> => {
        const now = clock.now();
        const found = await clientWithAccount(tx, tenantId, clientId);
        const failure = await authenticate(tx, tenantId, credential, found, now);
        if (failure !== undefined || found === undefined) return refuse(tx, tenantId, fail(), failure ?? 'unknown client', source, found, clientId);
        if (found.serviceAccountDisabled) return refuse(tx, tenantId, new OAuthError('unauthorized_client', 'The service account is disabled.'), 'service account disabled', source, found, clientId);

        // RFC 8707 §2: the resource names where the token will be used; only what Parapet serves.
        const audience = form['resource'] ?? endpoints.apiAudience;
        if (!endpoints.audiences.includes(audience)) return refuse(tx, tenantId, new OAuthError('invalid_target', 'The resource is not one this server issues tokens for.'), 'unknown resource', source, found, clientId);

        // RFC 6749 §3.3: the scope may only narrow what the service account holds.
        const held = heldPermissions(snapshot, found.client.service_account_id, now);
        const requested = form['scope'] === undefined ? [...held].sort() : [...new Set(form['scope'].split(' ').filter((s) => s !== ''))];
        const beyond = requested.filter((scope) => !isPermission(scope) || !held.has(scope));
        if (beyond.length > 0) return refuse(tx, tenantId, new OAuthError('invalid_scope', 'The scope asks for permissions the service account does not hold.'), 'scope beyond the account', source, found, clientId);
        if (requested.length === 0) return refuse(tx, tenantId, new OAuthError('invalid_scope', 'The service account holds no permissions.'), 'no permissions', source, found, clientId);

        const scope = requested.join(' ');
        const jti = uuidv7(clock, random);
        const { token } = await signAccessToken(deps.keys, {
          issuer: endpoints.issuer,
          sub: found.client.service_account_id,
          aud: audience,
          jti,
          now,
          ttlSeconds: ACCESS_TOKEN_TTL_S,
          extra: { client_id: found.client.id, tid: tenantId, scope },
        });
        await audit.record(tx, tenantId, {
          action: 'oauth.token_issued',
          actor: { type: 'service_account', id: found.client.service_account_id, display_name: found.serviceAccountName },
          outcome: 'success',
          source,
          targets: [{ type: 'oauth_client', id: found.client.id, name: found.client.name }],
          metadata: { jti, aud: audience, scope, token_endpoint_auth_method: credential.method },
        });
        return { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_S, scope };
      });
      if (outcome instanceof OAuthError) throw outcome;
      return outcome;
    },
  };
}
