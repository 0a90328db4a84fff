import type { AppTransactor, Tx } from '../../database.ts';
import { AppError } from '../../platform/http/errors.ts';
import { tenantAdminBindings, type BindingIntegrity } from '../access/index.ts';
import { identityReads } from '../identity/index.ts';

/** A user who owns an organization, with whether the account is disabled (or pending deletion). */
export interface OwnerRow {
  readonly id: string;
  readonly email: string;
  readonly display_name: string;
  readonly disabled_at: Date | null;
}

/**
 * The owners of an organization: the users bound to Tenant Admin over all of it, without
 * conditions or expiry — the bindings the access module refuses to remove when they are the last
 * one. The `owner` membership only marks the creator, cannot be handed over and decides nothing,
 * so it is not what makes an owner. Owners receive the organization's deletion notices, and the
 * last enabled one cannot delete their account (DATA-3).
 */
export async function organizationOwners(tx: Tx, integrity: BindingIntegrity, tenantId: string): Promise<OwnerRow[]> {
  // Through the access module's checked read (issue 13): a Tenant Admin binding inserted by hand
  // neither receives the notices nor lets the last real owner delete their account.
  const ids = [...new Set((await tenantAdminBindings(tx, integrity, tenantId)).map((b) => b.principal_id))];
  if (ids.length === 0) return [];
  return identityReads.accountsOf(tx, ids);
}

/** An organization `userId` owns, with its other owners (enabled or not when read). */
export interface OwnedOrganization {
  readonly tenantId: string;
  readonly otherOwners: readonly string[];
}

/**
 * The organizations, not themselves pending deletion, that `userId` owns. Read before the
 * account's deletion transaction, which then locks the other owners' rows and re-reads them
 * (`soleOwnerRefusal`), so two owners deleting their accounts at once cannot both succeed.
 */
export async function ownedOrganizations(transactor: AppTransactor, integrity: BindingIntegrity, userId: string, memberships: readonly { tenantId: string }[]): Promise<OwnedOrganization[]> {
  const owned: OwnedOrganization[] = [];
  for (const { tenantId } of memberships) {
    const found = await transactor.withTenant(tenantId, async (tx) => {
      const pending = await tx.selectFrom('organization_deletions').select('id').where('tenant_id', '=', tenantId).where('cancelled_at', 'is', null).executeTakeFirst();
      if (pending !== undefined) return undefined;
      const owners = (await organizationOwners(tx, integrity, tenantId)).map((o) => o.id);
      return owners.includes(userId) ? { tenantId, otherOwners: owners.filter((id) => id !== userId) } : undefined;
    });
    if (found !== undefined) owned.push(found);
  }
  return owned;
}

/**
 * The refusal when deleting the account would leave an organization without an owner who can
 * still sign in: `enabled` holds the other owners whose accounts are neither disabled nor pending
 * deletion, read under lock. Names only ids: a platform administrator deleting the account is not
 * a member of these organizations.
 */
export function soleOwnerRefusal(owned: readonly OwnedOrganization[], enabled: ReadonlySet<string>): AppError | undefined {
  const orphaned = owned.filter((o) => !o.otherOwners.some((id) => enabled.has(id))).map((o) => o.tenantId);
  if (orphaned.length === 0) return undefined;
  return new AppError('sole_owner', {
    detail:
      `The account is the only owner (Tenant Admin over the whole organization, enabled) of organization${orphaned.length > 1 ? 's' : ''} ${orphaned.join(', ')}. ` +
      'Grant Tenant Admin to another member first (POST /api/v1/organizations/{orgId}/bindings), or have the organization deleted (DELETE /api/v1/organizations/{orgId}); then delete the account.',
  });
}
