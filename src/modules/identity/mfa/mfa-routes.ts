import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses, Nullable, Strict, Timestamp, Uuid, NoContent } from '../../../platform/http/schemas.ts';
import { type SessionCookie } from '../authenticate.ts';
import { auditContext, requestSource, requireUser } from '../../../platform/http/request-context.ts';
import { PASSWORD_MAX_LENGTH } from '../password-policy.ts';
import type { Reauthentication } from '../reauthenticate.ts';
import type { SessionService } from '../session-service.ts';
import { requireRecentAuthentication } from '../step-up.ts';
import type { FactorProof, FactorRegistry } from './factor-registry.ts';
import type { MfaEnrolment } from './mfa-enrolment.ts';
import type { MfaLogin } from './mfa-login.ts';
import { answerSignIn, SignInAnswer, TokenRequestFields, wantsTokens, type IssueApiClientTokens } from '../sign-in-answer.ts';
import type { FirstFactorUpgrade } from './first-factor-upgrade.ts';

/**
 * The pending sign-in's cookie: like the session cookie (`__Host-` on https), a different name, so
 * it is never taken for a session — the session resolver does not read it, and its secret is not
 * in the sessions table.
 */
export function pendingLoginCookieFor(session: SessionCookie): SessionCookie {
  return { name: session.secure ? '__Host-parapet_mfa' : 'parapet_mfa', secure: session.secure };
}

const Method = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z_]+$', description: 'A second-factor method: totp, recovery_code (webauthn when passkeys are enabled)' });
// A TOTP code (6 digits) or a recovery code (16 symbols, with or without separators).
const Code = Type.String({ minLength: 1, maxLength: 64 });
const ProofFields = { method: Method, code: Type.Optional(Code), response: Type.Optional(Type.Unknown({ description: 'A WebAuthn assertion, for that method' })) };

function proofOf(body: { code?: string; response?: unknown }): FactorProof {
  return { ...(body.code === undefined ? {} : { code: body.code }), ...(body.response === undefined ? {} : { response: body.response }) };
}

// The pending sign-in's secret, for API clients (browsers send the cookie instead).
const MfaToken = Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$', description: 'API clients: the mfa_token from POST /api/v1/auth/login (browsers send the pending sign-in cookie instead)' });
const SessionUpgraded = Type.Boolean({ description: 'True when this was your first second factor, an organization of yours requires one, and your password-only console session was replaced by one that counts as MFA (new session cookie)' });
const RecoveryCodes = Type.Array(Type.String(), { description: 'Shown once; each works once. Store them somewhere safe.' });

