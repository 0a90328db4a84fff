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
import { ACR_MFA, ACR_PWD, demandsMfa, hasSecondFactor, INTERACTION_PATH } from './openid-provider.ts';

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
    application: (clientId: string) => Promise<ApplicationRow | undefined>;
    /** Scope `organization`: the user's membership in the application's organization, or undefined. */
    organization: (userId: string, clientId: string) => Promise<OrganizationClaims | undefined>;
    /** The organization's hosted-page branding, if it set any. */
    branding: (tenantId: string) => Promise<Branding | undefined>;
    signUp: Pick<SignUp, 'settingsFor'>;
    /** The resource server an identifier names for an application (RFC 8707), if any. */
    resourceServer: (clientId: string, identifier: string) => Promise<ResourceServerRow | undefined>;
    grants: GrantSessions;
    audit: AuditRecorder;
    transactor: AppTransactor;
    secureCookies: boolean;
  },
): void {
  const { identity } = deps;
  const cookieOptions = { path: '/', httpOnly: true, secure: deps.secureCookies, sameSite: 'lax' as const };

  async function page(reply: FastifyReply, app: ApplicationRow | undefined, title: string, body: SafeHtml, status = 200): Promise<FastifyReply> {
    return sendHostedPage(reply, { app, branding: app === undefined ? undefined : await deps.branding(app.tenant_id), title, body, status });
  }

  const signInForm = (uid: string, failed: boolean, signUp = false) => html`<h1>Sign in</h1>${failed ? html`<p role="alert">Those credentials are not valid.</p>` : ''}
<form method="post" action="${INTERACTION_PATH}/${uid}/login">
<label>Email <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p><a href="/console/#/forgot-password">Forgot your password?</a></p>${signUp ? html`<p><a href="${INTERACTION_PATH}/${uid}/sign-up">Create account</a></p>` : ''}`;

  const mfaForm = (uid: string, failed: boolean) => html`<h1>Second factor</h1>${failed ? html`<p role="alert">That code is not valid.</p>` : ''}
<form method="post" action="${INTERACTION_PATH}/${uid}/mfa">
<label>Code from your authenticator app, or a recovery code <input name="code" autocomplete="one-time-code" required></label>
<select name="method"><option value="totp">Authenticator app</option><option value="recovery_code">Recovery code</option></select>
<button type="submit">Continue</button>
</form>`;

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
    // no second factor), an interaction whose request asks for MFA ends without a code unless this
    // sign-in used a second factor.
    if (demandsMfa(interaction.params) && !hasSecondFactor(user.amr)) {
      const refused = await provider.interactionResult(request.raw, reply.raw, { error: 'unmet_authentication_requirements', error_description: 'The application asks for a second factor.' }, { mergeWithLastSubmission: false });
      return reply.redirect(refused, 303);
    }
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
      { login: { accountId: user.userId, amr, acr: hasSecondFactor(amr) ? ACR_MFA : ACR_PWD, ts: Math.floor(user.authenticatedAt.getTime() / 1000), remember: true }, consent: { grantId } },
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
      // prompt=login and max_age demand a fresh sign-in, whatever session exists; so does a demand
      // for a second factor the Parapet session was opened without (password, then the factor).
      const fresh = reasons.includes('login_prompt') || reasons.includes('max_age') || (demandsMfa(interaction.params) && !hasSecondFactor(user?.amr));
      if (user !== undefined && !fresh) return continueAs(request, reply, user, false);
      return page(reply, app, 'Sign in', signInForm(uidOf(request), false, (await deps.signUp.settingsFor(app)).mode === 'open'));
    });

    scope.post(`${INTERACTION_PATH}/:uid/login`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      const { app } = await details(request, reply);
      const body = form(request);
      try {
        const result = await identity.login.login({ email: body['email'] ?? '', password: body['password'] ?? '', source: requestSource(request) });
        if (result.kind === 'mfa') {
          reply.setCookie(identity.pendingCookie.name, result.pendingToken, { ...cookieOptions, maxAge: 300 });
          return await page(reply, app, 'Second factor', mfaForm(uidOf(request), false));
        }
        reply.setCookie(identity.cookie.name, result.token, cookieOptions);
        return await continueAs(request, reply, { userId: result.user.id, sessionId: result.sessionId, amr: ['pwd'], authenticatedAt: new Date() }, false);
      } catch (error) {
        if (error instanceof AppError && (error.code === 'invalid_credentials' || error.code === 'too_many_attempts')) return page(reply, app, 'Sign in', signInForm(uidOf(request), true), 401);
        throw error;
      }
    });

    scope.post(`${INTERACTION_PATH}/:uid/mfa`, { config, schema: { hide: true, params: Params } }, async (request, reply) => {
      const { app } = await details(request, reply);
      const body = form(request);
      const method = body['method'] === 'recovery_code' ? 'recovery_code' : 'totp';
      try {
        const result = await identity.mfa.login.complete({ token: request.cookies[identity.pendingCookie.name], method, proof: { code: body['code'] ?? '' }, source: requestSource(request) });
        reply.clearCookie(identity.pendingCookie.name, { path: '/' });
        reply.setCookie(identity.cookie.name, result.token, cookieOptions);
        return await continueAs(request, reply, { userId: result.user.id, sessionId: result.sessionId, amr: ['pwd', method === 'totp' ? 'otp' : 'rc'], authenticatedAt: new Date() }, false);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) return page(reply, app, 'Second factor', mfaForm(uidOf(request), true), 401);
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
