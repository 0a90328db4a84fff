import { compileConditions, type Conditions } from './conditions.ts';
import type { AccessSnapshot, CompiledBinding } from './evaluator.ts';
import { compilePolicy, type MfaMethod, type OrgSecurityPolicy } from './org-policy.ts';
import { isPermission, type Permission } from './permissions.ts';

/** Wire format of an organization's bindings snapshot, served to SDKs for local evaluation. */
export const SNAPSHOT_FORMAT = 'parapet-authz-snapshot/1';

export interface SerializedSnapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly organization_id: string;
  readonly generated_at: string;
  readonly members: readonly string[];
  /** Environment id → project id. */
  readonly environments: Readonly<Record<string, string>>;
  readonly bindings: readonly {
    readonly id: string;
    readonly principal_id: string;
    readonly role: string;
    readonly permissions: readonly string[];
    readonly project_id: string | null;
    readonly environment_id: string | null;
    readonly conditions: Conditions | null;
    readonly expires_at: string | null;
    readonly grant_id: string | null;
  }[];
  /** The organization's security policy (AUTH-9); null or absent: the defaults. */
  readonly policy?: SerializedPolicy | null;
}

export interface SerializedPolicy {
  readonly mfa_required: boolean;
  readonly allowed_mfa_methods: readonly MfaMethod[];
  readonly session_idle_minutes: number | null;
  readonly session_absolute_hours: number | null;
  readonly ip_allowlist: readonly string[];
  /** Absent in snapshots made before issue 18: false. */
  readonly accept_idp_mfa?: boolean;
}

export function serializePolicy(policy: OrgSecurityPolicy): SerializedPolicy {
  return {
    mfa_required: policy.mfaRequired,
    allowed_mfa_methods: [...policy.allowedMfaMethods],
    session_idle_minutes: policy.sessionIdleMinutes,
    session_absolute_hours: policy.sessionAbsoluteHours,
    ip_allowlist: [...policy.ipAllowlist],
    accept_idp_mfa: policy.acceptIdpMfa === true,
  };
}

export function parsePolicy(wire: SerializedPolicy): OrgSecurityPolicy {
  return {
    mfaRequired: wire.mfa_required,
    allowedMfaMethods: wire.allowed_mfa_methods,
    sessionIdleMinutes: wire.session_idle_minutes,
    sessionAbsoluteHours: wire.session_absolute_hours,
    ipAllowlist: wire.ip_allowlist,
    acceptIdpMfa: wire.accept_idp_mfa === true,
  };
}

/** The rows a snapshot is made of, with each binding's role already resolved to its permissions. */
export interface SnapshotSource {
  readonly tenantId: string;
  readonly generatedAt: Date;
  readonly members: readonly string[];
  readonly environments: readonly { id: string; project_id: string }[];
  readonly bindings: readonly {
    id: string;
    principal_id: string;
    role: string;
    permissions: readonly string[];
    project_id: string | null;
    environment_id: string | null;
    conditions: Conditions | null;
    expires_at: Date | null;
    grant_id: string | null;
  }[];
  readonly policy: OrgSecurityPolicy | undefined;
}

export function serializeSnapshot(source: SnapshotSource): SerializedSnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    organization_id: source.tenantId,
    generated_at: source.generatedAt.toISOString(),
    members: [...source.members],
    environments: Object.fromEntries(source.environments.map((env) => [env.id, env.project_id])),
    bindings: source.bindings.map((b) => ({
      id: b.id,
      principal_id: b.principal_id,
      role: b.role,
      permissions: [...b.permissions],
      project_id: b.project_id,
      environment_id: b.environment_id,
      conditions: b.conditions,
      expires_at: b.expires_at?.toISOString() ?? null,
      grant_id: b.grant_id,
    })),
    policy: source.policy === undefined ? null : serializePolicy(source.policy),
  };
}

/** Compiles a snapshot (server-side from rows, or in an SDK from the wire format) for `decide`. */
export function compileSerializedSnapshot(wire: SerializedSnapshot): AccessSnapshot {
  if ((wire.format as string) !== SNAPSHOT_FORMAT) throw new Error(`unsupported snapshot format: ${wire.format}`);
  const bindings = new Map<string, CompiledBinding[]>();
  for (const b of wire.bindings) {
    const compiled: CompiledBinding = {
      id: b.id,
      role: b.role,
      permissions: new Set<Permission>(b.permissions.filter(isPermission)),
      projectId: b.project_id ?? undefined,
      environmentId: b.environment_id ?? undefined,
      conditions: compileConditions(b.conditions ?? undefined),
      expiresAt: b.expires_at === null ? undefined : Date.parse(b.expires_at),
      grantId: b.grant_id ?? undefined,
    };
    const list = bindings.get(b.principal_id);
    if (list === undefined) bindings.set(b.principal_id, [compiled]);
    else list.push(compiled);
  }
  const policy = wire.policy === undefined || wire.policy === null ? undefined : compilePolicy(parsePolicy(wire.policy), wire.organization_id);
  return { tenantId: wire.organization_id, environmentProjects: new Map(Object.entries(wire.environments)), members: new Set(wire.members), bindings, policy };
}
