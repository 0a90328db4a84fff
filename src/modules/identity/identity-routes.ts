import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { Email, errorResponses, Name, Strict, Timestamp, Uuid, NoContent } from '../../platform/http/schemas.ts';
import { type SessionCookie } from './authenticate.ts';
import { auditContext, requestSource, requireUser } from '../../platform/http/request-context.ts';
import type { UserRow } from './identity-store.ts';
import type { LoginService } from './login-service.ts';
import { PASSWORD_MAX_LENGTH } from './password-policy.ts';
import type { SessionService } from './session-service.ts';
import type { SetupService } from './setup-service.ts';
import { answerSignIn, SignInAnswer, TokenRequestFields, wantsTokens, type IssueApiClientTokens } from './sign-in-answer.ts';

const User = Strict({
  id: Uuid,
  email: Type.String(),
  display_name: Type.String(),
  is_platform_admin: Type.Boolean(),
});

function toUser(row: Pick<UserRow, 'id' | 'email' | 'display_name' | 'is_platform_admin'>) {
  return { id: row.id, email: row.email, display_name: row.display_name, is_platform_admin: row.is_platform_admin };
}

// Schema limits on passwords are deliberately loose (max 4x the character limit, in UTF-16 units):
// the policy check gives the precise, stable error code.
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH * 4 });

export function registerIdentityRoutes(
  server: FastifyInstance,
  deps: { login: LoginService; sessions: SessionService; setup: SetupService; cookie: SessionCookie; pendingCookie: SessionCookie; issueTokens?: IssueApiClientTokens },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { cookie, pendingCookie } = deps;

  app.post('/api/v1/setup', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'Create the first platform administrator with the one-time setup link token',
      body: Strict({ token: Type.String({ minLength: 1, maxLength: 200 }), email: Email, password: Password, display_name: Name }),
      response: { 201: User, ...errorResponses(400, 409, 429) },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const user = await deps.setup.complete({ token: body.token, email: body.email, password: body.password, displayName: body.display_name, source: requestSource(request) });
      return reply.status(201).send(toUser(user));
    },
  });

  app.post('/api/v1/auth/login', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary:
        'Sign in with email and password; sets the session cookie, or with response_type "token" returns tokens for an API client, or (account with MFA) a pending sign-in for POST /api/v1/auth/mfa/verify: a cookie, or for an API client an mfa_token',
      body: Strict({ email: Type.String({ minLength: 1, maxLength: 254 }), password: Password, ...TokenRequestFields }),
      response: {
        200: Type.Union([
          ...SignInAnswer,
          Strict({
            mfa_required: Type.Literal(true),
            methods: Type.Array(Type.String()),
            mfa_token: Type.Optional(Type.String({ description: 'API clients (response_type "token"): send it to POST /api/v1/auth/mfa/verify; good for 5 minutes, there only' })),
          }),
        ]),
        ...errorResponses(400, 401, 403, 429),
      },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const tokens = wantsTokens(body, deps.issueTokens);
      // A session that came in with the request is ended: login always issues a new id.
      if (request.principal?.kind === 'user') {
        const ctx = auditContext(request);
        await deps.sessions.revoke(request.principal.sessionId, 'replaced_by_login', ctx);
      }
      const result = await deps.login.login({ email: body.email, password: body.password, source: requestSource(request) });
      if (result.kind === 'mfa') {
        // AUTH-2: no session yet. The pending sign-in is good for the MFA endpoints only, 5 minutes:
        // a browser holds it in a cookie, an API client in the body it sends back.
        if (tokens) {
          reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
          return { mfa_required: true as const, methods: [...result.methods], mfa_token: result.pendingToken };
        }
        reply.setCookie(pendingCookie.name, result.pendingToken, { path: '/', httpOnly: true, secure: pendingCookie.secure, sameSite: 'strict', maxAge: 300 });
        return { mfa_required: true as const, methods: [...result.methods] };
      }
      return answerSignIn(request, reply, { cookie, issueTokens: deps.issueTokens }, { ...result, body });
    },
  });

  app.post('/api/v1/auth/logout', {
    config: { permission: 'self' },
    schema: { tags: ['identity'], summary: 'End the current session', response: { 204: NoContent, ...errorResponses(401) } },
    handler: async (request, reply) => {
      const principal = requireUser(request);
      await deps.sessions.revoke(principal.sessionId, 'logout', auditContext(request));
      reply.clearCookie(cookie.name, { path: '/', httpOnly: true, secure: cookie.secure, sameSite: 'lax' });
      return reply.status(204).send();
    },
  });

  app.get('/api/v1/auth/session', {
    config: { permission: 'self' },
    schema: {
      tags: ['identity'],
      summary: 'The signed-in user and session',
      response: {
        200: Strict({ user: User, session: Strict({ id: Uuid, auth_methods: Type.Array(Type.String()), authenticated_at: Timestamp }) }),
        ...errorResponses(401),
      },
    },
    handler: async (request) => {
      const p = requireUser(request);
      return {
        user: { id: p.userId, email: p.email, display_name: p.displayName, is_platform_admin: p.isPlatformAdmin },
        session: { id: p.sessionId, auth_methods: [...p.authMethods], authenticated_at: p.authenticatedAt.toISOString() },
      };
    },
  });

  const SessionInfo = Strict({
    id: Uuid,
    current: Type.Boolean(),
    auth_methods: Type.Array(Type.String()),
    created_at: Timestamp,
    authenticated_at: Timestamp,
    last_seen_at: Timestamp,
    idle_expires_at: Timestamp,
    absolute_expires_at: Timestamp,
    ip: Type.Union([Type.String(), Type.Null()]),
    user_agent: Type.Union([Type.String(), Type.Null()]),
  });
  app.get('/api/v1/auth/sessions', {
    config: { permission: 'self' },
    schema: { tags: ['identity'], summary: 'Your live sessions (device, address, last seen)', response: { 200: Strict({ items: Type.Array(SessionInfo) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      const p = requireUser(request);
      const rows = await deps.sessions.listForUser(p.userId);
      return {
        items: rows.map((row) => ({
          id: row.id,
          current: row.id === p.sessionId,
          auth_methods: row.auth_methods,
          created_at: row.created_at.toISOString(),
          authenticated_at: row.authenticated_at.toISOString(),
          last_seen_at: row.last_seen_at.toISOString(),
          idle_expires_at: new Date(row.last_seen_at.getTime() + row.idle_timeout_seconds * 1000).toISOString(),
          absolute_expires_at: row.absolute_expires_at.toISOString(),
          ip: row.ip,
          user_agent: row.user_agent,
        })),
      };
    },
  });
  const SessionParams = Strict({ sessionId: Uuid });
  app.delete('/api/v1/auth/sessions/:sessionId', {
    config: { permission: 'self' },
    schema: { tags: ['identity'], summary: 'End one of your sessions (on any device)', params: SessionParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const p = requireUser(request);
      const { sessionId } = request.params;
      const id = sessionId.toLowerCase();
      // Another user's session answers exactly like one that does not exist.
      if (!(await deps.sessions.revokeOwn(p.userId, id, auditContext(request)))) throw new AppError('not_found');
      if (id === p.sessionId) reply.clearCookie(cookie.name, { path: '/', httpOnly: true, secure: cookie.secure, sameSite: 'lax' });
      return reply.status(204).send();
    },
  });
}
