import { hash } from 'node:crypto';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { FieldEncryption } from '../keys/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { BUILT_IN_ROLES, factsFor, isPermission, type AccessControl, type BuiltInRoleKey, type Permission, type Principal, type Resource } from '../access/index.ts';
import type { AuditContext, AuditRecorder, AuditTarget } from '../audit/index.ts';
import * as store from './api-keys-store.ts';
import type { KeyCreatorType } from './api-keys-tables.ts';
import type { KeyIntegrity } from './key-integrity.ts';
import { formatApiKey, formatSigningSecret, type KeyMode } from './key-format.ts';
import { API_KEYS_TOPIC } from './key-verifier.ts';

const DAY_MS = 86_400_000;
/** AUTH-7: a key lives 90 days unless asked otherwise, and is flagged for rotation at that age. */
export const DEFAULT_KEY_DAYS = 90;
export const ROTATION_DUE_DAYS = 90;
/** After a rotation the old key keeps working this long unless a shorter overlap is asked for. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

export type ApiKeyRow = store.ApiKeyRow;

/** Who is acting, as the permission checks and audit events need it. */
export type KeyActor = AuditContext & { readonly principal: Principal };

export interface CreateKeyInput {
  readonly name: string;
  readonly role?: BuiltInRoleKey | undefined;
  readonly permissions?: readonly Permission[] | undefined;
  readonly projectId?: string | undefined;
  readonly environmentId?: string | undefined;
  readonly expiresInDays?: number | undefined;
  readonly mode?: KeyMode | undefined;
  readonly signing: boolean;
}

/** A key just made: the full key and signing secret exist only here, to be shown once. */
export interface CreatedKey {
  readonly row: ApiKeyRow;
  readonly key: string;
  readonly signingSecret: string | undefined;
}

export interface ApiKeysService {
  create(actor: KeyActor, tenantId: string, input: CreateKeyInput): Promise<CreatedKey>;
  list(tenantId: string, after: string | undefined, limit: number): Promise<ApiKeyRow[]>;
  get(tenantId: string, keyId: string): Promise<ApiKeyRow>;
  rotate(actor: KeyActor, tenantId: string, keyId: string, options: { overlapSeconds?: number | undefined; expiresInDays?: number | undefined }): Promise<{ successor: CreatedKey; previous: ApiKeyRow }>;
  revoke(actor: KeyActor, tenantId: string, keyId: string): Promise<void>;
}

function creatorType(principal: Principal): KeyCreatorType {
  return principal.kind;
}

function invalid(pointer: string, detail: string): AppError {
  return new AppError('invalid_request', { errors: [{ pointer, detail }] });
}

function keyTargets(tenantId: string, row: ApiKeyRow): AuditTarget[] {
  return [
    { type: 'organization', id: tenantId },
    { type: 'api_key', id: row.id, name: row.name },
  ];
}

