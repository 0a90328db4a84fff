import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { AppTransactor } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/index.ts';
import { forgetShredKey } from '../../platform/backup/backup-keys.ts';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { createAwsKmsKeyProvider } from '../../platform/crypto/aws-kms-key-provider.ts';
import { createFieldEncryption, type FieldEncryption } from './field-encryption.ts';
import { createKeyMaintenance, type KeyMaintenance } from './key-maintenance.ts';
import type { KeyProvider } from '../../platform/crypto/key-provider.ts';
import { observedProvider, type ProviderErrorListener } from './observed-provider.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import { createLocalKeyProvider } from '../../platform/crypto/local-key-provider.ts';
import type { Random } from '../../platform/crypto/random.ts';
import { createSealer } from '../../platform/crypto/seal.ts';
import { createShredRegister, type ShredRegister } from '../../platform/crypto/shred-register.ts';
import { SYSTEM_ACTOR, type AuditActor } from '../audit/index.ts';

export type { FieldEncryption, FieldContext } from './field-encryption.ts';
export type { KeyMaintenance, KeyStatus } from './key-maintenance.ts';
export type { KeyProvider } from '../../platform/crypto/key-provider.ts';

/** Advisory-lock key of the key maintenance leader (audit jobs use 7450104022 and …23). */
export const KEY_MAINTENANCE_LOCK_KEY = 7450104031;

/** The key provider the configuration names (ENC-2). */
export function keyProviderFor(config: Config, keyring: Keyring, options: { persist: boolean }): KeyProvider {
  if (config.keyProvider === 'aws-kms') {
    return createAwsKmsKeyProvider({
      keyId: config.awsKmsKeyId ?? '',
      region: config.awsRegion,
      ...(config.awsKmsEndpoint === undefined ? {} : { endpoint: config.awsKmsEndpoint }),
    });
  }
  return createLocalKeyProvider({ keyring, ...(options.persist ? { path: config.keyringPath } : {}) });
}

/** Field encryption and key maintenance, built once per process. */
export interface Keys {
  readonly provider: KeyProvider;
  readonly fields: FieldEncryption;
  readonly maintenance: KeyMaintenance;
  /**
   * DATA-3 crypto-shredding of a whole tenant: lists it in the shred register (outside the
   * database, so restored backups stay unreadable), then destroys every key version in the
   * database and drops them from memory. Idempotent.
   */
  destroy(tenantId: string, actor?: AuditActor): Promise<void>;
  /** Calls `listener` on each failed call of the root key provider (IR-5: the alerts module's key_provider_error rule). */
  onProviderError(listener: ProviderErrorListener): void;
}

export function createKeys(deps: { config: Config; transactor: AppTransactor; provider: KeyProvider; keyring: Keyring; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; shredded?: ShredRegister }): Keys {
  const { config, transactor, clock, random } = deps;
  const errorListeners: ProviderErrorListener[] = [];
  const provider = observedProvider(deps.provider, errorListeners);
  const shredded = deps.shredded ?? createShredRegister();
  const cacheMaxAgeMs = config.keyCacheSeconds * 1000;
  const fields = createFieldEncryption({
    transactor,
    provider,
    clock,
    random,
    limits: { cacheMaxAgeMs, cacheMaxUses: config.keyCacheUses, maxEncryptionsPerKey: config.keyMaxEncryptions },
    // Values sealed before envelope encryption (`v1.`) still open; the job rewrites them.
    legacy: createSealer(deps.keyring),
    isShredded: (tenantId) => shredded.has(tenantId),
  });
  const maintenance = createKeyMaintenance({
    transactor,
    provider,
    fields,
    audit: deps.audit,
    clock,
    options: { rotationDays: config.keyRotationDays, cacheMaxAgeMs, batchSize: 200 },
    // ENC-5: a destroyed version must not come back from a backup taken before.
    onDestroyed: (tenantId, version) => {
      forgetShredKey(config.backupKeysPath, tenantId, version);
    },
  });
  const destroy = async (tenantId: string, actor: AuditActor = SYSTEM_ACTOR): Promise<void> => {
    shredded.add(tenantId, clock.now());
    const versions = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenantId).where('state', '!=', 'destroyed').execute());
    for (const { version } of versions) await maintenance.destroyTenantVersion(tenantId, version, actor);
    fields.evict(tenantId);
  };
  return { provider, fields, maintenance, destroy, onProviderError: (listener) => { errorListeners.push(listener); } };
}

/** Runs key maintenance (rewrap, re-encrypt, retire, scheduled rotation) on one node at a time. */
export function startKeyMaintenanceLoop<DB>(deps: { db: Database<DB>; maintenance: KeyMaintenance; logger: Pick<Logger, 'info' | 'error'>; idleMs?: number }): () => Promise<void> {
  return startLeaderLoop({
    db: deps.db,
    lockKey: KEY_MAINTENANCE_LOCK_KEY,
    name: 'key maintenance',
    logger: deps.logger,
    pass: () => deps.maintenance.pass(),
    idleMs: deps.idleMs ?? 60_000,
  });
}
