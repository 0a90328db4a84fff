import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { isUniqueViolation } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import { organizationRoleBinding, type AccessControl, type AccessService, type Caller } from '../access/index.ts';
import type { AuditRecorder, AuditSource } from '../audit/index.ts';
import { tenancy } from '../tenants/index.ts';
import type { SsoIntegrity } from './sso-integrity.ts';
import { findConnection } from './sso-store.ts';
import type { SsoGroupRoleRulesTable } from './sso-tables.ts';

type RuleRow = SsoGroupRoleRulesTable;

/** At most this many groups of one sign-in are looked at (an IdP may assert hundreds). */
export const MAX_GROUPS = 200;
/** At most this many rules per connection. */
export const MAX_RULES = 100;

export interface GroupRuleView {
  readonly id: string;
  readonly connectionId: string;
  readonly groupName: string;
  readonly role: string;
  readonly projectId: string | null;
  readonly createdAt: Date;
}

const toView = (row: RuleRow): GroupRuleView => ({ id: row.id, connectionId: row.connection_id, groupName: row.group_name, role: row.role, projectId: row.project_id, createdAt: row.created_at });

/** The group names an IdP asserted, trimmed, without empties, at most MAX_GROUPS of at most 256 characters each. */
export function groupNames(values: readonly unknown[]): string[] {
  const names = values.filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter((v) => v !== '' && v.length <= 256);
  return [...new Set(names)].slice(0, MAX_GROUPS);
}

/** What applying a connection's rules at one sign-in did. */
export interface GroupRolesApplied {
  readonly granted: readonly string[];
  readonly withdrawn: readonly string[];
  /** Withdrawals refused because the organization would keep no Tenant Admin. */
  readonly kept: readonly string[];
}

/**
 * IdP groups mapped to roles (issue 18 part 4): per connection, rules `group -> role` (at the
 * organization or one project). At every SSO sign-in, JIT or not, the user holds exactly the
 * bindings the rules give for the groups the IdP asserts now: bindings of groups no longer
 * asserted (or of rules removed) end. Bindings are made and ended only through the access
 * module's API; this module remembers which binding each rule made (`sso_group_bindings`) and
 * never touches a binding it did not make.
 */
