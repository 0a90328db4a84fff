import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { AppTransactor } from '../../database.ts';
import { AppError } from '../../platform/http/errors.ts';
import { acceptFormBodies } from '../../platform/http/form-body.ts';
import { html, type SafeHtml } from '../../platform/http/html.ts';
import { sendHostedPage, type Branding } from './hosted-page.ts';
import type { SignUp } from './sign-up.ts';
import { requestSource } from '../../platform/http/request-context.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { IdentityApi } from '../identity/index.ts';
import type { ApplicationRow } from './applications-service.ts';
import type { GrantSessions } from './grant-sessions.ts';
import type { ResourceServerRow } from './resource-servers.ts';
import { ORGANIZATION_SCOPE, type OrganizationClaims } from './organization-claims.ts';
import { readFileSync } from 'node:fs';
import { acrFor, demandsMfa, demandsPhishingResistant, hasSecondFactor, INTERACTION_PATH, meetsAcrDemand } from './openid-provider.ts';

/** The second-factor page's one script (the passkey button), served same-origin. */
export const PASSKEY_SCRIPT_PATH = `${INTERACTION_PATH}/passkey.js`;
const PASSKEY_SCRIPT = readFileSync(new URL('./static/hosted-passkey.js', import.meta.url), 'utf8');
/** Second-factor methods typed as a code on the page (the others are challenge–response). */
const CODE_METHODS: readonly string[] = ['totp', 'recovery_code'];

/** Who signed in: a live Parapet session. */
export interface SignedIn {
  readonly userId: string;
  readonly sessionId: string;
  readonly amr: readonly string[];
  readonly authenticatedAt: Date;
}

/**
 * The hosted sign-in (issue 17): the provider sends the browser to `GET /oidc/interaction/:uid`
 * whenever it needs a user (login) or their agreement (consent). The page is Parapet's own sign-in
 * — password, then the account's second factor — and it opens an ordinary Parapet session (the
 * console's cookie). Entry point for other sign-in methods (SSO routing by email domain): the
 * `POST …/login` handler; anything that ends with a `SignedIn` calls `continueAs`.
 */
