import type { Tx } from '../../database.ts';
import { compileSnapshot, credentialAgeFlags, heldByOwner, isPermission, snapshotSource, type AccessState, type ReviewContributor, type ReviewFlag, type ReviewPrincipal } from '../access/index.ts';
import { keyOwner } from './key-verifier.ts';

const DAY = 86_400_000;

/**
 * API keys in the access review (AC-5, AUTH-7): each live key with its permission set and binding,
 * creator, last use, and flags for age (older than 90 days, or nearing it) and for going unused.
 * Revoked keys and keys past their expiry or rotation overlap grant nothing and are left out.
 * A key whose owner (its creator, or the creator's owner for a key made by a key) holds none of
 * its permissions at its scope any more is suspended: flagged `creator_lost_access`.
 * The review lists the table as stored: a row written by hand (no valid MAC, issue 13) grants
 * nothing, but is shown here so an administrator sees it (`parapet doctor` counts them).
 */
export const apiKeysReview: ReviewContributor = async (tx: Tx, tenantId: string, now: Date, state: AccessState): Promise<ReviewPrincipal[]> => {
  const rows = await tx
    .selectFrom('api_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
    .execute();
  const snapshot = rows.length === 0 ? undefined : compileSnapshot(snapshotSource(tenantId, state, now));
  const owners = await Promise.all(rows.map((key) => keyOwner(tx, 'as-stored', key)));
  return rows.map((key, i) => {
    const flags: ReviewFlag[] = credentialAgeFlags(key.created_at, now);
    const chain = owners[i];
    const scope = { tenantId, projectId: key.project_id ?? undefined, environmentId: key.environment_id ?? undefined };
    if (chain === undefined || snapshot === undefined || heldByOwner(snapshot, chain.owner, key.permissions.filter(isPermission), scope, now).length === 0) flags.push('creator_lost_access');
    const unusedSince = key.last_used_at ?? key.created_at;
    if (now.getTime() - unusedSince.getTime() >= 90 * DAY) flags.push('stale_grant');
    if (key.last_used_at === null) flags.push('never_used');
    if (key.expires_at.getTime() - now.getTime() < 7 * DAY) flags.push('expires_soon');
    return {
      type: 'api_key',
      id: key.id,
      name: `${key.name} (${key.mode}, created by ${key.created_by_type} ${key.created_by})`,
      last_used_at: key.last_used_at?.toISOString() ?? null,
      grants: [
        {
          source: 'api_key',
          id: key.id,
          role: key.role,
          scope: { project_id: key.project_id, environment_id: key.environment_id },
          permissions: key.permissions,
          conditions: null,
          created_at: key.created_at.toISOString(),
          expires_at: (key.retires_at !== null && key.retires_at < key.expires_at ? key.retires_at : key.expires_at).toISOString(),
          grant_id: null,
          last_used_at: key.last_used_at?.toISOString() ?? null,
          flags,
        },
      ],
      flags,
    };
  });
};
