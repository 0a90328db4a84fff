import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { errorResponses, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { AccessControl } from './access-control.ts';
import { callerOf } from './access-hook.ts';
import { MFA_METHODS, POLICY_BOUNDS } from './org-policy.ts';
import type { Principal } from './principal.ts';
import type { SecurityPolicyService, StoredPolicy } from './security-policy.ts';

const Cidr = Type.String({ minLength: 2, maxLength: 49, pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$', examples: ['203.0.113.0/24'] });
const PolicyFields = {
  mfa_required: Type.Boolean({ description: 'Members (and operators on a grant) must have signed in with an allowed second factor.' }),
  allowed_mfa_methods: Type.Array(Type.Union(MFA_METHODS.map((method) => Type.Literal(method))), { minItems: 1, maxItems: MFA_METHODS.length, uniqueItems: true }),
  session_idle_minutes: Nullable(Type.Integer({ minimum: POLICY_BOUNDS.idleMinutes.min, maximum: POLICY_BOUNDS.idleMinutes.max, description: 'Null: the platform default.' })),
  session_absolute_hours: Nullable(Type.Integer({ minimum: POLICY_BOUNDS.absoluteHours.min, maximum: POLICY_BOUNDS.absoluteHours.max, description: 'Null: the platform default.' })),
  ip_allowlist: Type.Array(Cidr, { maxItems: POLICY_BOUNDS.allowlistEntries, description: 'CIDR ranges (IPv4 or IPv6); empty: any address.' }),
};
const AcceptIdpMfa = Type.Boolean({ description: "Accept the multi-factor authentication of the organization's own SSO identity provider (its amr or AuthnContextClassRef) for mfa_required; default false. See docs/sso.md." });
const PolicyBody = Strict({ ...PolicyFields, accept_idp_mfa: Type.Optional(AcceptIdpMfa) });
const Policy = Strict({ organization_id: Uuid, ...PolicyFields, accept_idp_mfa: AcceptIdpMfa, updated_at: Nullable(Timestamp), updated_by: Nullable(Uuid) });
const OrgParams = Strict({ orgId: Uuid });
const MemberParams = Strict({ orgId: Uuid, userId: Uuid });

function toPolicy(tenantId: string, policy: StoredPolicy): Static<typeof Policy> {
  return {
    organization_id: tenantId,
    mfa_required: policy.mfaRequired,
    allowed_mfa_methods: [...policy.allowedMfaMethods],
    session_idle_minutes: policy.sessionIdleMinutes,
    session_absolute_hours: policy.sessionAbsoluteHours,
    ip_allowlist: [...policy.ipAllowlist],
    accept_idp_mfa: policy.acceptIdpMfa === true,
    updated_at: policy.updatedAt?.toISOString() ?? null,
    updated_by: policy.updatedBy,
  };
}

export interface SecurityPolicyRouteDeps {
  readonly service: SecurityPolicyService;
  readonly access: Pick<AccessControl, 'snapshot'>;
  /** Ends every session of a user on every node; returns how many ended. */
  readonly revokeUserSessions: (userId: string, reason: string, by: { actor: AuditActor; source: AuditSource }) => Promise<number>;
  /** Refuses unless the caller holds every permission the member holds here (what ending their sessions takes away). */
  readonly assertMayRemoveMember: (caller: ReturnType<typeof callerOf>, tenantId: string, userId: string) => Promise<void>;
  /** Step-up (sensitive actions need a recent sign-in); throws when the session is too old. */
  readonly requireRecentAuthentication: (request: FastifyRequest) => void;
  readonly actorOf: (principal: Principal) => AuditActor;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
}

/** The organization security policy (AUTH-9) and an administrator's session revocation (ASVS 7.4.2). */
export function registerSecurityPolicyRoutes(server: FastifyInstance, deps: SecurityPolicyRouteDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['security policy'];
  app.get('/api/v1/organizations/:orgId/security-policy', {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'The organization\u2019s security policy (MFA, session timeouts, network allowlist)', params: OrgParams, response: { 200: Policy, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const tenantId = orgId.toLowerCase();
      return toPolicy(tenantId, await deps.service.get(tenantId));
    },
  });

  app.put('/api/v1/organizations/:orgId/security-policy', {
    config: { permission: 'settings.manage' },
    schema: {
      tags,
      summary: 'Replace the security policy; refused when it would refuse your own session',
      params: OrgParams,
      body: PolicyBody,
      response: { 200: Policy, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      deps.requireRecentAuthentication(request);
      const { orgId } = request.params;
      const body = request.body;
      const tenantId = orgId.toLowerCase();
      const stored = await deps.service.put(callerOf(request, deps.actorOf, deps.sourceOf), tenantId, {
        mfaRequired: body.mfa_required,
        allowedMfaMethods: body.allowed_mfa_methods,
        sessionIdleMinutes: body.session_idle_minutes,
        sessionAbsoluteHours: body.session_absolute_hours,
        ipAllowlist: body.ip_allowlist,
        acceptIdpMfa: body.accept_idp_mfa ?? false,
      });
      return toPolicy(tenantId, stored);
    },
  });

  app.delete('/api/v1/organizations/:orgId/members/:userId/sessions', {
    config: { permission: 'members.manage' },
    schema: {
      tags,
      summary: 'End every session of a member, on every node (their sessions for other organizations too)',
      params: MemberParams,
      response: { 200: Strict({ revoked: Type.Integer({ minimum: 0 }) }), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { orgId, userId } = request.params;
      const snapshot = await deps.access.snapshot(orgId.toLowerCase());
      // Only members: anyone else's id answers as if it did not exist.
      if (snapshot === undefined || !snapshot.members.has(userId.toLowerCase())) throw new AppError('not_found');
      const caller = callerOf(request, deps.actorOf, deps.sourceOf);
      // Another member's sessions end only at the hands of someone holding all they hold here.
      await deps.assertMayRemoveMember(caller, orgId.toLowerCase(), userId.toLowerCase());
      return { revoked: await deps.revokeUserSessions(userId.toLowerCase(), 'revoked_by_admin', caller) };
    },
  });
}