export function registerMfaRoutes(
  server: FastifyInstance,
  deps: {
    mfa: MfaLogin;
    enrolment: MfaEnrolment;
    registry: FactorRegistry;
    reauth: Reauthentication;
    sessions: SessionService;
    cookie: SessionCookie;
    pendingCookie: SessionCookie;
    upgrade: FirstFactorUpgrade;
    issueTokens?: IssueApiClientTokens;
  },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { mfa, enrolment, registry, reauth, cookie, pendingCookie, upgrade } = deps;
  const setSession = (reply: FastifyReply, token: string) => reply.setCookie(cookie.name, token, { path: '/', httpOnly: true, secure: cookie.secure, sameSite: 'lax' });
  const clearPending = (reply: FastifyReply) => reply.clearCookie(pendingCookie.name, { path: '/', httpOnly: true, secure: pendingCookie.secure, sameSite: 'strict' });

  app.post('/api/v1/auth/mfa/verify', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary:
        'Complete a sign-in with a second factor (TOTP, recovery code or passkey) for the pending sign-in from POST /api/v1/auth/login (its cookie, or an API client\'s mfa_token); sets a new session cookie, or with response_type "token" returns tokens',
      body: Strict({ ...ProofFields, mfa_token: Type.Optional(MfaToken), ...TokenRequestFields }),
      response: { 200: Type.Union([...SignInAnswer]), ...errorResponses(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const body = request.body;
      wantsTokens(body, deps.issueTokens);
      // A session that came in with the request is ended: completing sign-in always issues a new id.
      if (request.principal?.kind === 'user') await deps.sessions.revoke(request.principal.sessionId, 'replaced_by_login', auditContext(request));
      const result = await mfa.complete({ token: body.mfa_token ?? request.cookies[pendingCookie.name], method: body.method, proof: proofOf(body), source: requestSource(request) });
      if (body.mfa_token === undefined) clearPending(reply);
      return answerSignIn(request, reply, { cookie, issueTokens: deps.issueTokens }, { ...result, body });
    },
  });

  app.post('/api/v1/auth/mfa/challenge', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'For a challenge–response second factor (WebAuthn): the options to answer, for the pending sign-in (its cookie, or an API client\'s mfa_token)',
      body: Strict({ method: Method, mfa_token: Type.Optional(MfaToken) }),
      response: { 200: Strict({ options: Type.Record(Type.String(), Type.Unknown()) }), ...errorResponses(400, 401, 429) },
    },
    handler: async (request) => {
      const { method, mfa_token: mfaToken } = request.body;
      return { options: await mfa.challenge(mfaToken ?? request.cookies[pendingCookie.name], method) };
    },
  });

  app.get('/api/v1/auth/mfa', {
    config: { permission: 'self' },
    schema: {
      tags: ['identity'],
      summary: 'Your second factors: methods usable now, TOTP state, recovery codes left',
      response: {
        200: Strict({ methods: Type.Array(Type.String()), available_methods: Type.Array(Type.String()), totp: Nullable(Strict({ confirmed_at: Timestamp })), recovery_codes_remaining: Type.Integer() }),
        ...errorResponses(401, 403),
      },
    },
    handler: async (request) => {
      const user = requireUser(request);
      const status = await enrolment.status(user.userId);
      return {
        methods: await registry.methodsFor(user.userId),
        available_methods: [...registry.kinds],
        totp: status.totp === null ? null : { confirmed_at: status.totp.confirmedAt.toISOString() },
        recovery_codes_remaining: status.recoveryCodesRemaining,
      };
    },
  });

  app.post('/api/v1/auth/mfa/totp', {
    config: { permission: 'self' },
    schema: {
      tags: ['identity'],
      summary: 'Start setting up an authenticator app (recent sign-in needed): a secret and otpauth:// URI, pending until confirmed with a first code',
      response: { 201: Strict({ factor_id: Uuid, secret: Type.String(), otpauth_uri: Type.String() }), ...errorResponses(401, 403, 409) },
    },
    handler: async (request, reply) => {
      const user = requireUser(request);
      requireRecentAuthentication(request);
      const started = await enrolment.startTotp({ id: user.userId, email: user.email });
      // Secrets in the body must not be cached by anything on the way.
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ factor_id: started.factorId, secret: started.secret, otpauth_uri: started.uri });
    },
  });

  app.post('/api/v1/auth/mfa/totp/confirm', {
    config: { permission: 'self', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'Confirm the authenticator app with its current code; returns recovery codes if you had none, and upgrades a password-only console session when this is your first second factor',
      body: Strict({ code: Code }),
      response: { 200: Strict({ recovery_codes: Nullable(RecoveryCodes), session_upgraded: SessionUpgraded }), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const user = requireUser(request);
      requireRecentAuthentication(request);
      const { code } = request.body;
      const check = await upgrade.check(user.userId);
      const result = await enrolment.confirmTotp(user.userId, code, auditContext(request));
      const upgraded = await upgrade.afterConfirm(request, reply, { check, factorAmr: ['otp'] });
      reply.header('cache-control', 'no-store');
      return { recovery_codes: result.recoveryCodes ?? null, session_upgraded: upgraded };
    },
  });

  app.delete('/api/v1/auth/mfa/totp', {
    config: { permission: 'self' },
    schema: { tags: ['identity'], summary: 'Remove your authenticator app (recent sign-in needed)', response: { 204: NoContent, ...errorResponses(401, 403, 404) } },
    handler: async (request, reply) => {
      const user = requireUser(request);
      requireRecentAuthentication(request);
      await enrolment.removeTotp(user.userId, auditContext(request));
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/auth/mfa/recovery-codes', {
    config: { permission: 'self' },
    schema: {
      tags: ['identity'],
      summary: 'Replace your recovery codes with ten new ones (recent sign-in needed); the old ones stop working',
      response: { 200: Strict({ recovery_codes: RecoveryCodes }), ...errorResponses(401, 403, 409) },
    },
    handler: async (request, reply) => {
      const user = requireUser(request);
      requireRecentAuthentication(request);
      const codes = await enrolment.regenerateRecoveryCodes(user.userId, auditContext(request));
      reply.header('cache-control', 'no-store');
      return { recovery_codes: codes };
    },
  });

  app.post('/api/v1/auth/reauthenticate', {
    config: { permission: 'self', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'Re-authenticate for sensitive actions (step-up): password, plus a second factor if you have one; replaces the session (new id)',
      body: Strict({ password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH * 4 }), method: Type.Optional(Method), code: Type.Optional(Code), response: Type.Optional(Type.Unknown()) }),
      response: { 200: Strict({ session: Strict({ id: Uuid, auth_methods: Type.Array(Type.String()), authenticated_at: Timestamp }) }), ...errorResponses(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const principal = requireUser(request);
      const body = request.body;
      const result = await reauth.reauthenticate({ principal, password: body.password, method: body.method, proof: proofOf(body), source: requestSource(request) });
      setSession(reply, result.token);
      return { session: { id: result.sessionId, auth_methods: result.authMethods, authenticated_at: result.authenticatedAt.toISOString() } };
    },
  });

  app.post('/api/v1/auth/reauthenticate/challenge', {
    config: { permission: 'self', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'For re-authentication with a challenge–response second factor (WebAuthn): the options to answer',
      body: Strict({ method: Method }),
      response: { 200: Strict({ options: Type.Record(Type.String(), Type.Unknown()) }), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const principal = requireUser(request);
      const { method } = request.body;
      return { options: await mfa.challengeForUser(principal.userId, principal.sessionId, method) };
    },
  });
}
