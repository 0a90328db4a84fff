import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { AppError } from '../../platform/http/errors.ts';
import { acceptFormBodies } from '../../platform/http/form-body.ts';
import { html, type SafeHtml } from '../../platform/http/html.ts';
import { requestSource } from '../../platform/http/request-context.ts';
import type { ApplicationRow } from './applications-service.ts';
import { sendHostedPage, type Branding } from './hosted-page.ts';
import { INTERACTION_PATH } from './openid-provider.ts';
import type { SignUp } from './sign-up.ts';

/** Where a sign-up's verification link lands (the token travels in the fragment, then is pasted or posted). */
export const SIGN_UP_VERIFY_PATH = '/oidc/sign-up/verify';

/** Problems a person can fix on the form: shown on it rather than as a bare error. */
const FIXABLE: Readonly<Record<string, string>> = {
  sign_up_domain_not_allowed: 'Accounts for this application are limited to some email domains.',
  password_too_short: 'That password is too short.',
  password_too_long: 'That password is too long.',
  password_too_common: 'That password appears in lists of common passwords; choose another.',
  password_too_weak: 'That password is too easy to guess; choose a longer one.',
  invalid_request: 'That email address is not valid.',
};

/**
 * The hosted sign-up (issue 17): `GET/POST /oidc/interaction/{uid}/sign-up` from the sign-in page
 * when the application's environment has open sign-up, and the verification page the mailed link
 * leads to. No script; the same CSP and headers as the sign-in pages.
 */
export function registerHostedSignUp(
  server: FastifyInstance,
  deps: { provider: () => Promise<Provider>; application: (clientId: string) => Promise<ApplicationRow | undefined>; branding: (tenantId: string) => Promise<Branding | undefined>; signUp: SignUp },
): void {
  async function page(reply: FastifyReply, app: ApplicationRow | undefined, title: string, body: SafeHtml, status = 200): Promise<FastifyReply> {
    return sendHostedPage(reply, { app, branding: app === undefined ? undefined : await deps.branding(app.tenant_id), title, body, status });
  }

  async function applicationOf(request: FastifyRequest, reply: FastifyReply): Promise<ApplicationRow> {
    let clientId: unknown;
    try {
      clientId = (await (await deps.provider()).interactionDetails(request.raw, reply.raw)).params['client_id'];
    } catch (error) {
      // An expired or foreign interaction (its cookie is bound to this browser).
      throw new AppError('not_found', { cause: error });
    }
    const app = typeof clientId === 'string' ? await deps.application(clientId) : undefined;
    if (app === undefined) throw new AppError('not_found');
    return app;
  }

  const form = (uid: string, problem: string | undefined) => html`<h1>Create an account</h1>${problem === undefined ? '' : html`<p role="alert">${problem}</p>`}
<form method="post" action="${INTERACTION_PATH}/${uid}/sign-up">
<label>Email <input type="email" name="email" autocomplete="username" required maxlength="254"></label>
<label>Password <input type="password" name="password" autocomplete="new-password" required></label>
<button type="submit">Create account</button>
</form>
<p><a href="${INTERACTION_PATH}/${uid}">Back to sign in</a></p>`;

  const verifyForm = (problem: string | undefined) => html`<h1>Confirm your email address</h1>${problem === undefined ? '' : html`<p role="alert">${problem}</p>`}
<p>Paste the code from the mail we sent you.</p>
<form method="post" action="${SIGN_UP_VERIFY_PATH}"><label>Code <input type="text" name="token" required maxlength="300" autocomplete="off"></label> <button type="submit">Create the account</button></form>`;

  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    acceptFormBodies(scope);
    const Params = { type: 'object', properties: { uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }, required: ['uid'] } as const;
    const Body = { type: 'object', properties: { email: { type: 'string', maxLength: 300 }, password: { type: 'string', maxLength: 4096 } } } as const;
    const config = { auth: 'public' as const, rateLimit: 'auth' as const };
    const uidOf = (request: FastifyRequest) => (request.params as { uid: string }).uid;
    const fields = (request: FastifyRequest) => (request.body ?? {}) as Record<string, string | undefined>;

    scope.get(`${INTERACTION_PATH}/:uid/sign-up`, { config: { auth: 'public' }, schema: { hide: true, params: Params } }, async (request, reply) => {
      const app = await applicationOf(request, reply);
      if ((await deps.signUp.settingsFor(app)).mode !== 'open') throw new AppError('sign_up_not_allowed');
      return page(reply, app, 'Create an account', form(uidOf(request), undefined));
    });

    scope.post(`${INTERACTION_PATH}/:uid/sign-up`, { config, schema: { hide: true, params: Params, body: Body } }, async (request, reply) => {
      const app = await applicationOf(request, reply);
      const body = fields(request);
      try {
        await deps.signUp.request(app, { email: body['email'] ?? '', password: body['password'] ?? '', source: requestSource(request) });
      } catch (error) {
        const fixable = error instanceof AppError ? FIXABLE[error.code] : undefined;
        if (error instanceof AppError && fixable !== undefined) return page(reply, app, 'Create an account', form(uidOf(request), fixable), error.status);
        throw error;
      }
      // The same answer whether or not the address already has an account (no existence oracle).
      return page(reply, app, 'Check your email', html`<h1>Check your email</h1><p>If the address can be used, we sent it a link to confirm it and create your account. Then come back to ${app.name} and sign in.</p>`);
    });

    scope.get(SIGN_UP_VERIFY_PATH, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => page(reply, undefined, 'Confirm your email address', verifyForm(undefined)));

    scope.post(SIGN_UP_VERIFY_PATH, { config, schema: { hide: true, body: { type: 'object', properties: { token: { type: 'string', maxLength: 300 } } } } }, async (request, reply) => {
      try {
        const done = await deps.signUp.verify({ token: fields(request)['token'] ?? '', source: requestSource(request) });
        return await page(reply, undefined, 'Account ready', done.created ? html`<h1>Your account is ready</h1><p>Return to the application and sign in with your email and password.</p>` : html`<h1>You already have an account</h1><p>This address already has an account: return to the application and sign in, or reset your password.</p>`);
      } catch (error) {
        if (error instanceof AppError && error.code === 'link_invalid') return page(reply, undefined, 'Confirm your email address', verifyForm('That code is invalid, used or expired.'), 400);
        throw error;
      }
    });
  });
}
