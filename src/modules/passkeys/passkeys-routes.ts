import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  answerSignIn,
  auditContext,
  requestSource,
  requireRecentAuthentication,
  requireUser,
  SignedInUser,
  SignInAnswer,
  TokenRequestFields,
  wantsTokens,
  type FirstFactorUpgrade,
  type IssueApiClientTokens,
  type SessionCookie,
  type SessionService,
} from '../identity/index.ts';
import { passkeyAmr } from './passkey-authentication.ts';
import { AppError } from '../../platform/http/errors.ts';
import { errorResponses, Name, Nullable, Strict, Timestamp, Uuid, NoContent } from '../../platform/http/schemas.ts';
import type { PasskeyRow } from './passkeys-store.ts';
import type { Passkeys } from './passkeys-service.ts';
import { AuthenticationResponse, CreationOptions, RegistrationResponse, RequestOptions } from './passkeys-schemas.ts';
import { CHALLENGE_TTL_MS } from './webauthn-challenges.ts';

const Passkey = Strict({
  id: Uuid,
  name: Type.String(),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
  transports: Type.Array(Type.String()),
  aaguid: Uuid,
  backup_eligible: Type.Boolean(),
  backed_up: Type.Boolean(),
});

function toPasskey(row: PasskeyRow) {
  return {
    id: row.id,
    name: row.name,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    transports: row.transports,
    aaguid: row.aaguid,
    backup_eligible: row.backup_eligible,
    backed_up: row.backed_up,
  };
}

const PasskeyParams = Strict({ passkeyId: Uuid });

/** The sign-in ceremony cookie: `__Host-` like the session cookie when served over https. */
export function ceremonyCookieName(cookie: SessionCookie): string {
  return cookie.secure ? '__Host-parapet_webauthn' : 'parapet_webauthn';
}

export function registerPasskeyRoutes(
  server: FastifyInstance,
  deps: { passkeys: Passkeys; sessions: Pick<SessionService, 'revoke'>; cookie: SessionCookie; upgrade: FirstFactorUpgrade; issueTokens?: IssueApiClientTokens },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { passkeys, cookie } = deps;
  const ceremonyCookie = ceremonyCookieName(cookie);
  const clearCeremony = (reply: FastifyReply) => reply.clearCookie(ceremonyCookie, { path: '/', httpOnly: true, secure: cookie.secure, sameSite: 'strict' });

  app.post('/api/v1/auth/passkeys/registration/options', {
    config: { permission: 'self' },
    schema: {
      tags: ['passkeys'],
      summary: 'Start registering a passkey or security key: options for navigator.credentials.create()',
      response: { 200: CreationOptions, ...errorResponses(401, 403) },
    },
    handler: async (request) => {
      const p = requireUser(request);
      // Adding or removing an authentication factor needs a recent sign-in (step-up).
      requireRecentAuthentication(request);
      return passkeys.registrationOptions({ userId: p.userId, sessionId: p.sessionId, email: p.email, displayName: p.displayName });
    },
  });

  app.post('/api/v1/auth/passkeys/registration/verify', {
    config: { permission: 'self' },
    schema: {
      tags: ['passkeys'],
      summary: "Finish registering: the authenticator's response and a name for the passkey",
      body: Strict({ name: Name, response: RegistrationResponse }),
      response: { 201: Type.Composite([Passkey, Strict({ session_upgraded: Type.Boolean({ description: 'True when this was your first second factor, an organization of yours requires one, and your password-only console session was replaced by one that counts as MFA (new session cookie)' }) })], { additionalProperties: false }), ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      const p = requireUser(request);
      // Adding or removing an authentication factor needs a recent sign-in (step-up).
      requireRecentAuthentication(request);
      const body = request.body;
      const check = await deps.upgrade.check(p.userId);
      const row = await passkeys.verifyRegistration({ userId: p.userId, sessionId: p.sessionId }, { name: body.name, response: body.response }, auditContext(request));
      const upgraded = await deps.upgrade.afterConfirm(request, reply, { check, factorAmr: passkeyAmr(row, false) });
      return reply.status(201).send({ ...toPasskey(row), session_upgraded: upgraded });
    },
  });

  app.get('/api/v1/auth/passkeys', {
    config: { permission: 'self' },
    schema: { tags: ['passkeys'], summary: 'Your passkeys and security keys', response: { 200: Strict({ items: Type.Array(Passkey) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      const p = requireUser(request);
      return { items: (await passkeys.list(p.userId)).map(toPasskey) };
    },
  });

  app.patch('/api/v1/auth/passkeys/:passkeyId', {
    config: { permission: 'self' },
    schema: { tags: ['passkeys'], summary: 'Rename one of your passkeys', params: PasskeyParams, body: Strict({ name: Name }), response: { 200: Passkey, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const p = requireUser(request);
      const { passkeyId } = request.params;
      const { name } = request.body;
      // Another user's passkey answers exactly like one that does not exist.
      const row = await passkeys.rename(p.userId, passkeyId.toLowerCase(), name, auditContext(request));
      if (row === undefined) throw new AppError('not_found');
      return toPasskey(row);
    },
  });

  app.delete('/api/v1/auth/passkeys/:passkeyId', {
    config: { permission: 'self' },
    schema: { tags: ['passkeys'], summary: 'Remove one of your passkeys; it stops working at once', params: PasskeyParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const p = requireUser(request);
      // Adding or removing an authentication factor needs a recent sign-in (step-up).
      requireRecentAuthentication(request);
      const { passkeyId } = request.params;
      if (!(await passkeys.remove(p.userId, passkeyId.toLowerCase(), auditContext(request)))) throw new AppError('not_found');
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/auth/passkeys/authentication/options', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['passkeys'],
      summary: 'Start a passwordless sign-in: options for navigator.credentials.get() (discoverable credentials, user verification required)',
      response: { 200: RequestOptions, ...errorResponses(429) },
    },
    handler: async (_request, reply) => {
      const { options, ceremony } = await passkeys.passwordlessOptions();
      // The challenge is bound to this browser: only a request carrying the cookie can answer it.
      reply.setCookie(ceremonyCookie, ceremony, { path: '/', httpOnly: true, secure: cookie.secure, sameSite: 'strict', maxAge: CHALLENGE_TTL_MS / 1000 });
      return options;
    },
  });

  app.post('/api/v1/auth/passkeys/authentication/verify', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['passkeys'],
      summary: 'Finish a passwordless sign-in with a passkey; sets the session cookie, or with response_type "token" returns tokens for an API client',
      body: Strict({ response: AuthenticationResponse, ...TokenRequestFields }),
      response: {
        200: Type.Union([
          Strict({ user: SignedInUser, auth_methods: Type.Array(Type.String()) }),
          SignInAnswer[1],
        ]),
        ...errorResponses(400, 401, 403, 429),
      },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const { response } = body;
      wantsTokens(body, deps.issueTokens);
      const ceremony = request.cookies[ceremonyCookie];
      clearCeremony(reply);
      // A session that came in with the request is ended: sign-in always issues a new id.
      if (request.principal?.kind === 'user') await deps.sessions.revoke(request.principal.sessionId, 'replaced_by_login', auditContext(request));
      const result = await passkeys.verifyPasswordless({ ceremony, response, source: requestSource(request) });
      // A passkey with user verification is a second factor of its own: no enrolment is owed.
      const answer = await answerSignIn(request, reply, { cookie, issueTokens: deps.issueTokens }, { ...result, mfaEnrolment: [], body });
      return 'user' in answer ? { ...answer, auth_methods: [...result.amr] } : answer;
    },
  });
}
