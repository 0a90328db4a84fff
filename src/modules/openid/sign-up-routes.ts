import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses, Strict, Uuid } from '../../platform/http/schemas.ts';
import { auditContext } from '../../platform/http/request-context.ts';
import type { SignUp, SignUpSettings } from './sign-up.ts';

const Mode = Type.Union([Type.Literal('off'), Type.Literal('invite_only'), Type.Literal('open')], { description: '`off` (default): no sign-up; `invite_only`: accounts come through organization invitations only; `open`: anyone, with email verification.' });
const Settings = Strict({ mode: Mode, allowed_domains: Type.Array(Type.String()) });
const Body = Strict({ mode: Mode, allowed_domains: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 50, description: 'With `open`: only addresses of these domains may sign up (exact domain, lower case); empty = any.' })) });
const EnvParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid });
const toSettings = (settings: SignUpSettings) => ({ mode: settings.mode, allowed_domains: [...settings.allowedDomains] });

/** REST routes for an environment's self-service sign-up settings (issue 17). */
export function registerSignUpRoutes(server: FastifyInstance, service: SignUp): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['openid'];
  const path = '/api/v1/organizations/:orgId/projects/:projectId/environments/:environmentId/sign-up';
  const where = (params: { orgId: string; projectId: string; environmentId: string }) => ({ tenantId: params.orgId.toLowerCase(), projectId: params.projectId.toLowerCase(), environmentId: params.environmentId.toLowerCase() });
  app.get(path, {
    config: { permission: 'environments.read' },
    schema: { tags, operationId: 'getSignUpSettings', summary: "Read an environment's self-service sign-up settings", params: EnvParams, response: { 200: Settings, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => toSettings(await service.settings(auditContext(request), where(request.params))),
  });
  app.put(path, {
    config: { permission: 'environments.update' },
    schema: { tags, operationId: 'putSignUpSettings', summary: "Set an environment's self-service sign-up: off, invite-only, or open with email verification", params: EnvParams, body: Body, response: { 200: Settings, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => toSettings(await service.updateSettings(auditContext(request), where(request.params), { mode: request.body.mode, allowedDomains: request.body.allowed_domains ?? [] })),
  });
}
