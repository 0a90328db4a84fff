import { createHash } from 'node:crypto';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { idpMfaMethod, organizationRoleBinding, type AccessControl } from '../access/index.ts';
import type { AuditRecorder, AuditSource } from '../audit/index.ts';
import { findUserByEmail, insertUser, type SessionService, type UserRow } from '../identity/index.ts';
import { insertMembership } from '../tenants/index.ts';
import type { ConnectionsService } from './connections-service.ts';
import type { OidcConnection, OidcRelyingParty } from './oidc-rp.ts';
import { OidcRefused } from './oidc-rp.ts';
import { samlAuthnRequestUrl, SamlRefused, validateSamlResponse, type SamlConnection, type SamlEndpoints } from './saml-sp.ts';
import { groupNames, type GroupRoles } from './group-roles.ts';
import { linkActor, recordSetupTest } from './setup-links.ts';
import type { SsoIntegrity } from './sso-integrity.ts';
import * as store from './sso-store.ts';

/** A started sign-in lives this long (the user signs in at the IdP meanwhile). */
export const LOGIN_STATE_TTL_MS = 600_000;
/** RFC 8176 `amr` values that name a second factor (the same set Parapet's own sessions count). */
const MFA_AMR: ReadonlySet<string> = new Set(['mfa', 'otp', 'hwk', 'swk', 'fido', 'sc']);
/**
 * SAML authentication context classes (SAML 2.0 Authn Context, REFEDS MFA profile) and the
 * Microsoft Entra method that mean multi-factor authentication at the IdP.
 */
const MFA_CLASS_REFS: ReadonlySet<string> = new Set([
  'https://refeds.org/profile/mfa',
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI',
]);

/** An assertion id without NotOnOrAfter is remembered this long. */
const ASSERTION_MEMORY_MS = 86_400_000;
/** The password hash of an account created by single sign-on: no password verifies against it. */
export const NO_PASSWORD = '!sso-provisioned';

/** Where this Parapet receives each protocol's answers for a connection. */
export function endpointsFor(publicUrl: string, tenantId: string, connectionId: string): { oidcRedirect: string; saml: SamlEndpoints } {
  const base = publicUrl.replace(/\/$/, '');
  return {
    oidcRedirect: `${base}/sso/oidc/${tenantId}/${connectionId}/callback`,
    saml: { entityId: `${base}/sso/saml/${tenantId}/${connectionId}`, acsUrl: `${base}/sso/saml/${tenantId}/${connectionId}/acs` },
  };
}

export function samlConnectionOf(row: store.ConnectionRow): SamlConnection {
  return { idpEntityId: row.saml_idp_entity_id ?? '', idpSsoUrl: row.saml_idp_sso_url ?? '', idpCerts: row.saml_idp_certs ?? [], allowIdpInitiated: row.saml_allow_idp_initiated };
}

/** What the IdP vouched for, whichever the protocol. */
interface IdpIdentity {
  readonly email: string | undefined;
  readonly subject: string;
  readonly authMethods: readonly string[];
  /** The groups the IdP asserted for this sign-in (mapped to roles by the connection's rules). */
  readonly groups: readonly string[];
}

export interface SignedIn {
  readonly token: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly returnTo: string | null;
}

/** A setup portal's "test connection" sign-in came back: no session; its outcome is on the link. */
export interface SetupTested {
  readonly setupLinkId: string;
  readonly tenantId: string;
}

function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  return at < 1 ? undefined : email.slice(at + 1).trim().toLowerCase();
}

/**
 * SSO sign-in (issue 18 part 4): start at an organization's connection (or the one its verified
 * email domain routes to), then finish at the callback with a normal Parapet session. Every
 * refusal is audited in the organization's log with its reason and answered `sso_failed`.
 */
