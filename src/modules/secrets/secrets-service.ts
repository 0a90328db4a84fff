import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { FieldDecryptionError, type FieldEncryption } from '../keys/index.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { SYSTEM_ACTOR, type AuditContext, type AuditTarget } from '../audit/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { SecretLayerError, type SecretLayer, type SecretLayerContext } from './secret-layer.ts';
import * as store from './secrets-store.ts';

/** ENC-4: names are environment-variable style, so they carry no data of their own. */
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
/** The largest value, in UTF-8 bytes (a PEM bundle or a service-account JSON fits). */
export const MAX_SECRET_BYTES = 65_536;

export type SecretRow = store.SecretRow;
export type SecretVersionMeta = store.SecretVersionMeta;

/** The environment a secret lives in; `projectId`, when given, must be the environment's project. */
export interface SecretScope {
  readonly tenantId: string;
  readonly projectId?: string | undefined;
  readonly environmentId: string;
}

export interface SecretValue {
  readonly secret: SecretRow;
  readonly version: number;
  readonly value: string;
  readonly createdAt: Date;
}

export interface SecretsService {
  /** Live secrets of an environment (metadata only: a value never leaves except through `readValue`). */
  list(scope: SecretScope, after: string | undefined, limit: number): Promise<SecretRow[]>;
  get(scope: SecretScope, name: string): Promise<SecretRow>;
  /** Stores `value` as the secret's next version, creating the secret on its first value. */
  set(actor: AuditContext, scope: SecretScope, name: string, value: string): Promise<{ secret: SecretRow; created: boolean }>;
  versions(scope: SecretScope, name: string, after: string | undefined, limit: number): Promise<{ secret: SecretRow; versions: SecretVersionMeta[] }>;
  /** Decrypts one version (default: the current one); every call is audited as `secret.value_read`. */
  readValue(actor: AuditContext, scope: SecretScope, name: string, options?: { version?: number | undefined; reason?: string | undefined }): Promise<SecretValue>;
  /** Soft delete: gone from lists and reads; its versions stay until retention purges them. */
  delete(actor: AuditContext, scope: SecretScope, name: string): Promise<void>;
  /** Retention entry point (DATA-1): see `purgeSecretVersionsOlderThan` in secrets-store.ts. */
  purgeVersionsOlderThan(tenantId: string, cutoff: Date): Promise<{ versions: number; secrets: number }>;
}

function checkName(name: string): void {
  // The name is never echoed: a mistyped value pasted into the name field must not come back.
  if (!SECRET_NAME.test(name)) throw new AppError('invalid_secret_name', { detail: 'A secret name has 1 to 128 characters A-Z, 0-9 and _, and does not start with a digit.' });
}

function checkValue(value: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0) throw new AppError('invalid_request', { errors: [{ pointer: '/body/value', detail: 'must not be empty' }] });
  if (bytes > MAX_SECRET_BYTES) throw new AppError('secret_too_large', { detail: `A secret value is at most ${MAX_SECRET_BYTES} bytes (UTF-8).` });
}

function secretTargets(scope: { tenantId: string }, secret: Pick<SecretRow, 'id' | 'name'>): AuditTarget[] {
  return [
    { type: 'organization', id: scope.tenantId },
    { type: 'secret', id: secret.id, name: secret.name },
  ];
}

const where = (secret: Pick<SecretRow, 'project_id' | 'environment_id'>) => ({ project_id: secret.project_id, environment_id: secret.environment_id });

/**
 * The secrets vault (ENC-4). Values are encrypted twice before storage: the secrets layer
 * (secret-layer.ts, a keyring-derived key bound to tenant, environment and name), then the
 * tenant envelope (`fields.encryptField`, bound to the version's row). Both run outside any
 * transaction, as field encryption requires. Callers authorize first (routes, or the CLI operator).
 */
