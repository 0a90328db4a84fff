import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Caller } from '../access/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { LocalSignInGuard } from '../identity/index.ts';
import { domainVerified, type SsoIntegrity } from './sso-integrity.ts';

export interface SsoPolicy {
  readonly requireSso: boolean;
  readonly breakGlassUserIds: readonly string[];
}

/**
 * Enforced SSO (issue 18 part 3). An organization that requires SSO refuses password and passkey
 * sign-ins (browser and API client alike) for every address of its verified domains, except its
 * named break-glass accounts, whose local sign-ins are recorded as `sso.break_glass_sign_in` in
 * the organization's log. Unverified domains never enforce anything.
 */
export function createEnforcement(deps: { transactor: AppTransactor; clock: Clock; audit: Pick<AuditRecorder, 'record'>; integrity: SsoIntegrity }) {
  const { transactor, clock, audit, integrity } = deps;

  const guard: LocalSignInGuard = async (user, method, source) => {
    // Issue 13, property 4: the function answers only about the verified actor (the user whose
    // password or passkey was just accepted) and the domain of that user's own address (0084).
    const rows = await transactor.withActor(user.id, async (tx) =>
      (await sql<{ tenant_id: string; break_glass: boolean; domain_id: string; domain: string; verified_at: Date | null; integrity_mac: Buffer | null }>`select tenant_id, break_glass, domain_id, domain, verified_at, integrity_mac from parapet_sso_enforcement()`.execute(tx)).rows,
    );
    // Issue 13: only a verification the application made (its MAC) lets an organization enforce SSO on an address.
    for (const row of rows.filter((r) => domainVerified(integrity, { tenant_id: r.tenant_id, id: r.domain_id, domain: r.domain, verified_at: r.verified_at, integrity_mac: r.integrity_mac }))) {
      const actor = { type: 'user', id: user.id, display_name: user.display_name } as const;
      await transactor.withTenant(row.tenant_id, (tx) =>
        audit.record(tx, row.tenant_id, {
          action: row.break_glass ? 'sso.break_glass_sign_in' : 'sso.local_sign_in_refused',
          actor,
          outcome: row.break_glass ? 'success' : 'failure',
          source,
          targets: [{ type: 'user', id: user.id }],
          metadata: { method },
        }),
      );
      if (!row.break_glass) throw new AppError('sso_required');
    }
  };

  return {
    guard,
    get: async (tenantId: string): Promise<SsoPolicy> => {
      const row = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('sso_policies').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst());
      return { requireSso: row?.require_sso ?? false, breakGlassUserIds: row?.break_glass_user_ids ?? [] };
    },
    /** Sets the policy; turning enforcement on needs at least one break-glass account (a way back in if the IdP fails). */
    set: async (by: Caller, tenantId: string, policy: SsoPolicy): Promise<SsoPolicy> => {
      if (policy.requireSso && policy.breakGlassUserIds.length === 0) throw new AppError('invalid_request', { errors: [{ pointer: '/break_glass_user_ids', detail: 'name at least one break-glass account before requiring SSO' }] });
      const now = clock.now();
      const ids = [...new Set(policy.breakGlassUserIds.map((id) => id.toLowerCase()))];
      await transactor.withTenant(tenantId, async (tx) => {
        await tx
          .insertInto('sso_policies')
          .values({ tenant_id: tenantId, require_sso: policy.requireSso, break_glass_user_ids: ids, updated_by: by.principal.kind === 'user' ? by.principal.userId : null, updated_at: now })
          .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ require_sso: policy.requireSso, break_glass_user_ids: ids, updated_by: by.principal.kind === 'user' ? by.principal.userId : null, updated_at: now }))
          .execute();
        await audit.record(tx, tenantId, { action: 'sso.policy_changed', actor: by.actor, outcome: 'success', source: by.source, metadata: { require_sso: policy.requireSso, break_glass_accounts: ids.length } });
      });
      return { requireSso: policy.requireSso, breakGlassUserIds: ids };
    },
  };
}

export type Enforcement = ReturnType<typeof createEnforcement>;
