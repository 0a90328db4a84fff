import type { CompiledConditions, ConditionFailure } from './conditions.ts';
import type { CompiledPolicy, PolicyFailure } from './org-policy.ts';
import type { Permission } from './permissions.ts';
import type { KeyOwner, Principal, RequestFacts, Resource } from './principal.ts';

/** A role binding ready for evaluation: the role resolved to its permission set, conditions compiled. */
export interface CompiledBinding {
  readonly id: string;
  /** Built-in role key or custom role id, for explanations. */
  readonly role: string;
  readonly permissions: ReadonlySet<Permission>;
  /** Scope: both undefined = the whole organization. */
  readonly projectId: string | undefined;
  readonly environmentId: string | undefined;
  readonly conditions: CompiledConditions | undefined;
  /** Epoch milliseconds; the binding grants nothing from this instant on. */
  readonly expiresAt: number | undefined;
  /** The just-in-time access request that produced the binding, so each use is attributable (AC-4). */
  readonly grantId: string | undefined;
}

/**
 * Everything needed to decide within one organization, held in memory on every node and replaced
 * whenever bindings, roles or the hierarchy change (AC-1).
 */
export interface AccessSnapshot {
  readonly tenantId: string;
  /** Environment id → its project id, so an environment-level request is judged by its real project. */
  readonly environmentProjects: ReadonlyMap<string, string>;
  /** Users who belong to the organization (members see 403 for what they lack; others see 404). */
  readonly members: ReadonlySet<string>;
  /** Principal id (user or service account) → its bindings. */
  readonly bindings: ReadonlyMap<string, readonly CompiledBinding[]>;
  /** The organization's security policy; undefined when it asks for nothing. */
  readonly policy: CompiledPolicy | undefined;
}

/** Why a request was refused; each is a stable problem code. */
export type DenyReason = 'not_member' | 'forbidden' | ConditionFailure | PolicyFailure;

export type Decision =
  | { readonly allowed: true; readonly binding: CompiledBinding | undefined }
  | { readonly allowed: false; readonly reason: DenyReason; /** True when the organization's security policy refused. */ readonly byPolicy?: true };

const ALLOW_DIRECT: Decision = { allowed: true, binding: undefined };
const NOT_MEMBER: Decision = { allowed: false, reason: 'not_member' };
const FORBIDDEN: Decision = { allowed: false, reason: 'forbidden' };

/**
 * Whether a binding (or key) scoped at `projectId`/`environmentId` covers `resource`. A binding
 * applies at its scope and below; the resource's project is read from the snapshot, not trusted from
 * the path, so `/projects/P1/environments/<env of P2>` is judged as P2.
 */
function covers(snapshot: AccessSnapshot, projectId: string | undefined, environmentId: string | undefined, resource: Resource): boolean {
  if (projectId === undefined) return true;
  const resourceProject = resource.environmentId === undefined ? resource.projectId : snapshot.environmentProjects.get(resource.environmentId);
  if (resource.environmentId !== undefined && resource.projectId !== undefined && resourceProject !== resource.projectId) return false;
  if (resourceProject !== projectId) return false;
  return environmentId === undefined || environmentId === resource.environmentId;
}

/**
 * `can(principal, permission, resource)`: pure and in-process (AC-1, AC-3). A binding grants when
 * it holds the permission, covers the resource, has not expired and its conditions hold. When the
 * only bindings that would grant fail a condition, the first failed requirement is the reason.
 * The organization's security policy is checked first for anyone with standing in it (outsiders
 * still get `not_member`, so the policy reveals nothing about an organization they cannot see).
 */
export function decide(snapshot: AccessSnapshot, principal: Principal, permission: Permission, resource: Resource, facts: RequestFacts): Decision {
  const decision = decideByBindings(snapshot, principal, permission, resource, facts);
  if (decision === NOT_MEMBER || snapshot.policy === undefined) return decision;
  const failed = snapshot.policy.check(principal, facts);
  return failed === undefined ? decision : { allowed: false, reason: failed, byPolicy: true };
}

function decideByBindings(snapshot: AccessSnapshot, principal: Principal, permission: Permission, resource: Resource, facts: RequestFacts): Decision {
  if (resource.tenantId !== snapshot.tenantId) return NOT_MEMBER;
  if (principal.kind === 'api_key') {
    if (principal.tenantId !== resource.tenantId) return NOT_MEMBER;
    if (!covers(snapshot, principal.projectId, principal.environmentId, resource)) return FORBIDDEN;
    if (!principal.permissions.has(permission)) return FORBIDDEN;
    // A key acts with the intersection of its own permissions and its owner's current ones: once
    // the owner loses a permission (or leaves), the key loses it too. The owner's MFA condition
    // was checked when the key was made; network and time conditions hold for every use.
    const owned = grantingBinding(snapshot, principal.owner.id, permission, resource, { ...facts, mfa: true });
    return owned.allowed ? ALLOW_DIRECT : owned;
  }
  let id: string;
  if (principal.kind === 'service_account') {
    if (principal.tenantId !== resource.tenantId) return NOT_MEMBER;
    if (principal.scope !== undefined && !principal.scope.has(permission)) return FORBIDDEN;
    id = principal.serviceAccountId;
  } else {
    id = principal.userId;
  }
  const bindings = snapshot.bindings.get(id);
  if (bindings === undefined) return principal.kind === 'user' && !snapshot.members.has(id) ? NOT_MEMBER : FORBIDDEN;
  const decision = grantingBinding(snapshot, id, permission, resource, facts);
  if (decision.allowed || decision.reason !== 'forbidden') return decision;
  // Someone whose only bindings have all expired is no longer let in at all, unless a member.
  const now = facts.now.getTime();
  if (principal.kind === 'user' && !snapshot.members.has(id) && bindings.every((b) => b.expiresAt !== undefined && now >= b.expiresAt)) return NOT_MEMBER;
  return FORBIDDEN;
}

/**
 * The first binding of `principalId` that grants `permission` at `resource` now, or why none does:
 * the first failed condition of a binding that would otherwise grant, else `forbidden`.
 */
function grantingBinding(snapshot: AccessSnapshot, principalId: string, permission: Permission, resource: Resource, facts: RequestFacts): Decision {
  const now = facts.now.getTime();
  let failure: ConditionFailure | undefined;
  for (const binding of snapshot.bindings.get(principalId) ?? []) {
    if (!binding.permissions.has(permission)) continue;
    if (binding.expiresAt !== undefined && now >= binding.expiresAt) continue;
    if (!covers(snapshot, binding.projectId, binding.environmentId, resource)) continue;
    if (binding.conditions !== undefined) {
      const failed = binding.conditions.check(facts);
      if (failed !== undefined) {
        failure ??= failed;
        continue;
      }
    }
    return { allowed: true, binding };
  }
  return failure === undefined ? FORBIDDEN : { allowed: false, reason: failure };
}

/**
 * The permissions of `permissions` that `owner` holds at `resource` at `now` through unexpired
 * bindings, conditions aside: what a key it made can still use (issue 14 part 3, the access review).
 */
export function heldByOwner(snapshot: AccessSnapshot, owner: KeyOwner, permissions: Iterable<Permission>, resource: Resource, now: Date): Permission[] {
  const held: Permission[] = [];
  for (const permission of permissions) {
    const granted = (snapshot.bindings.get(owner.id) ?? []).some(
      (binding) => binding.permissions.has(permission) && (binding.expiresAt === undefined || now.getTime() < binding.expiresAt) && covers(snapshot, binding.projectId, binding.environmentId, resource),
    );
    if (granted) held.push(permission);
  }
  return held;
}
