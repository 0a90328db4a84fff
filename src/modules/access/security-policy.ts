import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import { identityReads, tightenMemberSessions } from '../identity/index.ts';
import { tenancy } from '../tenants/index.ts';
import { sessionsWithRefreshFamily } from '../tokens/index.ts';
import type { AccessControl } from './access-control.ts';
import { getSecurityPolicy, putSecurityPolicy } from './access-store.ts';
import { compilePolicy, DEFAULT_POLICY, policyProblems, type OrgSecurityPolicy } from './org-policy.ts';
import type { Principal } from './principal.ts';

export interface StoredPolicy extends OrgSecurityPolicy {
  readonly updatedAt: Date | null;
  readonly updatedBy: string | null;
}

export interface SecurityPolicyService {
  get(tenantId: string): Promise<StoredPolicy>;
  /**
   * Replaces the organization's policy. Refuses (`policy_would_lock_you_out`) a policy the caller's
   * own request would fail — an allowlist without their address, MFA required of a session without
   * an accepted second factor — so no administrator can shut everyone out by mistake.
   */
  put(ctx: AuditContext & { readonly principal: Principal }, tenantId: string, policy: OrgSecurityPolicy): Promise<StoredPolicy>;
}

export function createSecurityPolicyService(deps: { transactor: AppTransactor; clock: Clock; audit: AuditRecorder; access: Pick<AccessControl, 'changed'> }): SecurityPolicyService {
  const { transactor, clock, audit, access } = deps;

  const get = async (tenantId: string): Promise<StoredPolicy> => {
    const stored = await transactor.withTenant(tenantId, (tx) => getSecurityPolicy(tx, tenantId));
    return stored ?? { ...DEFAULT_POLICY, updatedAt: null, updatedBy: null };
  };

  return {
    get,
    put: async (ctx, tenantId, policy) => {
      const problems = policyProblems(policy);
      if (problems.length > 0) throw new AppError('invalid_request', { detail: problems.join('; '), errors: problems.map((detail) => ({ pointer: `/${detail.split(':')[0] ?? ''}`, detail })) });
      const now = clock.now();
      const failure = compilePolicy(policy, tenantId)?.check(ctx.principal, { ip: ctx.source.ip ?? '', mfa: false, now });
      if (failure !== undefined) {
        throw new AppError('policy_would_lock_you_out', { detail: `Your own request would be refused under this policy (${failure}); fix that first, then apply it.` });
      }
      const ipAllowlist = [...new Set(policy.ipAllowlist)];
      const normalized: OrgSecurityPolicy = { ...policy, ipAllowlist, allowedMfaMethods: [...new Set(policy.allowedMfaMethods)].sort() };
      await transactor.withTenant(tenantId, async (tx) => {
        const before = await getSecurityPolicy(tx, tenantId);
        await putSecurityPolicy(tx, tenantId, normalized, ctx.userId === '' ? null : ctx.userId, now);
        // Live sessions of members shrink to the new timeouts now, not at their next sign-in.
        // Each owner answers for its own tables: tenancy the members, identity their live
        // sessions, tokens which of those are API clients' (they keep a minimum idle limit).
        const members = await tenancy.memberUserIds(tx, tenantId);
        const apiClientSessions = await sessionsWithRefreshFamily(tx, await identityReads.liveSessionIdsOf(tx, members));
        const tightened = await tightenMemberSessions(tx, members, normalized.sessionIdleMinutes === null ? null : normalized.sessionIdleMinutes * 60, normalized.sessionAbsoluteHours, apiClientSessions);
        await access.changed(tx, tenantId);
        await audit.record(tx, tenantId, {
          action: 'security_policy.updated',
          actor: ctx.actor,
          outcome: 'success',
          source: ctx.source,
          targets: [{ type: 'organization', id: tenantId }],
          metadata: { ...summary(normalized), changed: changedFields(before ?? DEFAULT_POLICY, normalized).join(','), sessions_tightened: tightened },
        });
      });
      return { ...normalized, updatedAt: now, updatedBy: ctx.userId === '' ? null : ctx.userId };
    },
  };
}

/** The policy as flat audit metadata (lists comma-joined; the allowlist cut to fit). */
function summary(policy: OrgSecurityPolicy): Record<string, string | number | boolean | null> {
  return {
    mfa_required: policy.mfaRequired,
    allowed_mfa_methods: policy.allowedMfaMethods.join(','),
    session_idle_minutes: policy.sessionIdleMinutes,
    session_absolute_hours: policy.sessionAbsoluteHours,
    ip_allowlist: policy.ipAllowlist.join(',').slice(0, 1000),
  };
}

function changedFields(before: OrgSecurityPolicy, after: OrgSecurityPolicy): string[] {
  const a = summary(before);
  const b = summary(after);
  return Object.keys(b).filter((key) => a[key] !== b[key]);
}