export function registerHostedSignIn(
  server: FastifyInstance,
  deps: {
    provider: () => Promise<Provider>;
    identity: Pick<IdentityApi, 'login' | 'mfa' | 'cookie' | 'pendingCookie' | 'sessions'>;
    /** Whether the organization's security policy requires a second factor (its applications then do too). */
    mfaRequired: (tenantId: string) => Promise<boolean>;
    application: (clientId: string) => Promise<ApplicationRow | undefined>;
    /** Scope `organization`: the user's membership in the application's organization, or undefined. */
    organization: (userId: string, clientId: string) => Promise<OrganizationClaims | undefined>;
    /** The organization's hosted-page branding, if it set any. */
    branding: (tenantId: string) => Promise<Branding | undefined>;
    signUp: Pick<SignUp, 'settingsFor'>;
    /** The resource server an identifier names for an application (RFC 8707), if any. */
    resourceServer: (clientId: string, identifier: string) => Promise<ResourceServerRow | undefined>;
    grants: GrantSessions;
    /** The user's email (the otpauth URI's label), or undefined. */
    email: (userId: string) => Promise<string | undefined>;
    audit: AuditRecorder;
    transactor: AppTransactor;
    secureCookies: boolean;
  },
): void {
  const { identity } = deps;
  const cookieOptions = { path: '/', httpOnly: true, secure: deps.secureCookies, sameSite: 'lax' as const };

  async function page(reply: FastifyReply, app: ApplicationRow | undefined, title: string, body: SafeHtml, status = 200, scripts?: readonly string[]): Promise<FastifyReply> {
    return sendHostedPage(reply, { app, branding: app === undefined ? undefined : await deps.branding(app.tenant_id), title, body, status, ...(scripts === undefined ? {} : { scripts }) });
  }

  const signInForm = (uid: string, failed: boolean, signUp = false) => html`<h1>Sign in</h1>${failed ? html`<p role="alert">Those credentials are not valid.</p>` : ''}
<form method="post" action="${INTERACTION_PATH}/${uid}/login">
<label>Email <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p><a href="/console/#/forgot-password">Forgot your password?</a></p>${signUp ? html`<p><a href="${INTERACTION_PATH}/${uid}/sign-up">Create account</a></p>` : ''}`;

  /**
   * The second factor: a code form (TOTP or recovery code) unless the application demands a
   * phishing-resistant factor, and a passkey button when the account has a passkey (the request
   * options ride in `data-options`; the form stays hidden until the script shows it).
   */
  const mfaForm = (uid: string, failed: boolean, offer: { codes: boolean; passkeyOptions: Record<string, unknown> | undefined }, step: 'mfa' | 'step-up' = 'mfa') => html`<h1>Second factor</h1>${failed ? html`<p role="alert">That answer is not valid.</p>` : ''}${step === 'step-up' ? html`<p>The application asks you to confirm it is you with your second factor.</p>` : ''}
${offer.passkeyOptions === undefined ? '' : html`<form id="passkey-form" method="post" action="${INTERACTION_PATH}/${uid}/${step}" data-options="${JSON.stringify(offer.passkeyOptions)}" hidden>
<input type="hidden" name="method" value="webauthn"><input type="hidden" name="passkey_response" value="">
<button type="submit">Use a passkey or security key</button>
</form>
<p id="passkey-problem" role="alert" hidden></p>`}
${offer.codes ? html`<form method="post" action="${INTERACTION_PATH}/${uid}/${step}">
<label>Code from your authenticator app, or a recovery code <input name="code" autocomplete="one-time-code" required></label>
<select name="method"><option value="totp">Authenticator app</option><option value="recovery_code">Recovery code</option></select>
<button type="submit">Continue</button>
</form>` : ''}`;

  /**
   * Shows the second-factor page for the pending sign-in `pendingToken`. `methods` are the
   * account's (from the password step); when unknown (a failed attempt), the passkey challenge
   * itself says whether the account has one.
   */
  async function secondFactorPage(reply: FastifyReply, app: ApplicationRow, uid: string, params: Record<string, unknown>, pendingToken: string | undefined, failed: boolean, methods?: readonly string[]): Promise<FastifyReply> {
    const passkeyOptions = methods !== undefined && !methods.includes('webauthn') ? undefined : await identity.mfa.login.challenge(pendingToken, 'webauthn').catch((error: unknown) => {
      if (error instanceof AppError && error.status < 500) return undefined;
      throw error;
    });
    const codes = !demandsPhishingResistant(params) && (methods === undefined || methods.some((method) => CODE_METHODS.includes(method)));
    return page(reply, app, 'Second factor', mfaForm(uid, failed, { codes, passkeyOptions }), failed ? 401 : 200, passkeyOptions === undefined ? undefined : [PASSKEY_SCRIPT_PATH]);
  }

  /**
   * Step-up by the second factor only: the user has a live session proven by password and the
   * application asks for more (`acr_values`). Offers the account's factors that meet the demand (a
   * passkey only, when it asks for phishing resistance); undefined when the account has none, so
   * the caller falls back to a full sign-in (which then ends in unmet_authentication_requirements).
   */
  async function stepUpOffer(params: Record<string, unknown>, user: SignedIn): Promise<{ codes: boolean; passkeyOptions: Record<string, unknown> | undefined } | undefined> {
    const methods = await identity.mfa.registry.methodsFor(user.userId);
    const passkeyOptions = !methods.includes('webauthn') ? undefined : await identity.mfa.login.challengeForUser(user.userId, user.sessionId, 'webauthn');
    const codes = !demandsPhishingResistant(params) && methods.some((method) => CODE_METHODS.includes(method));
    return !codes && passkeyOptions === undefined ? undefined : { codes, passkeyOptions };
  }

  /** Shows the step-up page for `offer` (from `stepUpOffer`). */
  async function stepUpPage(reply: FastifyReply, app: ApplicationRow, uid: string, offer: { codes: boolean; passkeyOptions: Record<string, unknown> | undefined }, failed: boolean): Promise<FastifyReply> {
    return page(reply, app, 'Second factor', mfaForm(uid, failed, offer, 'step-up'), failed ? 401 : 200, offer.passkeyOptions === undefined ? undefined : [PASSKEY_SCRIPT_PATH]);
  }

  /** Whether a sign-in with `amr` meets the request's acr_values and the organization's MFA policy. */
  async function meets(app: ApplicationRow, params: Record<string, unknown>, amr: readonly string[]): Promise<boolean> {
    return meetsAcrDemand(params, amr) && (hasSecondFactor(amr) || !(await deps.mfaRequired(app.tenant_id)));
  }

  /**
   * Forced enrolment: the application (acr_values) or its organization's policy requires a second
   * factor and the account has none. The signed-in user enrols an authenticator app here (the seed
   * shown as text and as an otpauth URI, no script), confirms it with a first code, and continues.
   * Not offered for a phishing-resistant demand (a passkey is needed; enrol one in the console).
   */
  async function enrolmentPage(reply: FastifyReply, app: ApplicationRow, uid: string, user: SignedIn, failed: boolean): Promise<FastifyReply> {
    // A failed code keeps the pending key (the user's app already has it); a new visit starts over.
    const started = failed ? undefined : await identity.mfa.enrolment.startTotp({ id: user.userId, email: (await deps.email(user.userId)) ?? '' });
    return page(reply, app, 'Set up a second factor', html`<h1>Set up a second factor</h1>${failed ? html`<p role="alert">That code is not valid. Enter the current code from your authenticator app.</p>` : ''}
<p>${app.name} requires a second factor.${started === undefined ? '' : html` Add this key to your authenticator app, then enter the code it shows.`}</p>
${started === undefined ? '' : html`<p>Key: <code id="totp-secret">${started.secret}</code></p>
<p><a href="${started.uri}">Open in an authenticator app</a></p>`}
<form method="post" action="${INTERACTION_PATH}/${uid}/enrol-totp">
<label>Code from your authenticator app <input name="code" autocomplete="one-time-code" inputmode="numeric" required></label>
<button type="submit">Confirm</button>
</form>`, failed ? 401 : 200);
  }

  /** Whether the account could enrol its way to meeting the demand (an authenticator app meets MFA, not phishing resistance). */
  async function enrolmentCanHelp(app: ApplicationRow, params: Record<string, unknown>, user: SignedIn): Promise<boolean> {
    if (demandsPhishingResistant(params)) return false;
    if (!demandsMfa(params) && !(await deps.mfaRequired(app.tenant_id))) return false;
    return (await identity.mfa.registry.methodsFor(user.userId)).length === 0;
  }

  /** Ends the interaction without a code: the sign-in cannot meet the application's acr_values. */
  async function unmet(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const refused = await (await deps.provider()).interactionResult(request.raw, reply.raw, { error: 'unmet_authentication_requirements', error_description: 'The application asks for a stronger sign-in than this one.' }, { mergeWithLastSubmission: false });
    return reply.redirect(refused, 303);
  }

  const consentForm = (uid: string, app: ApplicationRow, scopes: readonly string[]) => html`<h1>Allow access?</h1>
<p>${app.name} asks for: ${scopes.join(', ')}</p>
<form method="post" action="${INTERACTION_PATH}/${uid}/consent"><button type="submit" name="allow" value="yes">Allow</button></form>
<form method="post" action="${INTERACTION_PATH}/${uid}/abort"><button type="submit">Deny</button></form>`;

  async function details(request: FastifyRequest, reply: FastifyReply) {
    try {
      const found = await (await deps.provider()).interactionDetails(request.raw, reply.raw);
      const clientId = typeof found.params['client_id'] === 'string' ? found.params['client_id'] : '';
      const app = await deps.application(clientId);
      if (app === undefined) throw new AppError('not_found');
      return { interaction: found, app };
    } catch (error) {
      if (error instanceof AppError) throw error;
      // An expired or foreign interaction (its cookie is bound to this browser).
      throw new AppError('not_found', { cause: error });
    }
  }

  /** The user behind the Parapet session cookie, if any. */
  async function currentUser(request: FastifyRequest): Promise<SignedIn | undefined> {
    const token = request.cookies[identity.cookie.name];
    const principal = token === undefined ? undefined : await identity.sessions.resolve(token);
    if (principal?.kind !== 'user') return undefined;
    return { userId: principal.userId, sessionId: principal.sessionId, amr: principal.authMethods, authenticatedAt: principal.authenticatedAt };
  }

  /** Finishes the interaction for `user`: consent for a third-party application, else a grant at once. */
  async function continueAs(request: FastifyRequest, reply: FastifyReply, user: SignedIn, consented: boolean): Promise<FastifyReply> {
    const { interaction, app } = await details(request, reply);
    const provider = await deps.provider();
    // Step-up: whatever route reached here (a consent post, a replayed interaction, an account with
    // no second factor or no passkey), an interaction whose request asks for MFA ends without a
    // code unless this sign-in used a second factor — a passkey when it asks for phishing resistance.
    if (!(await meets(app, interaction.params, user.amr))) return unmet(request, reply);
    const scope = interaction.params['scope'];
    const asked = (typeof scope === 'string' ? scope : 'openid').split(' ');
    const requested = asked.filter((scope) => app.scopes.includes(scope));
    // RFC 8707: each requested API of the application's environment, with the scopes asked of it.
    const resources: { identifier: string; scopes: string[] }[] = [];
    for (const identifier of [interaction.params['resource']].flat()) {
      if (typeof identifier !== 'string') continue;
      const api = await deps.resourceServer(app.id, identifier);
      if (api !== undefined) resources.push({ identifier, scopes: asked.filter((scope) => api.scopes.includes(scope)) });
    }
    // Scope `organization`: only members of the application's organization sign in to an
    // application that asks for it — an outsider gets no code (docs/openid-provider.md).
    if (requested.includes(ORGANIZATION_SCOPE) && (await deps.organization(user.userId, app.id)) === undefined) {
      const source = requestSource(request);
      await deps.transactor.withTenant(app.tenant_id, (tx) => deps.audit.record(tx, app.tenant_id, { action: 'oidc.authorized', actor: { type: 'user', id: user.userId, display_name: null }, outcome: 'failure', source, targets: [{ type: 'oidc_application', id: app.id, name: app.name }], metadata: { scopes: requested.join(' '), reason: 'not_a_member' } }));
      const refused = await provider.interactionResult(request.raw, reply.raw, { error: 'access_denied', error_description: 'The user is not a member of the organization of this application.' }, { mergeWithLastSubmission: false });
      return reply.redirect(refused, 303);
    }
    if (!app.first_party && !consented) return page(reply, app, 'Allow access?', consentForm(interaction.uid, app, [...requested, ...resources.flatMap((api) => api.scopes)]));
    // A new grant for this Parapet session: its tokens live no longer than the session.
    const grant = new provider.Grant({ accountId: user.userId, clientId: app.id });
    grant.addOIDCScope(requested.join(' '));
    for (const api of resources) if (api.scopes.length > 0) grant.addResourceScope(api.identifier, api.scopes.join(' '));
    const grantId = await grant.save();
    await deps.grants.link({ grantId, sessionId: user.sessionId, userId: user.userId, clientId: app.id });
    const source = requestSource(request);
    await deps.transactor.withTenant(app.tenant_id, (tx) => deps.audit.record(tx, app.tenant_id, { action: 'oidc.authorized', actor: { type: 'user', id: user.userId, display_name: null }, outcome: 'success', source, targets: [{ type: 'oidc_application', id: app.id, name: app.name }], metadata: { scopes: requested.join(' '), amr: user.amr.join(' ') } }));
    const amr = [...user.amr];
    const redirect = await provider.interactionResult(
      request.raw,
      reply.raw,
      { login: { accountId: user.userId, amr, acr: acrFor(amr, interaction.params), ts: Math.floor(user.authenticatedAt.getTime() / 1000), remember: true }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return reply.redirect(redirect, 303);
  }

  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    acceptFormBodies(scope);
    const Params = { type: 'object', properties: { uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }, required: ['uid'] } as const;
    const form = (request: FastifyRequest) => (request.body ?? {}) as Record<string, string | undefined>;
    const config = { auth: 'public' as const, rateLimit: 'auth' as const };
    const uidOf = (request: FastifyRequest) => (request.params as { uid: string }).uid;

    scope.get(`${INTERACTION_PATH}/:uid`, { config: { auth: 'public' }, schema: { hide: true, params: Params } }, async (request, reply) => {
      const { interaction, app } = await details(request, reply);
      const reasons = interaction.prompt.reasons;
      const user = await currentUser(request);
      // prompt=login and max_age demand a fresh sign-in (password, then any factor), whatever session exists.
      const fresh = reasons.includes('login_prompt') || reasons.includes('max_age');
      if (user !== undefined && !fresh) {
        if (await meets(app, interaction.params, user.amr)) return continueAs(request, reply, user, false);
        // A demand for a second factor the live session was opened without: ask only for the factor,
        // or, for an account with none, have it enrol one.
        const offer = await stepUpOffer(interaction.params, user);
        if (offer !== undefined) return stepUpPage(reply, app, uidOf(request), offer, false);
        if (await enrolmentCanHelp(app, interaction.params, user)) return enrolmentPage(reply, app, uidOf(request), user, false);
      }
      return page(reply, app, 'Sign in', signInForm(uidOf(request), false, (await deps.signUp.settingsFor(app)).mode === 'open'));
    });

    scope.get(PASSKEY_SCRIPT_PATH, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
      return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(PASSKEY_SCRIPT);
    });

    scope.post(`${INTERACTION_PATH}/:uid/login`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      const { app, interaction } = await details(request, reply);
      const body = form(request);
      try {
        const result = await identity.login.login({ email: body['email'] ?? '', password: body['password'] ?? '', source: requestSource(request) });
        if (result.kind === 'mfa') {
          // A passkey is demanded and the account has none: no factor on the page could meet it.
          if (demandsPhishingResistant(interaction.params) && !result.methods.includes('webauthn')) return await unmet(request, reply);
          reply.setCookie(identity.pendingCookie.name, result.pendingToken, { ...cookieOptions, maxAge: 300 });
          return await secondFactorPage(reply, app, uidOf(request), interaction.params, result.pendingToken, false, result.methods);
        }
        reply.setCookie(identity.cookie.name, result.token, cookieOptions);
        const signedIn: SignedIn = { userId: result.user.id, sessionId: result.sessionId, amr: ['pwd'], authenticatedAt: new Date() };
        // An account with no second factor where one is required: enrol it now, then continue.
        if (!(await meets(app, interaction.params, signedIn.amr)) && (await enrolmentCanHelp(app, interaction.params, signedIn))) return await enrolmentPage(reply, app, uidOf(request), signedIn, false);
        return await continueAs(request, reply, signedIn, false);
      } catch (error) {
        if (error instanceof AppError && (error.code === 'invalid_credentials' || error.code === 'too_many_attempts')) return page(reply, app, 'Sign in', signInForm(uidOf(request), true), 401);
        throw error;
      }
    });

    scope.post(`${INTERACTION_PATH}/:uid/mfa`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      const { app, interaction } = await details(request, reply);
      const body = form(request);
      const method = body['method'] === 'recovery_code' ? 'recovery_code' : body['method'] === 'webauthn' ? 'webauthn' : 'totp';
      const pendingToken = request.cookies[identity.pendingCookie.name];
      try {
        const proof = method === 'webauthn' ? { response: passkeyResponse(body['passkey_response']) } : { code: body['code'] ?? '' };
        const result = await identity.mfa.login.complete({ token: pendingToken, method, proof, source: requestSource(request) });
        reply.clearCookie(identity.pendingCookie.name, { path: '/' });
        reply.setCookie(identity.cookie.name, result.token, cookieOptions);
        // A passkey's amr (hwk or swk, user, mfa) is the session's own, as the passkey reported it.
        const session = method === 'webauthn' ? await identity.sessions.resolve(result.token) : undefined;
        const amr = session?.kind === 'user' ? session.authMethods : ['pwd', method === 'totp' ? 'otp' : 'rc'];
        return await continueAs(request, reply, { userId: result.user.id, sessionId: result.sessionId, amr, authenticatedAt: new Date() }, false);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) return secondFactorPage(reply, app, uidOf(request), interaction.params, pendingToken, true);
        throw error;
      }
    });

    // Forced enrolment (see enrolmentPage): confirms the authenticator app with its first code, shows
    // the recovery codes once, and asks for the next code (the step-up), which opens the MFA session.
    scope.post(`${INTERACTION_PATH}/:uid/enrol-totp`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      const { app } = await details(request, reply);
      const token = request.cookies[identity.cookie.name];
      const principal = token === undefined ? undefined : await identity.sessions.resolve(token);
      if (principal?.kind !== 'user') throw new AppError('unauthenticated');
      const user: SignedIn = { userId: principal.userId, sessionId: principal.sessionId, amr: principal.authMethods, authenticatedAt: principal.authenticatedAt };
      let recoveryCodes: string[] | undefined;
      try {
        ({ recoveryCodes } = await identity.mfa.enrolment.confirmTotp(principal.userId, form(request)['code'] ?? '', { userId: principal.userId, actor: { type: 'user', id: principal.userId, display_name: principal.displayName }, source: requestSource(request) }));
      } catch (error) {
        if (error instanceof AppError && error.status < 500) return enrolmentPage(reply, app, uidOf(request), user, true);
        throw error;
      }
      return page(reply, app, 'Second factor', html`<h1>Authenticator app added</h1>
${recoveryCodes === undefined ? '' : html`<p>Keep these recovery codes somewhere safe; each works once if you lose your authenticator app. They are shown only now.</p>
<ul id="recovery-codes">${recoveryCodes.map((code) => html`<li><code>${code}</code></li>`)}</ul>`}
${mfaForm(uidOf(request), false, { codes: true, passkeyOptions: undefined }, 'step-up')}`);
    });

    // Step-up by the second factor only, for the user of the live Parapet session (see stepUpPage).
    scope.post(`${INTERACTION_PATH}/:uid/step-up`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      const { app, interaction } = await details(request, reply);
      const token = request.cookies[identity.cookie.name];
      const principal = token === undefined ? undefined : await identity.sessions.resolve(token);
      if (principal?.kind !== 'user') throw new AppError('unauthenticated');
      const user: SignedIn = { userId: principal.userId, sessionId: principal.sessionId, amr: principal.authMethods, authenticatedAt: principal.authenticatedAt };
      const body = form(request);
      const method = body['method'] === 'recovery_code' ? 'recovery_code' : body['method'] === 'webauthn' ? 'webauthn' : 'totp';
      // A code is no answer to a demand for phishing resistance: only the passkey is offered then.
      const again = async () => {
        const offer = await stepUpOffer(interaction.params, user);
        return offer === undefined ? unmet(request, reply) : stepUpPage(reply, app, uidOf(request), offer, true);
      };
      if (method !== 'webauthn' && demandsPhishingResistant(interaction.params)) return again();
      try {
        const proof = method === 'webauthn' ? { response: passkeyResponse(body['passkey_response']) } : { code: body['code'] ?? '' };
        const result = await identity.mfa.reauth.secondFactor({ principal, method, proof, source: requestSource(request) });
        reply.setCookie(identity.cookie.name, result.token, cookieOptions);
        // The amr of the ID token as after password + factor (mfa route): a passkey's as it reported it.
        const amr = method === 'webauthn' ? result.authMethods : ['pwd', method === 'totp' ? 'otp' : 'rc'];
        return await continueAs(request, reply, { userId: principal.userId, sessionId: result.sessionId, amr, authenticatedAt: result.authenticatedAt }, false);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) return await again();
        throw error;
      }
    });

    scope.post(`${INTERACTION_PATH}/:uid/consent`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      const user = await currentUser(request);
      if (user === undefined) throw new AppError('unauthenticated');
      return continueAs(request, reply, user, true);
    });

    scope.post(`${INTERACTION_PATH}/:uid/abort`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      await details(request, reply);
      const redirect = await (await deps.provider()).interactionResult(request.raw, reply.raw, { error: 'access_denied', error_description: 'The user denied access.' }, { mergeWithLastSubmission: false });
      return reply.redirect(redirect, 303);
    });
  });
}

/** The posted WebAuthn answer (JSON), or undefined for anything else: the factor then refuses it as a wrong proof. */
function passkeyResponse(posted: string | undefined): Record<string, unknown> | undefined {
  if (posted === undefined || posted.length > 16_384) return undefined;
  try {
    const parsed: unknown = JSON.parse(posted);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
