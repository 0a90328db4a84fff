import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import { ACCESS_TOPIC, createAccessCache, type AccessCache } from './access-cache.ts';
import { insertBinding, touchBindings } from './access-store.ts';
import type { BindingIntegrity, UnsealedBinding } from './binding-integrity.ts';
import { decide, type AccessSnapshot, type Decision, type DenyReason } from './evaluator.ts';
import type { Permission } from './permissions.ts';
import { hasMfa, type Principal, type RequestFacts, type Resource } from './principal.ts';

/** A binding's last use is written at most this often (it feeds the access review's stale flags). */
const TOUCH_INTERVAL_MS = 3_600_000;

/** What an allowed request used, so its records can name the grant (AC-4). */
export interface AuthorizedUse {
  readonly bindingId: string | undefined;
  readonly grantId: string | undefined;
}

export interface AccessControl {
  /** The decision, from the cached snapshot; `not_member` when the organization does not exist. */
  can(principal: Principal, permission: Permission, resource: Resource, facts: RequestFacts): Promise<Decision>;
  /**
   * Throws unless allowed. A principal with no standing in the organization (or an organization
   * that does not exist) gets `not_found`, so ids cannot be probed; others get `forbidden` or the
   * requirement they failed (`mfa_required`, `ip_not_allowed`, `outside_time_window`). Every denial
   * in an existing organization is recorded in that organization's audit log.
   */
  authorize(ctx: AuditContext & { readonly principal: Principal }, permission: Permission, resource: Resource): Promise<AuthorizedUse>;
  /** The organization's snapshot (undefined if it does not exist). */
  snapshot(tenantId: string): Promise<AccessSnapshot | undefined>;
  /** Call inside any transaction that changes bindings, roles, members or the hierarchy of `tenantId`. */
  changed(tx: Tx, tenantId: string): Promise<void>;
  readonly cache: AccessCache;
  /** Row MACs over role bindings (issue 13): the identity module's. */
  readonly integrity: BindingIntegrity;
  /** Inserts a role binding with its MAC (callers check escalation and call `changed` themselves). */
  insertBinding(tx: Tx, binding: UnsealedBinding): Promise<void>;
  /** Writes buffered binding uses now (before an access review reads last_used_at). */
  flushUses(): Promise<void>;
  close(): Promise<void>;
}

export function factsFor(principal: Principal, ip: string, now: Date): RequestFacts {
  return { ip, mfa: hasMfa(principal), now };
}

export function createAccessControl(deps: { transactor: AppTransactor; clock: Clock; audit: AuditRecorder; feed: ChangeFeed | undefined; logger: Logger; integrity: BindingIntegrity }): AccessControl {
  const { transactor, clock, audit, feed, integrity } = deps;
  const cache = createAccessCache({ transactor, feed, integrity });
  const touched = new Map<string, number>();
  const pending = new Map<string, Set<string>>();

  function noteUse(tenantId: string, bindingId: string, now: number): void {
    const last = touched.get(bindingId);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    if (touched.size > 100_000) touched.clear();
    touched.set(bindingId, now);
    let set = pending.get(tenantId);
    if (set === undefined) pending.set(tenantId, (set = new Set()));
    set.add(bindingId);
  }

  async function flush(): Promise<void> {
    const batch = [...pending];
    pending.clear();
    const now = clock.now();
    for (const [tenantId, ids] of batch) {
      try {
        await transactor.withTenant(tenantId, (tx) => touchBindings(tx, tenantId, [...ids], now));
      } catch (error) {
        deps.logger.warn({ err: error, tenantId }, 'could not record role binding use');
      }
    }
  }
  const timer = setInterval(() => {
    void flush();
  }, 30_000);
  timer.unref();

  async function can(principal: Principal, permission: Permission, resource: Resource, facts: RequestFacts): Promise<Decision> {
    const snapshot = await cache.get(resource.tenantId);
    if (snapshot === undefined) return { allowed: false, reason: 'not_member' };
    return decide(snapshot, principal, permission, resource, facts);
  }

  return {
    integrity,
    insertBinding: (tx, binding) => insertBinding(tx, integrity, binding),
    can,
    authorize: async (ctx, permission, resource) => {
      const now = clock.now();
      const snapshot = await cache.get(resource.tenantId);
      if (snapshot === undefined) throw new AppError('not_found');
      const decision = decide(snapshot, ctx.principal, permission, resource, factsFor(ctx.principal, ctx.source.ip ?? '', now));
      if (decision.allowed) {
        if (decision.binding !== undefined) noteUse(resource.tenantId, decision.binding.id, now.getTime());
        return { bindingId: decision.binding?.id, grantId: decision.binding?.grantId };
      }
      const targets = [{ type: 'organization', id: resource.tenantId }];
      if (resource.projectId !== undefined) targets.push({ type: 'project', id: resource.projectId });
      if (resource.environmentId !== undefined) targets.push({ type: 'environment', id: resource.environmentId });
      await transactor.withTenant(resource.tenantId, (tx) =>
        audit.record(tx, resource.tenantId, {
          action: 'authz.denied',
          actor: ctx.actor,
          outcome: 'denied',
          source: ctx.source,
          targets,
          metadata: { permission, reason: decision.reason, ...(decision.byPolicy === true ? { by: 'security_policy' } : {}) },
        }),
      );
      if (decision.reason === 'not_member') throw new AppError('not_found');
      throw new AppError(decision.reason, { detail: decision.byPolicy === true ? policyDetail(decision.reason) : denialDetail(decision.reason, permission) });
    },
    snapshot: (tenantId) => cache.get(tenantId),
    changed: async (tx, tenantId) => {
      cache.invalidate(tenantId);
      await feed?.publish(tx as never, ACCESS_TOPIC, tenantId);
    },
    cache,
    flushUses: flush,
    close: async () => {
      clearInterval(timer);
      cache.close();
      await flush();
    },
  };
}

function policyDetail(reason: DenyReason): string {
  switch (reason) {
    case 'ip_not_allowed':
      return 'The organization accepts requests only from the networks on its allowlist.';
    case 'mfa_required':
      return 'The organization requires a second factor: sign in with one (or enrol one first).';
    case 'mfa_method_not_allowed':
      return 'The organization does not accept the second factor this session was signed in with.';
    case 'reauthentication_required':
      return 'The organization limits how long a sign-in lasts: sign in again.';
    default:
      return 'The organization\u2019s security policy refuses this request.';
  }
}

function denialDetail(reason: Exclude<Decision & { allowed: false }, never>['reason'], permission: Permission): string {
  switch (reason) {
    case 'mfa_required':
      return `The role that grants ${permission} here requires a session authenticated with a second factor.`;
    case 'ip_not_allowed':
      return `The role that grants ${permission} here is limited to other network addresses.`;
    case 'outside_time_window':
      return `The role that grants ${permission} here is limited to another time of day.`;
    default:
      return `This requires the ${permission} permission here.`;
  }
}
