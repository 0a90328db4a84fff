import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { Email, errorResponses, Name, NoContent, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { callerOf, type Principal } from '../access/index.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import { PASSWORD_MAX_LENGTH, requireRecentAuthentication } from '../identity/index.ts';
import { requestSource, requireUser } from '../../platform/http/request-context.ts';
import type { AccountsService } from './accounts-service.ts';
import { invitationStatus, type InvitationRow, type InvitationsService } from './invitations-service.ts';
import type { FastifyRequest } from 'fastify';

const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH * 4 });
const LinkToken = Type.String({ minLength: 1, maxLength: 200 });
const Accepted = Strict({ message: Type.String() });

const Invitation = Strict({
  id: Uuid,
  email: Type.String(),
  role: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('revoked'), Type.Literal('expired')]),
  invited_by: Nullable(Uuid),
  created_at: Timestamp,
  expires_at: Timestamp,
  accepted_at: Nullable(Timestamp),
});

/** The one answer to a reset request, whether or not the address has an account (ASVS 6.3.8). */
export const RESET_REQUESTED = 'If an account uses this address, a link to reset its password is on its way. It works once, for 30 minutes.';

/** Email verification, password reset, email change and invitations (docs/identity.md, "Accounts"). */
export function registerAccountsRoutes(
  server: FastifyInstance,
  deps: {
    accounts: AccountsService;
    invitations: InvitationsService;
    actorOf: (principal: Principal) => AuditActor;
    sourceOf: (request: FastifyRequest) => AuditSource;
    now: () => Date;
    /** Whether the user has a second factor: then changing the password needs a recent sign-in (step-up). */
    requiresMfa: (userId: string) => Promise<boolean>;
  },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { accounts, invitations } = deps;
  const toInvitation = (row: InvitationRow) => ({
    id: row.id,
    email: row.email,
    role: row.role,
    status: invitationStatus(row, deps.now()),
    invited_by: row.invited_by,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    accepted_at: row.accepted_at?.toISOString() ?? null,
  });

  app.post('/api/v1/auth/password/reset/request', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags: ['accounts'], summary: 'Mail a password-reset link (the same answer whether or not the address has an account)', body: Strict({ email: Email }), response: { 202: Accepted, ...errorResponses(400, 429) } },
    handler: async (request, reply) => {
      const { email } = request.body;
      await accounts.requestPasswordReset({ email, source: requestSource(request) });
      return reply.status(202).send({ message: RESET_REQUESTED });
    },
  });

  app.post('/api/v1/auth/password/reset', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags: ['accounts'], summary: 'Set a new password with a reset link; ends every session and signs nobody in', body: Strict({ token: LinkToken, password: Password }), response: { 204: NoContent, ...errorResponses(400, 429) } },
    handler: async (request, reply) => {
      const body = request.body;
      await accounts.resetPassword({ token: body.token, password: body.password, source: requestSource(request) });
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/auth/password/change', {
    config: { permission: 'self', rateLimit: 'auth' },
    schema: {
      tags: ['accounts'],
      summary: 'Change your password with the current one (and, with a second factor, a recent sign-in); ends your other sessions and their refresh tokens',
      body: Strict({ current_password: Password, new_password: Password }),
      response: { 204: NoContent, ...errorResponses(400, 401, 403, 409, 429) },
    },
    handler: async (request, reply) => {
      const principal = requireUser(request);
      // ASVS 6.2.3 / 7.5.x: with a second factor, the password alone does not authorize this; a
      // session older than the step-up window is refused before the current password is even tried.
      if (await deps.requiresMfa(principal.userId)) requireRecentAuthentication(request);
      const body = request.body;
      await accounts.changePassword(principal, { currentPassword: body.current_password, newPassword: body.new_password, source: requestSource(request) });
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/auth/email/verify/request', {
    config: { permission: 'self', rateLimit: 'auth' },
    schema: { tags: ['accounts'], summary: 'Mail a verification link to your address', response: { 202: Accepted, ...errorResponses(401, 403, 429) } },
    handler: async (request, reply) => {
      await accounts.requestEmailVerification(requireUser(request));
      return reply.status(202).send({ message: 'Unless your address is already verified, a verification link is on its way.' });
    },
  });

  app.post('/api/v1/auth/email/verify', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags: ['accounts'], summary: 'Confirm your address with a verification link', body: Strict({ token: LinkToken }), response: { 204: NoContent, ...errorResponses(400, 429) } },
    handler: async (request, reply) => {
      await accounts.verifyEmail({ token: request.body.token, source: requestSource(request) });
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/auth/email/change', {
    config: { permission: 'self', rateLimit: 'auth' },
    schema: {
      tags: ['accounts'],
      summary: 'Change your address: needs your current password; the new address confirms, the old one is told',
      body: Strict({ new_email: Email, password: Password }),
      response: { 202: Accepted, ...errorResponses(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const body = request.body;
      await accounts.requestEmailChange(requireUser(request), { newEmail: body.new_email, password: body.password, source: requestSource(request) });
      return reply.status(202).send({ message: 'A confirmation link is on its way to the new address; the change happens when it is used.' });
    },
  });

  app.post('/api/v1/auth/email/change/confirm', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags: ['accounts'], summary: 'Apply an email change with the link sent to the new address', body: Strict({ token: LinkToken }), response: { 204: NoContent, ...errorResponses(400, 409, 429) } },
    handler: async (request, reply) => {
      await accounts.confirmEmailChange({ token: request.body.token, source: requestSource(request) });
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/auth/email/change/report', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags: ['accounts'], summary: 'Report an email change you did not make: cancels it and ends every session', body: Strict({ token: LinkToken }), response: { 204: NoContent, ...errorResponses(400, 429) } },
    handler: async (request, reply) => {
      await accounts.reportEmailChange({ token: request.body.token, source: requestSource(request) });
      return reply.status(204).send();
    },
  });

  const OrgParams = Strict({ orgId: Uuid });
  app.post('/api/v1/organizations/:orgId/invitations', {
    config: { permission: 'members.manage' },
    schema: {
      tags: ['accounts'],
      summary: 'Invite someone by email with a role you hold (a single-use link, valid 7 days by default)',
      params: OrgParams,
      body: Strict({ email: Email, role: Type.String({ minLength: 1, maxLength: 64, description: 'A built-in role key or a custom role id' }) }),
      response: { 201: Invitation, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const body = request.body;
      const row = await invitations.create(callerOf(request, deps.actorOf, deps.sourceOf), orgId.toLowerCase(), body);
      return reply.status(201).send(toInvitation(row));
    },
  });

  app.get('/api/v1/organizations/:orgId/invitations', {
    config: { permission: 'members.read' },
    schema: { tags: ['accounts'], summary: 'List invitations and their status', params: OrgParams, querystring: PageQuery, response: { 200: Page(Invitation), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      const limit = query.limit;
      const rows = await invitations.list(orgId.toLowerCase(), { after: decodeCursor(query.cursor), limit });
      return toPage(rows, limit, toInvitation);
    },
  });

  app.delete('/api/v1/organizations/:orgId/invitations/:invitationId', {
    config: { permission: 'members.manage' },
    schema: { tags: ['accounts'], summary: 'Revoke a pending invitation', params: Strict({ orgId: Uuid, invitationId: Uuid }), response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId, invitationId } = request.params;
      await invitations.revoke(callerOf(request, deps.actorOf, deps.sourceOf), orgId.toLowerCase(), invitationId.toLowerCase());
      return reply.status(204).send();
    },
  });

  app.post('/api/v1/invitations/accept', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['accounts'],
      summary: 'Accept an invitation: signed in as the invited address, or creating an account with a display name and password',
      body: Strict({ token: LinkToken, display_name: Type.Optional(Name), password: Type.Optional(Password) }),
      response: { 200: Strict({ organization_id: Uuid }), ...errorResponses(400, 401, 403, 429) },
    },
    handler: async (request) => {
      const body = request.body;
      const principal = request.principal?.kind === 'user' ? request.principal : undefined;
      const result = await invitations.accept({ token: body.token, principal, displayName: body.display_name, password: body.password, source: requestSource(request) });
      return { organization_id: result.organizationId };
    },
  });
}