export function createGroupRoles(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: Pick<AuditRecorder, 'record'>;
  control: Pick<AccessControl, 'insertBinding' | 'changed'>;
  service: Pick<AccessService, 'assertGrantable' | 'endBindings' | 'bindingIdsOf'>;
  integrity: SsoIntegrity;
}) {
  const { transactor, clock, random, audit } = deps;

  async function existingConnection(tx: Tx, tenantId: string, connectionId: string): Promise<void> {
    if ((await findConnection(tx, deps.integrity, tenantId, connectionId)) === undefined) throw new AppError('not_found');
  }

  const ruleLabel = (rule: Pick<RuleRow, 'role' | 'project_id'>): string => (rule.project_id === null ? rule.role : `${rule.role}@${rule.project_id}`);

  return {
    list: (tenantId: string, connectionId: string): Promise<GroupRuleView[]> =>
      transactor.withTenant(tenantId, async (tx) => {
        await existingConnection(tx, tenantId, connectionId);
        const rows = await tx.selectFrom('sso_group_role_rules').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).orderBy('id').limit(MAX_RULES).execute();
        return rows.map(toView);
      }),

    /** Adds a rule. The caller must hold every permission of the role (no escalation through the IdP), and the project must be this organization's. */
    add: async (by: Caller, tenantId: string, connectionId: string, input: { groupName: string; role: string; projectId: string | undefined }): Promise<GroupRuleView> => {
      await deps.service.assertGrantable(by, tenantId, input.role);
      const row: RuleRow = { tenant_id: tenantId, connection_id: connectionId, id: uuidv7(clock, random), group_name: input.groupName.trim(), role: input.role, project_id: input.projectId ?? null, created_at: clock.now() };
      if (row.group_name === '') throw new AppError('invalid_request', { errors: [{ pointer: '/group_name', detail: 'must not be blank' }] });
      try {
        await transactor.withTenant(
          tenantId,
          async (tx) => {
            await existingConnection(tx, tenantId, connectionId);
            if (row.project_id !== null && !(await tenancy.projectExists(tx, tenantId, row.project_id))) throw new AppError('invalid_request', { errors: [{ pointer: '/project_id', detail: 'no such project in this organization' }] });
            const count = await tx.selectFrom('sso_group_role_rules').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).executeTakeFirstOrThrow();
            if (Number(count.n) >= MAX_RULES) throw new AppError('invalid_request', { errors: [{ pointer: '/group_name', detail: `at most ${String(MAX_RULES)} rules per connection` }] });
            await tx.insertInto('sso_group_role_rules').values(row).execute();
            await audit.record(tx, tenantId, { action: 'sso.group_role_mapped', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_connection', id: connectionId }, { type: 'role', id: input.role }], metadata: { group: row.group_name.slice(0, 100), project_id: row.project_id } });
          },
          by.userId,
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('sso_group_rule_exists', { cause: error });
        throw error;
      }
      return toView(row);
    },

    /** Removes a rule; the bindings it made end at each user's next sign-in through the connection. */
    remove: async (by: Caller, tenantId: string, connectionId: string, ruleId: string): Promise<void> => {
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          const deleted = await tx.deleteFrom('sso_group_role_rules').where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('id', '=', ruleId).executeTakeFirst();
          if (deleted.numDeletedRows === 0n) throw new AppError('not_found');
          await audit.record(tx, tenantId, { action: 'sso.group_role_unmapped', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'sso_connection', id: connectionId }, { type: 'sso_group_role_rule', id: ruleId }] });
        },
        by.userId,
      );
    },

    /**
     * Inside the sign-in's transaction (the organization's context): brings the user's rule-made
     * bindings to what the connection's rules give for `groups`, and audits any change
     * (`sso.group_roles_applied`). A rule whose project is gone grants nothing.
     */
    apply: async (tx: Tx, input: { tenantId: string; connectionId: string; userId: string; groups: readonly string[]; source: AuditSource; actor: { type: 'user'; id: string; display_name: string } }): Promise<GroupRolesApplied> => {
      const { tenantId, connectionId, userId } = input;
      const asserted = new Set(input.groups.map((g) => g.toLowerCase()));
      const rules = await tx.selectFrom('sso_group_role_rules').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).orderBy('id').limit(MAX_RULES).execute();
      const made = await tx.selectFrom('sso_group_bindings').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('user_id', '=', userId).execute();
      const live = made.length === 0 ? new Set<string>() : await deps.service.bindingIdsOf(tx, tenantId, userId);
      const wanted = new Map<string, RuleRow>();
      for (const rule of rules) if (asserted.has(rule.group_name.toLowerCase())) wanted.set(rule.id, rule);
      const now = clock.now();
      const granted: string[] = [];
      const withdrawn: string[] = [];
      const kept: string[] = [];
      // Withdraw: a binding whose rule is gone or whose group the IdP no longer asserts.
      const stale = made.filter((m) => !wanted.has(m.rule_id));
      if (stale.length > 0) {
        try {
          await deps.service.endBindings(tx, tenantId, userId, stale.map((m) => m.binding_id));
          withdrawn.push(...stale.map((m) => m.rule_id));
          await tx.deleteFrom('sso_group_bindings').where('tenant_id', '=', tenantId).where('binding_id', 'in', stale.map((m) => m.binding_id)).execute();
        } catch (error) {
          // Ending them would leave the organization without a Tenant Admin: they stay, and the audit event says so.
          if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
          kept.push(...stale.map((m) => m.rule_id));
        }
      }
      // Grant: a wanted rule without a live binding it made (never made, or removed by an administrator since).
      const madeByRule = new Map(made.map((m) => [m.rule_id, m]));
      for (const rule of wanted.values()) {
        const previous = madeByRule.get(rule.id);
        if (previous !== undefined && live.has(previous.binding_id)) continue;
        if (rule.project_id !== null && !(await tenancy.projectExists(tx, tenantId, rule.project_id))) continue;
        if (previous !== undefined) await tx.deleteFrom('sso_group_bindings').where('tenant_id', '=', tenantId).where('binding_id', '=', previous.binding_id).execute();
        const binding = { ...organizationRoleBinding({ tenantId, id: uuidv7(clock, random), userId, role: rule.role, now }), project_id: rule.project_id };
        await deps.control.insertBinding(tx, binding);
        await tx.insertInto('sso_group_bindings').values({ tenant_id: tenantId, connection_id: connectionId, user_id: userId, rule_id: rule.id, binding_id: binding.id, created_at: now }).execute();
        granted.push(rule.id);
      }
      if (granted.length > 0) await deps.control.changed(tx, tenantId);
      if (granted.length + withdrawn.length + kept.length > 0) {
        const label = (ids: readonly string[]) => ids.map((id) => { const r = rules.find((x) => x.id === id); return r === undefined ? `rule:${id}` : ruleLabel(r); }).join(' ').slice(0, 300);
        await audit.record(tx, tenantId, {
          action: 'sso.group_roles_applied',
          actor: input.actor,
          outcome: 'success',
          source: input.source,
          targets: [{ type: 'user', id: userId }, { type: 'sso_connection', id: connectionId }],
          metadata: { granted: label(granted), withdrawn: label(withdrawn), kept_last_admin: label(kept) },
        });
      }
      return { granted, withdrawn, kept };
    },
  };
}

export type GroupRoles = ReturnType<typeof createGroupRoles>;