export function createSecretsService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: Pick<AuditRecorder, 'record'>;
  fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'>;
  layer: SecretLayer;
}): SecretsService {
  const { transactor, clock, random, audit, fields, layer } = deps;

  /** The environment's project, or not_found (also for an environment of another project). */
  async function inScope(tx: Tx, scope: SecretScope): Promise<string> {
    const projectId = await store.environmentProject(tx, scope.tenantId, scope.environmentId);
    if (projectId === undefined || (scope.projectId !== undefined && scope.projectId !== projectId)) throw new AppError('not_found');
    return projectId;
  }

  async function found(tx: Tx, scope: SecretScope, name: string, lock = false): Promise<SecretRow> {
    await inScope(tx, scope);
    const secret = await store.liveSecret(tx, scope.tenantId, scope.environmentId, name, lock);
    if (secret === undefined) throw new AppError('not_found');
    return secret;
  }

  const layerContext = (scope: SecretScope, name: string, secretId: string, versionId: string): SecretLayerContext => ({ tenantId: scope.tenantId, environmentId: scope.environmentId, name, secretId, versionId });

  return {
    list: async (scope, after, limit) =>
      transactor.withTenant(scope.tenantId, async (tx) => {
        await inScope(tx, scope);
        return store.listSecrets(tx, scope.tenantId, scope.environmentId, after, limit);
      }),

    get: (scope, name) => {
      checkName(name);
      return transactor.withTenant(scope.tenantId, (tx) => found(tx, scope, name));
    },

    set: async (actor, scope, name, value) => {
      checkName(name);
      checkValue(value);
      let planned: string | undefined;
      // The ids are bound into both layers, so they are chosen before encrypting; if another
      // writer created or deleted the secret meanwhile, encrypt again for what is there now.
      for (let attempt = 0; attempt < 5; attempt++) {
        const existing = await transactor.withTenant(scope.tenantId, async (tx) => {
          await inScope(tx, scope);
          return (await store.liveSecret(tx, scope.tenantId, scope.environmentId, name))?.id;
        });
        const secretId = existing ?? (planned ??= uuidv7(clock, random));
        const versionId = uuidv7(clock, random);
        const inner = layer.seal(value, layerContext(scope, name, secretId, versionId));
        const outer = await fields.encryptField(store.valueFieldContext(scope.tenantId, versionId), inner);
        const result = await transactor.withTenant(
          scope.tenantId,
          async (tx) => {
            const projectId = await inScope(tx, scope);
            const now = clock.now();
            const live = await store.liveSecret(tx, scope.tenantId, scope.environmentId, name, true);
            if (live === undefined ? existing !== undefined : live.id !== secretId) return undefined;
            let secret: SecretRow;
            if (live === undefined) {
              secret = { tenant_id: scope.tenantId, id: secretId, project_id: projectId, environment_id: scope.environmentId, name, current_version: 1, created_at: now, updated_at: now, deleted_at: null, deleted_by: null };
              if (!(await store.insertSecret(tx, secret))) return undefined;
            } else {
              secret = { ...live, current_version: live.current_version + 1, updated_at: now };
            }
            await store.insertVersion(tx, {
              tenant_id: scope.tenantId,
              secret_id: secretId,
              id: versionId,
              version: secret.current_version,
              value_encrypted: outer,
              created_at: now,
              created_by_type: actor.actor.type,
              created_by: actor.actor.id,
              superseded_at: null,
            });
            if (live !== undefined) await store.advance(tx, scope.tenantId, secretId, secret.current_version, now);
            // Never the value, nor its length.
            await audit.record(tx, scope.tenantId, {
              action: 'secret.version_created',
              actor: actor.actor,
              outcome: 'success',
              source: actor.source,
              targets: secretTargets(scope, secret),
              metadata: { ...where(secret), version: secret.current_version, created: live === undefined },
            });
            return { secret, created: live === undefined };
          },
          actor.userId,
        );
        if (result !== undefined) return result;
      }
      throw new AppError('conflict', { detail: 'The secret changed while it was being written; try again.' });
    },

    versions: async (scope, name, after, limit) => {
      checkName(name);
      return transactor.withTenant(scope.tenantId, async (tx) => {
        const secret = await found(tx, scope, name);
        return { secret, versions: await store.listVersions(tx, scope.tenantId, secret.id, after, limit) };
      });
    },

    readValue: async (actor, scope, name, options = {}) => {
      checkName(name);
      const { secret, row } = await transactor.withTenant(scope.tenantId, async (tx) => {
        const live = await found(tx, scope, name);
        const version = await store.getVersion(tx, scope.tenantId, live.id, options.version ?? live.current_version);
        if (version === undefined) throw new AppError('not_found');
        return { secret: live, row: version };
      });
      const record = (outcome: 'success' | 'failure') =>
        transactor.withTenant(
          scope.tenantId,
          (tx) =>
            audit.record(tx, scope.tenantId, {
              action: 'secret.value_read',
              actor: actor.actor,
              outcome,
              source: actor.source,
              targets: secretTargets(scope, secret),
              metadata: { ...where(secret), version: row.version, reason: options.reason ?? null },
            }),
          actor.userId,
        );
      let value: string;
      try {
        const inner = await fields.decryptField(store.valueFieldContext(scope.tenantId, row.id), row.value_encrypted);
        value = layer.open(inner, layerContext(scope, secret.name, secret.id, row.id));
      } catch (error) {
        if (!(error instanceof FieldDecryptionError) && !(error instanceof SecretLayerError)) throw error;
        await record('failure');
        throw new AppError('secret_unreadable');
      }
      // The read is on the record before the value leaves.
      await record('success');
      return { secret, version: row.version, value, createdAt: row.created_at };
    },

    delete: async (actor, scope, name) => {
      checkName(name);
      await transactor.withTenant(
        scope.tenantId,
        async (tx) => {
          const secret = await found(tx, scope, name, true);
          await store.softDelete(tx, scope.tenantId, secret.id, actor.actor.id, clock.now());
          await audit.record(tx, scope.tenantId, {
            action: 'secret.deleted',
            actor: actor.actor,
            outcome: 'success',
            source: actor.source,
            targets: secretTargets(scope, secret),
            metadata: { ...where(secret), versions: secret.current_version },
          });
        },
        actor.userId,
      );
    },

    purgeVersionsOlderThan: (tenantId, cutoff) =>
      transactor.withTenant(tenantId, async (tx) => {
        const purged = await store.purgeSecretVersionsOlderThan(tx, tenantId, cutoff);
        if (purged.versions > 0 || purged.secrets > 0) {
          await audit.record(tx, tenantId, {
            action: 'secret.versions_purged',
            actor: SYSTEM_ACTOR,
            outcome: 'success',
            targets: [{ type: 'organization', id: tenantId }],
            metadata: { versions: purged.versions, secrets: purged.secrets, cutoff: cutoff.toISOString() },
          });
        }
        return purged;
      }),
  };
}
