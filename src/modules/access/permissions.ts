import type {} from '../../platform/http/route-config.ts';
/**
 * The permission catalogue (AC-1, AC-2): every permission a route, a role or an API key can name,
 * with what it allows. Routes declare one of these (or `self` / `public`); roles are sets of them.
 * docs/access-control.md lists this table, generated from here.
 */
export const PERMISSIONS = {
  'organization.read': 'Read the organization and its settings.',
  'organization.update': 'Rename the organization and change its settings.',
  'organization.delete': 'Delete the organization (a risky write: see AC-7).',
  'projects.read': 'List and read projects.',
  'projects.create': 'Create projects.',
  'projects.update': 'Rename projects.',
  'projects.delete': 'Delete projects (a risky write).',
  'environments.read': 'List and read environments.',
  'environments.create': 'Create environments.',
  'environments.update': 'Rename environments and change their kind.',
  'environments.delete': 'Delete environments (a risky write).',
  'members.read': 'List the members of the organization.',
  'members.manage': 'Invite and remove members.',
  'access.read': 'Read roles and role bindings.',
  'access.manage': 'Create custom roles and bind roles to principals (never beyond what the caller holds).',
  'access.request': 'Request just-in-time access to a role.',
  'access.approve': 'Approve or reject other users\u2019 just-in-time access requests and risky writes.',
  'access_review.read': 'Read the access review: who can do what, from where, and stale grants.',
  'api_keys.read': 'List API keys (never their secrets).',
  'api_keys.manage': 'Create, rotate and revoke API keys.',
  'secrets.read': 'List an environment\u2019s secrets and their versions: names and dates, never values.',
  'secrets.manage': 'Set secrets (a new version each time) and delete them; write-only, values are never returned.',
  'secrets.read_value': 'Read secret values (every read is audited). Held by Tenant Admin only among built-in roles.',
  'service_accounts.read': 'List service accounts and their OAuth clients.',
  'service_accounts.manage': 'Create and delete service accounts and their credentials.',
  'audit.read': 'Search the audit log, read proofs and checkpoints.',
  'audit.export': 'Export the audit log with its checkpoints.',
  'audit.manage': 'Change audit retention and streaming destinations.',
  'alerts.read': 'Read security alerts (break-glass access and other events that need a human).',
  'alerts.manage': 'Acknowledge security alerts.',
  'settings.manage': 'Change the organization\u2019s security settings (risky writes, policies).',
  'authz.check': 'Ask for permission decisions and read the bindings snapshot for local evaluation.',
  'applications.read': 'List and read the OpenID applications and resource servers of environments (never a client secret).',
  'applications.manage': 'Register and delete OpenID applications and resource servers (a client secret is shown once, at registration).',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSIONS;

declare module '../../platform/http/route-config.ts' {
  // A route's `permission` is a catalogue name (or `self` / `public`): a typo fails tsc (AC-1).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface RoutePermissions extends Record<Permission, true> {}
}

export const ALL_PERMISSIONS: readonly Permission[] = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

/** Permissions whose names end in `.read` (plus authorization checks): what Viewer-like roles hold. */
const READS = ALL_PERMISSIONS.filter((p) => p.endsWith('.read'));

export type BuiltInRoleKey = 'tenant_admin' | 'security_admin' | 'security_analyst' | 'viewer' | 'auditor' | 'service_account';

export interface BuiltInRole {
  readonly key: BuiltInRoleKey;
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
}

/** The built-in roles (AC-2). Custom roles are any subset of the catalogue. */
export const BUILT_IN_ROLES: Readonly<Record<BuiltInRoleKey, BuiltInRole>> = {
  tenant_admin: { key: 'tenant_admin', name: 'Tenant Admin', description: 'Everything in the organization.', permissions: ALL_PERMISSIONS },
  security_admin: {
    key: 'security_admin',
    name: 'Security Admin',
    description: 'Access control, credentials, audit and security settings; reads everything else.',
    permissions: [
      ...READS,
      'access.manage',
      'access.request',
      'access.approve',
      'api_keys.manage',
      'service_accounts.manage',
      'applications.manage',
      'secrets.manage',
      'audit.export',
      'audit.manage',
      'settings.manage',
      'alerts.manage',
      'authz.check',
    ],
  },
  security_analyst: {
    key: 'security_analyst',
    name: 'Security Analyst',
    description: 'Reads everything, including the audit log and access review; changes nothing.',
    permissions: [...READS, 'audit.export', 'access.request'],
  },
  viewer: {
    key: 'viewer',
    name: 'Viewer',
    description: 'Reads the organization, its projects and environments.',
    permissions: ['organization.read', 'projects.read', 'environments.read', 'members.read', 'access.request'],
  },
  auditor: { key: 'auditor', name: 'Auditor', description: 'Reads and exports the audit log and evidence; nothing else.', permissions: ['audit.read', 'audit.export'] },
  service_account: {
    key: 'service_account',
    name: 'Service Account',
    description: 'What an integrating application needs: read the hierarchy and ask for permission decisions.',
    permissions: ['organization.read', 'projects.read', 'environments.read', 'authz.check'],
  },
};

export const BUILT_IN_ROLE_KEYS = Object.keys(BUILT_IN_ROLES) as BuiltInRoleKey[];

export function isBuiltInRole(value: string): value is BuiltInRoleKey {
  return Object.hasOwn(BUILT_IN_ROLES, value);
}
