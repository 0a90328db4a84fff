import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { errorResponses, Strict, Uuid } from '../../platform/http/schemas.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { setUserDisabled } from './identity-store.ts';
import type { SessionService } from './session-service.ts';

const UserParams = Strict({ userId: Uuid });
const Result = Strict({ id: Uuid, disabled: Type.Boolean(), sessions_revoked: Type.Integer({ minimum: 0 }) });

/**
 * Platform administrators disable and re-enable accounts. Disabling ends every session of the user
 * on every node in the same transaction (ASVS 7.4.2); a disabled account cannot sign in and its
 * credentials resolve to nothing.
 */
export function registerUserAdminRoutes(server: FastifyInstance, deps: { transactor: AppTransactor; clock: Clock; audit: AuditRecorder; sessions: SessionService }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const change = async (disable: boolean, request: FastifyRequest, userId: string) => {
    const principal = requireUser(request);
    if (!principal.isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
    const id = userId.toLowerCase();
    if (disable && id === principal.userId) throw new AppError('conflict', { detail: 'You cannot disable your own account.' });
    const ctx = auditContext(request);
    return deps.transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
      const now = deps.clock.now();
      if (!(await setUserDisabled(tx, id, disable ? now : null, now))) throw new AppError('not_found');
      const revoked = disable ? (await deps.sessions.revokeAllForUser(tx, id, 'user_disabled')).length : 0;
      await deps.audit.record(tx, PLATFORM_TENANT_ID, {
        action: disable ? 'user.disabled' : 'user.enabled',
        actor: ctx.actor,
        outcome: 'success',
        source: ctx.source,
        targets: [{ type: 'user', id }],
        metadata: disable ? { sessions_revoked: revoked } : {},
      });
      return { id, disabled: disable, sessions_revoked: revoked };
    });
  };
  for (const [path, disable] of [['disable', true], ['enable', false]] as const) {
    app.post(`/api/v1/platform/users/:userId/${path}`, {
      config: { permission: 'self' },
      schema: {
        tags: ['identity'],
        summary: disable ? 'Disable an account and end all its sessions (platform administrators)' : 'Enable a disabled account again (platform administrators)',
        params: UserParams,
        response: { 200: Result, ...errorResponses(400, 401, 403, 404, 409) },
      },
      handler: async (request) => change(disable, request, request.params.userId),
    });
  }
}
