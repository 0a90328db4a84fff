// Parapet SDK: permission decisions evaluated locally, in the integrating app's own process, from a
// cached snapshot of an organization's bindings (AC-1). The same evaluator the server runs.
import { decide, type Decision } from '../modules/access/evaluator.ts';
import { compileSerializedSnapshot, type SerializedSnapshot } from '../modules/access/snapshot-format.ts';
import type { AccessSnapshot } from '../modules/access/evaluator.ts';
import type { Permission } from '../modules/access/permissions.ts';
import type { Principal } from '../modules/access/principal.ts';

export type { Decision, Permission, SerializedSnapshot };

/** Who is asking, as the integrating app knows them. */
export type Subject = { readonly type: 'user'; readonly id: string; readonly mfa?: boolean } | { readonly type: 'service_account'; readonly id: string };

export interface LocalAuthorizerOptions {
  /** Parapet's base URL, e.g. `https://parapet.example.com`. */
  readonly baseUrl: string;
  readonly organizationId: string;
  /** Credentials for the snapshot request (an API key or access token holding `authz.check`). */
  readonly headers: () => Record<string, string> | Promise<Record<string, string>>;
  /** How long a snapshot is used before it is fetched again (default 5 s). */
  readonly maxAgeMs?: number;
  /** For tests and custom transports. */
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

export interface LocalAuthorizer {
  /** May `subject` hold `permission` at the organization, or at a project/environment in it? */
  can(subject: Subject, permission: Permission, where?: { projectId?: string; environmentId?: string; ip?: string }): Promise<Decision>;
  /** Fetches the snapshot now (e.g. on a webhook saying bindings changed). */
  refresh(): Promise<void>;
}

function toPrincipal(subject: Subject, tenantId: string, now: Date): Principal {
  return subject.type === 'user'
    ? { kind: 'user', userId: subject.id.toLowerCase(), sessionId: '', email: '', displayName: '', isPlatformAdmin: false, authMethods: subject.mfa === true ? ['mfa'] : [], authenticatedAt: now }
    : { kind: 'service_account', serviceAccountId: subject.id.toLowerCase(), tenantId, displayName: '', clientId: '', scope: undefined };
}

export function createLocalAuthorizer(options: LocalAuthorizerOptions): LocalAuthorizer {
  const maxAgeMs = options.maxAgeMs ?? 5000;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const tenantId = options.organizationId.toLowerCase();
  let current: { snapshot: AccessSnapshot; at: number } | undefined;
  let pending: Promise<AccessSnapshot> | undefined;

  async function load(): Promise<AccessSnapshot> {
    const url = new URL(`/api/v1/organizations/${encodeURIComponent(tenantId)}/authz/snapshot`, options.baseUrl);
    const response = await doFetch(url, { headers: { accept: 'application/json', ...(await options.headers()) } });
    if (!response.ok) throw new Error(`Parapet snapshot request failed: HTTP ${response.status}`);
    const snapshot = compileSerializedSnapshot((await response.json()) as SerializedSnapshot);
    if (snapshot.tenantId !== tenantId) throw new Error('Parapet returned the snapshot of another organization');
    current = { snapshot, at: Date.now() };
    return snapshot;
  }

  async function snapshot(): Promise<AccessSnapshot> {
    if (current !== undefined && Date.now() - current.at < maxAgeMs) return current.snapshot;
    pending ??= load().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  return {
    can: async (subject, permission, where = {}) => {
      const at = now();
      const principal = toPrincipal(subject, tenantId, at);
      return decide(await snapshot(), principal, permission, { tenantId, projectId: where.projectId?.toLowerCase(), environmentId: where.environmentId?.toLowerCase() }, {
        ip: where.ip ?? '',
        mfa: subject.type === 'user' && subject.mfa === true,
        now: at,
      });
    },
    refresh: async () => {
      current = undefined;
      await snapshot();
    },
  };
}
