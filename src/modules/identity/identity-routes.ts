import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Email, errorResponses, Name, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { auditContext, requestSource, requireUser, type SessionCookie } from './authenticate.ts';
import type { UserRow } from './identity-store.ts';
import type { LoginService } from './login-service.ts';
import { PASSWORD_MAX_LENGTH } from './password-policy.ts';
import type { SessionService } from './session-service.ts';
import type { SetupService } from './setup-service.ts';

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
  app: FastifyInstance,
  deps: { login: LoginService; sessions: SessionService; setup: SetupService; cookie: SessionCookie },
): void {
  const { cookie } = deps;

  app.post('/api/v1/setup', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'Create the first platform administrator with the one-time setup link token',
      body: Strict({ token: Type.String({ minLength: 1, maxLength: 200 }), email: Email, password: Password, display_name: Name }),
      response: { 201: User, ...errorResponses(400, 409, 429) },
    },
    handler: async (request, reply) => {
      const body = request.body as { token: string; email: string; password: string; display_name: string };
      const user = await deps.setup.complete({ token: body.token, email: body.email, password: body.password, displayName: body.display_name, source: requestSource(request) });
      return reply.status(201).send(toUser(user));
    },
  });

  app.post('/api/v1/auth/login', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'Sign in with email and password; sets the session cookie',
      body: Strict({ email: Type.String({ minLength: 1, maxLength: 254 }), password: Password }),
      response: { 200: Strict({ user: User }), ...errorResponses(400, 401, 429) },
    },
    handler: async (request, reply) => {
      const body = request.body as { email: string; password: string };
      // A session that came in with the request is ended: login always issues a new id.
      if (request.principal?.kind === 'user') {
        const ctx = auditContext(request);
        await deps.sessions.revoke(request.principal.sessionId, 'replaced_by_login', ctx);
      }
      const result = await deps.login.login({ email: body.email, password: body.password, source: requestSource(request) });
      reply.setCookie(cookie.name, result.token, { path: '/', httpOnly: true, secure: cookie.secure, sameSite: 'lax' });
      return { user: toUser(result.user) };
    },
  });

  app.post('/api/v1/auth/logout', {
    config: { permission: 'self' },
    schema: { tags: ['identity'], summary: 'End the current session', response: { 204: Type.Null(), ...errorResponses(401) } },
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
}
