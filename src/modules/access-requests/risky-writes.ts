import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { factsFor, heldByOwner, type AccessControl, type Caller, type Permission, type Resource } from '../access/index.ts';
import type { AuditContext, AuditEventInput } from '../audit/index.ts';
import type { ApprovalStatus, RiskyWritesMode } from './access-requests-tables.ts';
import * as store from './access-requests-store.ts';
import type { ApprovalRow } from './access-requests-store.ts';

/**
 * One kind of risky write (AC-7). The registry is open: deleting an organization, project or
 * environment register today; exporting all data or disabling the MFA policy register the same
 * way, with their own permission, target check and executor.
 */
/** How long a single administrator waits between requesting a risky write and confirming it alone. */
export const DEFAULT_COOLING_OFF_MINUTES = 60;

export interface RiskyOperation {
  /** Stable name, e.g. `project.delete`; stored with each approval. */
  readonly kind: string;
  /** What the operation itself needs; the approver must hold it too, at the same resource. */
  readonly permission: Permission;
  /** Where in the organization the operation acts, from its parameters. */
  resource(tenantId: string, params: Readonly<Record<string, string>>): Resource;
  /** Throws `not_found` when the target does not exist (checked before anything is queued). */
  check(tx: Tx, tenantId: string, params: Readonly<Record<string, string>>): Promise<void>;
  /** Carries the operation out inside the approval's transaction, recording its own audit event. */
  execute(tx: Tx, ctx: AuditContext, tenantId: string, params: Readonly<Record<string, string>>): Promise<void>;
}

/** How a gated route hands its operation over. */
export interface RiskyWriteGate {
  /**
   * Refuses with `risky_write_disabled` unless the organization allows risky writes with approval;
   * then queues the operation for a second administrator and returns the pending approval.
   */
  submit(ctx: AuditContext, tenantId: string, operation: { kind: string; params: Readonly<Record<string, string>> }): Promise<ApprovalRow>;
}

/**
 * Risky writes off by default, behind a second administrator when enabled (AC-7). The requester
 * already passed the operation's own permission at the route; the approver needs `access.approve`
 * (route) and the operation's permission at its resource (here), and is never the requester.
 * Approving claims the approval and executes the operation in one transaction.
 */
