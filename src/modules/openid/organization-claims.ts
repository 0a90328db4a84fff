import type { AccessSnapshot } from '../access/index.ts';
import type { ApplicationRow } from './applications-service.ts';

/** The scope whose claims carry the user's membership and roles in the application's organization. */
export const ORGANIZATION_SCOPE = 'organization';

/** The claims of scope `organization` (docs/openid-provider.md). */
export interface OrganizationClaims {
  /** The application's organization: never one the request names. */
  readonly org_id: string;
  /** The user's roles there that apply to the application's environment (built-in key or custom role id). */
  readonly org_roles: readonly string[];
}

/**
 * The user's membership and roles in the organization that registered `app` — and only that one:
 * the organization comes from the application row (its `tenant_id`), never from the request, so an
 * application of organization A has no way to name organization B. Undefined when the user is not a
 * member there. A role counts when its binding is unexpired and scoped to the whole organization,
 * the application's project, or the application's environment.
 */
export function organizationClaims(snapshot: AccessSnapshot | undefined, app: Pick<ApplicationRow, 'tenant_id' | 'project_id' | 'environment_id'>, userId: string, now: Date): OrganizationClaims | undefined {
  // The snapshot must be the application's organization's (defence in depth: a caller mix-up).
  if (snapshot?.tenantId !== app.tenant_id || !snapshot.members.has(userId)) return undefined;
  const roles = new Set<string>();
  for (const binding of snapshot.bindings.get(userId) ?? []) {
    if (binding.expiresAt !== undefined && binding.expiresAt <= now.getTime()) continue;
    if (binding.projectId !== undefined && binding.projectId !== app.project_id) continue;
    if (binding.environmentId !== undefined && binding.environmentId !== app.environment_id) continue;
    roles.add(binding.role);
  }
  return { org_id: app.tenant_id, org_roles: [...roles].sort() };
}
