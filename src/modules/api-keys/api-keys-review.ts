import type { Tx } from '../../database.ts';
import { credentialAgeFlags, type ReviewContributor, type ReviewFlag, type ReviewPrincipal } from '../access/index.ts';

const DAY = 86_400_000;

/**
 * API keys in the access review (AC-5, AUTH-7): each live key with its permission set and binding,
 * creator, last use, and flags for age (older than 90 days, or nearing it) and for going unused.
 * Revoked keys and keys past their expiry or rotation overlap grant nothing and are left out.
 */
export const apiKeysReview: ReviewContributor = async (tx: Tx, tenantId: string, now: Date): Promise<ReviewPrincipal[]> => {
  const rows = await tx
    .selectFrom('api_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
    .execute();
  return rows.map((key) => {
    const flags: ReviewFlag[] = credentialAgeFlags(key.created_at, now);
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