export function createSignInService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  publicUrl: string;
  audit: Pick<AuditRecorder, 'record'>;
  sessions: Pick<SessionService, 'create'>;
  access: Pick<AccessControl, 'snapshot' | 'changed' | 'insertBinding'>;
  connections: Pick<ConnectionsService, 'clientSecret' | 'spDecryption'>;
  oidc: OidcRelyingParty;
  /** Issue 13: row MACs of connections and domain verifications (which IdP vouches for which accounts). */
  integrity: SsoIntegrity;
  /** Issue 18 part 4: IdP groups mapped to roles, applied at every sign-in. */
  groupRoles: Pick<GroupRoles, 'apply'>;
}) {
  const { transactor, clock, random, audit, integrity } = deps;

  async function liveConnection(tenantId: string, connectionId: string): Promise<store.ConnectionRow> {
    const row = await transactor.withTenant(tenantId, (tx) => store.findConnection(tx, integrity, tenantId, connectionId));
    if (row === undefined || !row.enabled) throw new AppError('not_found');
    return row;
  }

  async function oidcConnectionOf(row: store.ConnectionRow): Promise<OidcConnection> {
    return { id: row.id, issuer: row.oidc_issuer ?? '', clientId: row.oidc_client_id ?? '', clientSecret: await deps.connections.clientSecret(row), scopes: row.oidc_scopes ?? 'openid email profile' };
  }

  async function refuse(tenantId: string, connectionId: string, source: AuditSource, reason: string, extra: Record<string, string> = {}): Promise<never> {
    await transactor.withTenant(tenantId, (tx) =>
      audit.record(tx, tenantId, { action: 'sso.sign_in_refused', actor: { type: 'anonymous', id: null, display_name: null }, outcome: 'failure', source, targets: [{ type: 'sso_connection', id: connectionId }], metadata: { reason, ...extra } }),
    );
    throw new AppError('sso_failed');
  }

  /** Consumes the state the browser brought back (one use); undefined when unknown, used, expired or not this connection's. */
  async function consumeState(tenantId: string, connectionId: string, state: string): Promise<store.LoginStateRow | undefined> {
    return transactor.withTenant(tenantId, (tx) => store.consumeLoginState(tx, tenantId, connectionId, digestToken(state), clock.now()));
  }

  /**
   * In the organization's context: the account the IdP's email names, created (JIT) or joined to
   * the organization with the connection's default role; then the session.
   *
   * Account takeover defence: an IdP can vouch only for addresses in a domain THIS organization has
   * verified. An organization's IdP asserting `ceo@other.com` neither signs in as nor creates that account.
   */
  async function open(tenantId: string, row: store.ConnectionRow, identity: IdpIdentity, source: AuditSource, returnTo: string | null): Promise<SignedIn> {
    const email = identity.email?.trim();
    const domain = email === undefined ? undefined : emailDomain(email);
    if (email === undefined || domain === undefined || email.length > 254) return refuse(tenantId, row.id, source, 'no_email');
    const route = await transactor.withPlatform((tx) => store.routeForDomain(tx, integrity, domain));
    if (route === undefined || route.tenant_id !== tenantId) return refuse(tenantId, row.id, source, 'email_domain_not_verified');
    const snapshot = await deps.access.snapshot(tenantId);
    const now = clock.now();
    // Provisioning first; the session is opened in a second transaction whose verified actor is the
    // user (the session-limit and MFA-requirement functions answer only about the verified actor).
    const actor = (u: UserRow) => ({ type: 'user', id: u.id, display_name: u.display_name }) as const;
    const provisioned = await transactor.withTenant(tenantId, async (tx): Promise<UserRow | 'disabled'> => {
      let user = await findUserByEmail(tx, email);
      if (user === undefined) {
        user = await insertUser(tx, { id: uuidv7(clock, random), email, displayName: email.slice(0, email.indexOf('@')).slice(0, 100), passwordHash: NO_PASSWORD, isPlatformAdmin: false, now });
        await join(tx, tenantId, user, row, now);
        await audit.record(tx, tenantId, { action: 'sso.user_provisioned', actor: actor(user), outcome: 'success', source, targets: [{ type: 'user', id: user.id }, { type: 'sso_connection', id: row.id }], metadata: { role: row.default_role } });
      } else if (user.disabled_at !== null) {
        return 'disabled';
      } else if (snapshot === undefined || !snapshot.members.has(user.id)) {
        await join(tx, tenantId, user, row, now);
        await audit.record(tx, tenantId, { action: 'sso.member_provisioned', actor: actor(user), outcome: 'success', source, targets: [{ type: 'user', id: user.id }, { type: 'sso_connection', id: row.id }], metadata: { role: row.default_role } });
      }
      // The roles the connection's rules give for the groups asserted now (JIT and every later sign-in).
      await deps.groupRoles.apply(tx, { tenantId, connectionId: row.id, userId: user.id, groups: identity.groups, source, actor: actor(user) });
      return user;
    });
    if (provisioned === 'disabled') return refuse(tenantId, row.id, source, 'account_disabled');
    const user = provisioned;
    const result = await transactor.withTenant(tenantId, async (tx) => {
      const session = await deps.sessions.create(tx, user, { ip: source.ip ?? '', userAgent: source.user_agent ?? undefined, authMethods: identity.authMethods });
      await audit.record(tx, tenantId, {
        action: 'sso.sign_in',
        actor: actor(user),
        outcome: 'success',
        source,
        targets: [{ type: 'session', id: session.sessionId }, { type: 'sso_connection', id: row.id }],
        metadata: { protocol: row.protocol, amr: identity.authMethods.join(' ').slice(0, 200) },
      });
      return { user, ...session };
    }, user.id);
    return { token: result.token, sessionId: result.sessionId, userId: result.user.id, returnTo };
  }

  /** The portal's test sign-in: records the outcome on its link (audited), opens no session, provisions nobody. */
  async function tested(tenantId: string, connectionId: string, linkId: string, outcome: string, source: AuditSource): Promise<SetupTested> {
    await transactor.withTenant(tenantId, async (tx) => {
      await recordSetupTest(tx, tenantId, linkId, outcome, clock.now());
      await audit.record(tx, tenantId, { action: 'sso.setup_tested', actor: linkActor(linkId), outcome: outcome.startsWith('ok') ? 'success' : 'failure', source, targets: [{ type: 'sso_setup_link', id: linkId }, { type: 'sso_connection', id: connectionId }], metadata: { outcome: outcome.slice(0, 100) } });
    });
    return { setupLinkId: linkId, tenantId };
  }

  /** What a successful test sign-in proved: an address the organization's verified domains cover, or not. */
  async function testOutcome(tenantId: string, email: string | undefined): Promise<string> {
    const domain = email === undefined ? undefined : emailDomain(email.trim());
    if (domain === undefined) return 'ok_no_email';
    const route = await transactor.withPlatform((tx) => store.routeForDomain(tx, integrity, domain));
    return route?.tenant_id === tenantId ? 'ok' : 'ok_domain_unverified';
  }

  async function join(tx: Tx, tenantId: string, user: UserRow, row: store.ConnectionRow, now: Date): Promise<void> {
    await insertMembership(tx, tenantId, user.id, 'member', now);
    await deps.access.insertBinding(tx, organizationRoleBinding({ tenantId, id: uuidv7(clock, random), userId: user.id, role: row.default_role, now }));
    await deps.access.changed(tx, tenantId);
  }

  return {
    /** The organization and connection a verified email domain routes to, if any (ids only). */
    route: async (email: string): Promise<{ tenantId: string; connectionId: string } | undefined> => {
      const domain = emailDomain(email);
      if (domain === undefined) return undefined;
      const found = await transactor.withPlatform((tx) => store.routeForDomain(tx, integrity, domain));
      return found?.connection_id == null ? undefined : { tenantId: found.tenant_id, connectionId: found.connection_id };
    },

    /** Starts a sign-in: stores the state (digest), nonce and PKCE verifier or request id; returns the IdP URL and the state for the browser's cookie. */
    start: async (tenantId: string, connectionId: string, returnTo: string | null, setupLinkId?: string): Promise<{ redirect: string; state: string }> => {
      const row = await liveConnection(tenantId, connectionId);
      const endpoints = endpointsFor(deps.publicUrl, tenantId, connectionId);
      const now = clock.now();
      let redirect: string;
      let state: string;
      let extra: Pick<store.LoginStateRow, 'nonce' | 'code_verifier' | 'request_id'>;
      if (row.protocol === 'oidc') {
        let started: Awaited<ReturnType<OidcRelyingParty['start']>>;
        try {
          started = await deps.oidc.start(await oidcConnectionOf(row), endpoints.oidcRedirect);
        } catch (error) {
          if (error instanceof OidcRefused) throw new AppError('service_unavailable', { detail: 'The identity provider could not be reached.', cause: error });
          throw error;
        }
        ({ url: redirect, state } = started);
        extra = { nonce: started.nonce, code_verifier: started.codeVerifier, request_id: null };
      } else {
        state = newSecretToken(random);
        const requestId = `_${random(20).toString('hex')}`;
        const signing = row.saml_sign_requests ? await deps.connections.spDecryption(row) : undefined;
        redirect = await samlAuthnRequestUrl({ ...samlConnectionOf(row), decryption: signing, signRequests: signing !== undefined }, endpoints.saml, requestId, state);
        extra = { nonce: null, code_verifier: null, request_id: requestId };
      }
      await transactor.withTenant(tenantId, (tx) =>
        store.insertLoginState(tx, { tenant_id: tenantId, connection_id: connectionId, state_hash: digestToken(state), ...extra, return_to: returnTo, setup_link_id: setupLinkId ?? null, created_at: now, expires_at: new Date(now.getTime() + LOGIN_STATE_TTL_MS), used_at: null }),
      );
      return { redirect, state };
    },

    /** The OIDC callback: the state in the URL must be the browser's (cookie) and live; then the code exchange. */
    finishOidc: async (input: { tenantId: string; connectionId: string; callbackUrl: URL; cookieState: string | undefined; source: AuditSource }): Promise<SignedIn | SetupTested> => {
      const { tenantId, connectionId, source } = input;
      const row = await liveConnection(tenantId, connectionId);
      if (row.protocol !== 'oidc') throw new AppError('not_found');
      const state = input.callbackUrl.searchParams.get('state') ?? '';
      // RFC 9700 §4.7.1: the state binds the callback to the browser that started the sign-in.
      if (state === '' || input.cookieState !== state) return refuse(tenantId, connectionId, source, 'state_mismatch');
      const saved = await consumeState(tenantId, connectionId, state);
      if (saved?.nonce == null || saved.code_verifier === null) return refuse(tenantId, connectionId, source, 'state_unknown_or_used');
      const testLink = saved.setup_link_id ?? null;
      let identity: Awaited<ReturnType<OidcRelyingParty['finish']>>;
      try {
        identity = await deps.oidc.finish(await oidcConnectionOf(row), input.callbackUrl, { state, nonce: saved.nonce, codeVerifier: saved.code_verifier });
      } catch (error) {
        if (error instanceof OidcRefused) return testLink === null ? refuse(tenantId, connectionId, source, error.reason) : tested(tenantId, connectionId, testLink, `refused:${error.reason}`, source);
        throw error;
      }
      if (testLink !== null) return tested(tenantId, connectionId, testLink, await testOutcome(tenantId, identity.emailVerified ? identity.email : undefined), source);
      const idpMfa = identity.amr.some((a) => MFA_AMR.has(a)) || (identity.acr !== undefined && MFA_CLASS_REFS.has(identity.acr));
      // `idp_mfa:<organization>`: this organization's IdP asserted MFA; its security policy decides whether that counts (accept_idp_mfa).
      const methods = ['sso', 'sso:oidc', ...identity.amr.slice(0, 8).map((a) => `idp_amr:${a.slice(0, 32)}`), ...(identity.acr === undefined ? [] : [`idp_acr:${identity.acr.slice(0, 100)}`]), ...(idpMfa ? [idpMfaMethod(tenantId)] : [])];
      return open(tenantId, row, { email: identity.emailVerified ? identity.email : undefined, subject: identity.subject, authMethods: methods, groups: groupNames(identity.groups) }, source, saved.return_to);
    },

    /**
     * The SAML assertion consumer: with a RelayState, the sign-in this browser started (its
     * AuthnRequest id is the only InResponseTo accepted); without one, an unsolicited response,
     * accepted only when the connection allows IdP-initiated sign-in. Each assertion id is accepted once.
     */
    finishSaml: async (input: { tenantId: string; connectionId: string; samlResponse: string; relayState: string | undefined; cookieState: string | undefined; source: AuditSource }): Promise<SignedIn | SetupTested> => {
      const { tenantId, connectionId, source } = input;
      const row = await liveConnection(tenantId, connectionId);
      if (row.protocol !== 'saml') throw new AppError('not_found');
      const connection: SamlConnection = { ...samlConnectionOf(row), decryption: await deps.connections.spDecryption(row) };
      let saved: store.LoginStateRow | undefined;
      if (input.relayState !== undefined) {
        if (input.cookieState !== input.relayState) return refuse(tenantId, connectionId, source, 'state_mismatch');
        saved = await consumeState(tenantId, connectionId, input.relayState);
        if (saved?.request_id == null) return refuse(tenantId, connectionId, source, 'state_unknown_or_used');
      } else if (!connection.allowIdpInitiated) {
        return refuse(tenantId, connectionId, source, 'unsolicited');
      }
      const endpoints = endpointsFor(deps.publicUrl, tenantId, connectionId).saml;
      let assertion: Awaited<ReturnType<typeof validateSamlResponse>>;
      try {
        assertion = await validateSamlResponse(connection, endpoints, input.samlResponse, saved?.request_id ?? undefined);
      } catch (error) {
        if (error instanceof SamlRefused) return saved?.setup_link_id == null ? refuse(tenantId, connectionId, source, error.reason) : tested(tenantId, connectionId, saved.setup_link_id, `refused:${error.reason}`, source);
        throw error;
      }
      // SAML Profiles §4.1.4.5: "the service provider MUST ensure that bearer assertions are not replayed".
      const digest = createHash('sha256').update(`${tenantId}\n${connectionId}\n${assertion.assertionId}`).digest();
      const until = assertion.notOnOrAfter ?? new Date(clock.now().getTime() + ASSERTION_MEMORY_MS);
      const fresh = await transactor.withPlatform((tx) => store.rememberAssertion(tx, digest, until));
      if (!fresh) return refuse(tenantId, connectionId, source, 'assertion_replayed');
      if (saved?.setup_link_id != null) return tested(tenantId, connectionId, saved.setup_link_id, await testOutcome(tenantId, assertion.email ?? (assertion.nameId.includes('@') ? assertion.nameId : undefined)), source);
      const idpMfa = (assertion.authnContextClassRef !== undefined && MFA_CLASS_REFS.has(assertion.authnContextClassRef)) || assertion.authnMethods.some((m) => MFA_CLASS_REFS.has(m));
      const methods = ['sso', 'sso:saml', ...(assertion.authnContextClassRef === undefined ? [] : [`idp_acr:${assertion.authnContextClassRef.slice(0, 100)}`]), ...(idpMfa ? [idpMfaMethod(tenantId)] : [])];
      return open(tenantId, row, { email: assertion.email ?? (assertion.nameId.includes('@') ? assertion.nameId : undefined), subject: assertion.nameId, authMethods: methods, groups: groupNames(assertion.groups) }, source, saved?.return_to ?? null);
    },

    /** Drops expired states and remembered assertion ids. */
    purge: async (): Promise<void> => {
      await transactor.withPlatform((tx) => store.purgeExpired(tx, clock.now()));
    },
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