/** API keys of an organization (AUTH-7): create, list, rotate, revoke. Callers authorize the route first. */
export function createApiKeysService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: AuditRecorder;
  access: Pick<AccessControl, 'can'>;
  fields: Pick<FieldEncryption, 'encryptField'>;
  feed: ChangeFeed | undefined;
  /** Drops a key from this node's verification cache at once. */
  forget: (keyId: string) => void;
  maxDays: number;
  integrity: KeyIntegrity;
}): ApiKeysService {
  const { transactor, clock, random, audit, integrity } = deps;

  /**
   * A key never holds a permission its creator does not hold at the key's scope: each one is
   * checked with the creator's own bindings, conditions included (MFA, network, time of day).
   */
  async function requireHeld(actor: KeyActor, permissions: readonly Permission[], resource: Resource, purpose: 'hold' | 'revoke' = 'hold'): Promise<void> {
    const facts = factsFor(actor.principal, actor.source.ip ?? '', clock.now());
    for (const permission of permissions) {
      const decision = await deps.access.can(actor.principal, permission, resource, facts);
      if (decision.allowed) continue;
      throw new AppError('forbidden', {
        detail: purpose === 'hold' ? `A key cannot hold ${permission}: you do not hold it at the key's scope.` : `You cannot revoke a key holding ${permission}: you do not hold it at the key's scope.`,
      });
    }
  }

  function lifetimeDays(days: number | undefined): number {
    const chosen = days ?? Math.min(DEFAULT_KEY_DAYS, deps.maxDays);
    if (chosen > deps.maxDays) throw invalid('/body/expires_in_days', `must be at most ${deps.maxDays}`);
    return chosen;
  }

  /** Builds a new key row with fresh secrets; the signing secret is envelope-encrypted (outside any transaction). */
  async function mint(
    actor: KeyActor,
    tenantId: string,
    fields: Pick<ApiKeyRow, 'name' | 'mode' | 'role' | 'permissions' | 'project_id' | 'environment_id' | 'rotated_from'>,
    days: number,
    signing: boolean,
  ): Promise<CreatedKey> {
    const now = clock.now();
    const id = uuidv7(clock, random);
    const key = formatApiKey(fields.mode, id, random(32));
    const signingSecret = signing ? formatSigningSecret(random(32)) : undefined;
    const row: ApiKeyRow = {
      tenant_id: tenantId,
      id,
      ...fields,
      secret_hash: hash('sha256', key, 'buffer'),
      signing_secret_sealed: signingSecret === undefined ? null : await deps.fields.encryptField(store.signingSecretContext(tenantId, id), signingSecret),
      created_by_type: creatorType(actor.principal),
      created_by: actor.actor.id ?? actor.userId,
      created_at: now,
      expires_at: new Date(now.getTime() + days * DAY_MS),
      rotated_to: null,
      retires_at: null,
      revoked_at: null,
      revoked_by: null,
      last_used_at: null,
      last_used_ip: null,
      // Computed by the store at the insert (issue 13).
      integrity_mac: null,
    };
    return { row, key, signingSecret };
  }

  /** Publishes a key change to every node's verification cache, and drops it here now. */
  async function changed(tx: Tx, keyId: string): Promise<void> {
    deps.forget(keyId);
    await deps.feed?.publish(tx as never, API_KEYS_TOPIC, keyId);
  }

  async function found(tenantId: string, keyId: string): Promise<ApiKeyRow> {
    const row = await transactor.withTenant(tenantId, (tx) => store.getKey(tx, integrity, tenantId, keyId));
    if (row === undefined) throw new AppError('not_found');
    return row;
  }

  return {
    create: async (actor, tenantId, input) => {
      if ((input.role === undefined) === (input.permissions === undefined)) throw invalid('/body', 'give either role or permissions');
      const permissions = [...new Set(input.role === undefined ? (input.permissions ?? []) : BUILT_IN_ROLES[input.role].permissions)];
      const days = lifetimeDays(input.expiresInDays);
      // Resolve the binding inside the organization: an environment names its project.
      const scope = await transactor.withTenant(tenantId, async (tx) => {
        if (input.environmentId !== undefined) {
          const env = await store.environmentProject(tx, tenantId, input.environmentId);
          if (env === undefined) throw invalid('/body/environment_id', 'no such environment in this organization');
          if (input.projectId !== undefined && input.projectId !== env.projectId) throw invalid('/body/project_id', 'is not the environment\u2019s project');
          return { projectId: env.projectId, environmentId: input.environmentId, kind: env.kind };
        }
        if (input.projectId !== undefined && !(await store.projectExists(tx, tenantId, input.projectId))) throw invalid('/body/project_id', 'no such project in this organization');
        return { projectId: input.projectId, environmentId: undefined, kind: undefined };
      });
      await requireHeld(actor, permissions, { tenantId, projectId: scope.projectId, environmentId: scope.environmentId });
      const mode: KeyMode = input.mode ?? (scope.kind === undefined || scope.kind === 'production' ? 'live' : 'test');
      const created = await mint(
        actor,
        tenantId,
        { name: input.name, mode, role: input.role ?? null, permissions, project_id: scope.projectId ?? null, environment_id: scope.environmentId ?? null, rotated_from: null },
        days,
        input.signing,
      );
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          await store.insertKey(tx, integrity, created.row);
          await audit.record(tx, tenantId, {
            action: 'api_key.created',
            actor: actor.actor,
            outcome: 'success',
            source: actor.source,
            targets: keyTargets(tenantId, created.row),
            metadata: {
              permissions: permissions.join(' '),
              role: input.role ?? null,
              project_id: created.row.project_id,
              environment_id: created.row.environment_id,
              mode,
              expires_at: created.row.expires_at.toISOString(),
              signing: input.signing,
            },
          });
        },
        actor.userId,
      );
      return created;
    },

    list: (tenantId, after, limit) => transactor.withTenant(tenantId, (tx) => store.listKeys(tx, integrity, tenantId, after, limit)),

    get: found,

    rotate: async (actor, tenantId, keyId, options) => {
      const old = await found(tenantId, keyId);
      const now = clock.now();
      if (old.revoked_at !== null || old.rotated_to !== null || old.expires_at <= now) throw new AppError('conflict', { detail: 'Only an active key that has not been rotated can be rotated.' });
      // The successor is a new key made by whoever rotates: they must hold what it will hold.
      await requireHeld(actor, old.permissions.filter(isPermission), { tenantId, projectId: old.project_id ?? undefined, environmentId: old.environment_id ?? undefined });
      const originalDays = Math.max(1, Math.round((old.expires_at.getTime() - old.created_at.getTime()) / DAY_MS));
      const days = lifetimeDays(options.expiresInDays ?? Math.min(originalDays, deps.maxDays));
      const overlapMs = (options.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;
      const successor = await mint(
        actor,
        tenantId,
        { name: old.name, mode: old.mode, role: old.role, permissions: old.permissions, project_id: old.project_id, environment_id: old.environment_id, rotated_from: old.id },
        days,
        old.signing_secret_sealed !== null,
      );
      const previous = await transactor.withTenant(
        tenantId,
        async (tx) => {
          const locked = await store.getKeyForUpdate(tx, integrity, tenantId, keyId);
          if (locked === undefined) throw new AppError('not_found');
          if (locked.revoked_at !== null || locked.rotated_to !== null) throw new AppError('conflict', { detail: 'Only an active key that has not been rotated can be rotated.' });
          const retiresAt = new Date(Math.min(now.getTime() + overlapMs, locked.expires_at.getTime()));
          await store.insertKey(tx, integrity, successor.row);
          await store.markRotated(tx, integrity, locked, successor.row.id, retiresAt);
          await changed(tx, keyId);
          await audit.record(tx, tenantId, {
            action: 'api_key.rotated',
            actor: actor.actor,
            outcome: 'success',
            source: actor.source,
            targets: [...keyTargets(tenantId, locked), { type: 'api_key', id: successor.row.id, name: successor.row.name }],
            metadata: { successor_id: successor.row.id, retires_at: retiresAt.toISOString(), overlap_seconds: Math.round(overlapMs / 1000), expires_at: successor.row.expires_at.toISOString() },
          });
          return { ...locked, rotated_to: successor.row.id, retires_at: retiresAt };
        },
        actor.userId,
      );
      return { successor, previous };
    },

    revoke: async (actor, tenantId, keyId) => {
      // Revoking takes away what the key holds: only someone holding all of it may (issue 14).
      const key = await found(tenantId, keyId);
      await requireHeld(actor, key.permissions.filter(isPermission), { tenantId: tenantId.toLowerCase(), projectId: key.project_id ?? undefined, environmentId: key.environment_id ?? undefined }, 'revoke');
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          const row = await store.getKeyForUpdate(tx, integrity, tenantId, keyId);
          if (row === undefined) throw new AppError('not_found');
          if (row.revoked_at !== null) return;
          await store.markRevoked(tx, integrity, row, actor.actor.id ?? actor.userId, clock.now());
          await changed(tx, keyId);
          await audit.record(tx, tenantId, { action: 'api_key.revoked', actor: actor.actor, outcome: 'success', source: actor.source, targets: keyTargets(tenantId, row) });
        },
        actor.userId,
      );
    },
  };
}
