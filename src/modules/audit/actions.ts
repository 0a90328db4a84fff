/**
 * The catalogue of audit actions: dotted `noun.verb` names and what each records. Every event's
 * `action` comes from it, so consumers can rely on the list. The audit module declares its own
 * actions here; every other module declares its own in `audit-actions.ts` with
 * `defineAuditActions`, named in its manifest (`auditActions`). docs/audit-log.md lists them all
 * (test/docs/audit-action-catalogue.test.ts keeps it equal to the catalogue).
 */
/** The audit module's own actions. */
export const AUDIT_OWN_ACTIONS = {
  'audit.exported': 'The audit log was exported.',
  'audit.retention_changed': "An organization's audit retention period was changed.",
  'audit.retention_applied': 'Events older than the retention period were purged after a signed retention checkpoint.',
  'api.request': 'An API call: method, route, status and latency.',
} as const;

/**
 * Other modules' actions, by declaration merging. A module's `audit-actions.ts` adds its own:
 * `declare module '../audit/index.ts' { interface ModuleAuditActions extends Record<keyof typeof X_AUDIT_ACTIONS, true> {} }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ModuleAuditActions {}

export type AuditAction = keyof typeof AUDIT_OWN_ACTIONS | Extract<keyof ModuleAuditActions, string>;

const catalogue = new Map<string, string>(Object.entries(AUDIT_OWN_ACTIONS));

/** Adds a module's actions to the catalogue (at import time); an action is declared once. */
export function defineAuditActions<const T extends Record<string, string>>(entries: T): T {
  for (const [action, meaning] of Object.entries(entries)) {
    if (!/^[a-z][a-z_]*\.[a-z][a-z_]*$/.test(action)) throw new Error(`audit action ${action} is not noun.verb`);
    const known = catalogue.get(action);
    if (known !== undefined && known !== meaning) throw new Error(`audit action ${action} is declared twice`);
    catalogue.set(action, meaning);
  }
  return entries;
}

/** Every declared action with what it records (the audit module's and every loaded module's). */
export function auditActions(): ReadonlyMap<AuditAction, string> {
  return catalogue as ReadonlyMap<AuditAction, string>;
}

export function isAuditAction(value: string): value is AuditAction {
  return catalogue.has(value);
}