export function createRiskyWrites(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: { record: (tx: Tx, tenantId: string, input: AuditEventInput) => Promise<string> }; access: AccessControl; coolingOffMinutes?: number }) {
  const { transactor, clock, random, audit, access } = deps;
  const operations = new Map<string, RiskyOperation>();
  const coolingOffMs = (deps.coolingOffMinutes ?? DEFAULT_COOLING_OFF_MINUTES) * 60_000;

  /**
   * Whether a member other than the requester could approve `row` now: one whose unexpired
   * bindings hold `access.approve` and the operation's own permission where it acts. Binding
   * conditions are left aside (an approver who must first be on the office network still exists).
   */
  async function secondApproverExists(row: Pick<ApprovalRow, 'tenant_id' | 'requested_by' | 'params'>, operation: RiskyOperation): Promise<boolean> {
    const snapshot = await access.snapshot(row.tenant_id);
    if (snapshot === undefined) return false;
    const resource = operation.resource(row.tenant_id, row.params);
    const needed: Permission[] = ['access.approve', operation.permission];
    for (const member of snapshot.members) {
      if (member === row.requested_by) continue;
      if (heldByOwner(snapshot, { type: 'user', id: member }, needed, resource, clock.now()).length === needed.length) return true;
    }
    return false;
  }

  /** When the requester may confirm `row` alone, or null while someone else could approve it. */
  async function selfConfirmableAfter(row: ApprovalRow): Promise<Date | null> {
    const operation = operations.get(row.operation);
    if (operation === undefined || row.status !== 'pending' || (await secondApproverExists(row, operation))) return null;
    return new Date(row.created_at.getTime() + coolingOffMs);
  }

  function operationOf(kind: string): RiskyOperation {
    const operation = operations.get(kind);
    if (operation === undefined) throw new AppError('conflict', { detail: `Unknown operation ${kind}.` });
    return operation;
  }

  const targets = (row: Pick<ApprovalRow, 'id' | 'operation' | 'params'>) => [{ type: 'approval', id: row.id }, ...Object.entries(row.params).map(([type, id]) => ({ type: type.replace(/_id$/, ''), id }))];

  const gate: RiskyWriteGate = {
    submit: (ctx, tenantId, input) => {
      const operation = operationOf(input.kind);
      return transactor.withTenant(
        tenantId,
        async (tx) => {
          await operation.check(tx, tenantId, input.params);
          const { mode } = await store.riskyWritesMode(tx, tenantId);
          if (mode !== 'approval') {
            throw new AppError('risky_write_disabled', { detail: `${operation.kind} is a risky write, disabled in this organization. An administrator can switch risky writes to "approval" (PUT /settings/risky-writes).` });
          }
          const row = { tenant_id: tenantId, id: uuidv7(clock, random), operation: operation.kind, params: { ...input.params }, requested_by: ctx.userId, status: 'pending' as const, decided_by: null, decided_at: null, created_at: clock.now() };
          await store.insertApproval(tx, row);
          await audit.record(tx, tenantId, { action: 'risky_write.requested', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: targets(row), metadata: { operation: operation.kind } });
          return row;
        },
        ctx.userId,
      );
    },
  };

  return {
    gate,
    register: (operation: RiskyOperation) => {
      if (operations.has(operation.kind)) throw new Error(`risky operation ${operation.kind} registered twice`);
      operations.set(operation.kind, operation);
    },
    kinds: () => [...operations.keys()],

    mode: (tenantId: string) => transactor.withTenant(tenantId, (tx) => store.riskyWritesMode(tx, tenantId)),
    setMode: (ctx: AuditContext, tenantId: string, mode: RiskyWritesMode) =>
      transactor.withTenant(tenantId, async (tx) => {
        const before = await store.riskyWritesMode(tx, tenantId);
        const now = clock.now();
        await store.setRiskyWritesMode(tx, tenantId, mode, ctx.userId === '' ? null : ctx.userId, now);
        await audit.record(tx, tenantId, { action: 'settings.risky_writes_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: tenantId }], metadata: { from: before.mode, to: mode } });
        return { mode, updated_at: now, updated_by: ctx.userId === '' ? null : ctx.userId };
      }),

    list: (tenantId: string, filter: { status?: ApprovalStatus | undefined; after?: string | undefined; limit: number }) => transactor.withTenant(tenantId, (tx) => store.listApprovals(tx, tenantId, filter)),
    get: (tenantId: string, id: string) =>
      transactor.withTenant(tenantId, async (tx) => {
        const row = await store.getApproval(tx, tenantId, id);
        if (row === undefined) throw new AppError('not_found');
        return row;
      }),

    /** A second administrator approves: the operation runs now, as theirs, in this transaction. */
    approve: async (ctx: Caller, tenantId: string, id: string): Promise<ApprovalRow> => {
      const row = await transactor.withTenant(tenantId, (tx) => store.getApproval(tx, tenantId, id));
      if (row === undefined) throw new AppError('not_found');
      const operation = operationOf(row.operation);
      const deny = async (reason: string) =>
        transactor.withTenant(tenantId, (tx) =>
          audit.record(tx, tenantId, { action: 'authz.denied', actor: ctx.actor, outcome: 'denied', source: ctx.source, targets: targets(row), metadata: { permission: operation.permission, reason } }),
        );
      if (row.requested_by === ctx.userId) {
        await deny('self_approval_refused');
        throw new AppError('self_approval_refused', { detail: 'A second administrator must approve this operation.' });
      }
      const decision = await access.can(ctx.principal, operation.permission, operation.resource(tenantId, row.params), factsFor(ctx.principal, ctx.source.ip ?? '', clock.now()));
      if (!decision.allowed) {
        await deny(decision.reason);
        throw new AppError('forbidden', { detail: `Approving ${operation.kind} needs ${operation.permission} here as well as access.approve.` });
      }
      if (row.status !== 'pending') throw new AppError('conflict', { detail: `The approval is ${row.status}, not pending.` });
      return transactor.withTenant(
        tenantId,
        async (tx) => {
          if ((await store.riskyWritesMode(tx, tenantId)).mode !== 'approval') throw new AppError('risky_write_disabled', { detail: 'Risky writes were switched off since this was requested.' });
          const decided = await store.decideApproval(tx, tenantId, id, 'approved', ctx.userId, clock.now());
          if (decided === undefined) throw new AppError('conflict', { detail: 'The approval is no longer pending.' });
          await audit.record(tx, tenantId, { action: 'risky_write.approved', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: targets(decided), metadata: { operation: decided.operation, requested_by: decided.requested_by } });
          await operation.execute(tx, ctx, tenantId, decided.params);
          return decided;
        },
        ctx.userId,
      );
    },

    selfConfirmableAfter,

    /**
     * The single-administrator path (issue 19): when nobody but the requester could approve (no
     * other member holds `access.approve` and the operation's permission where it acts), the
     * requester confirms the operation themself — after the cooling-off period since the request,
     * with a recent sign-in (the route's step-up), checked again here against the current roles.
     * Recorded as `risky_write.self_confirmed`, with how long it waited and why nobody else could.
     */
    confirmAlone: async (ctx: Caller, tenantId: string, id: string): Promise<ApprovalRow> => {
      const row = await transactor.withTenant(tenantId, (tx) => store.getApproval(tx, tenantId, id));
      if (row === undefined) throw new AppError('not_found');
      const operation = operationOf(row.operation);
      if (row.requested_by !== ctx.userId) throw new AppError('forbidden', { detail: 'Only the administrator who requested this operation can confirm it alone; others approve it.' });
      if (row.status !== 'pending') throw new AppError('conflict', { detail: `The approval is ${row.status}, not pending.` });
      if (await secondApproverExists(row, operation)) {
        throw new AppError('second_approver_available', { detail: 'Another administrator can approve this operation: ask them (POST …/approve).' });
      }
      const waitMs = row.created_at.getTime() + coolingOffMs - clock.now().getTime();
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        throw new AppError('cooling_off', { detail: `A single administrator can confirm this ${Math.round(coolingOffMs / 60_000)} minutes after requesting it: ${seconds} s from now.`, headers: { 'retry-after': String(seconds) } });
      }
      const decision = await access.can(ctx.principal, operation.permission, operation.resource(tenantId, row.params), factsFor(ctx.principal, ctx.source.ip ?? '', clock.now()));
      if (!decision.allowed) throw new AppError('forbidden', { detail: `Confirming ${operation.kind} needs ${operation.permission} here.` });
      return transactor.withTenant(
        tenantId,
        async (tx) => {
          if ((await store.riskyWritesMode(tx, tenantId)).mode !== 'approval') throw new AppError('risky_write_disabled', { detail: 'Risky writes were switched off since this was requested.' });
          const now = clock.now();
          const decided = await store.decideApproval(tx, tenantId, id, 'approved', ctx.userId, now);
          if (decided === undefined) throw new AppError('conflict', { detail: 'The approval is no longer pending.' });
          await audit.record(tx, tenantId, {
            action: 'risky_write.self_confirmed',
            actor: ctx.actor,
            outcome: 'success',
            source: ctx.source,
            targets: targets(decided),
            metadata: { operation: decided.operation, reason: 'no_second_approver', cooling_off_minutes: Math.round(coolingOffMs / 60_000), waited_seconds: Math.floor((now.getTime() - decided.created_at.getTime()) / 1000) },
          });
          await operation.execute(tx, ctx, tenantId, decided.params);
          return decided;
        },
        ctx.userId,
      );
    },

    /** Any holder of access.approve (the requester included, to withdraw) rejects a pending approval. */
    reject: (ctx: AuditContext, tenantId: string, id: string) =>
      transactor.withTenant(tenantId, async (tx) => {
        const existing = await store.getApproval(tx, tenantId, id);
        if (existing === undefined) throw new AppError('not_found');
        const decided = await store.decideApproval(tx, tenantId, id, 'rejected', ctx.userId, clock.now());
        if (decided === undefined) throw new AppError('conflict', { detail: `The approval is ${existing.status}, not pending.` });
        await audit.record(tx, tenantId, { action: 'risky_write.rejected', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: targets(decided), metadata: { operation: decided.operation, requested_by: decided.requested_by } });
        return decided;
      }),
  };
}

export type RiskyWrites = ReturnType<typeof createRiskyWrites>;
