import { sql } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { AuditAction } from '../audit/index.ts';
import { PLATFORM_TENANT_ID, SYSTEM_ACTOR, type AuditActor } from '../audit/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { ENCRYPTED_COLUMNS } from './encrypted-columns.ts';
import { createTenantKey, FieldDecryptionError, wrapContext, type FieldEncryption } from './field-encryption.ts';
import type { KeyProvider, ProviderDescription } from '../../platform/crypto/key-provider.ts';

export interface TenantKeyStatus {
  readonly tenantId: string;
  readonly versions: readonly {
    readonly version: number;
    readonly state: 'active' | 'retired' | 'destroyed';
    readonly primary: boolean;
    readonly rootVersion: string;
    readonly encryptions: number;
    /** Encrypted values that name this version. */
    readonly references: number;
  }[];
  /** Tenant key versions not yet rewrapped under the primary root version. */
  readonly pendingRewrap: number;
  /** Values under a non-primary version or the legacy `v1.` format, awaiting re-encryption. */
  readonly pendingReencrypt: number;
}

export interface KeyStatus {
  readonly provider: ProviderDescription;
  readonly primaryRoot: string;
  readonly tenants: readonly TenantKeyStatus[];
}

export interface KeyMaintenance {
  /** New tenant key version, primary at once (ENC-2); the job re-encrypts values and retires the old one. */
  rotateTenant(tenantId: string, actor?: AuditActor): Promise<number>;
  /** New root key version, primary at once; the job rewraps every tenant key under it. */
  rotateRoot(actor?: AuditActor): Promise<string>;
  /** Crypto-shreds one tenant key version: its wrapped material is deleted, its values unreadable. */
  destroyTenantVersion(tenantId: string, version: number, actor?: AuditActor): Promise<void>;
  /** One pass of the background job: rewrap, re-encrypt, retire, scheduled rotation. Returns work done. */
  pass(): Promise<number>;
  status(): Promise<KeyStatus>;
}

export interface MaintenanceOptions {
  /** Rotate a tenant key once its primary version is this old; 0 turns scheduled rotation off. */
  readonly rotationDays: number;
  /** How long other nodes may keep encrypting under a superseded version (their cache age). */
  readonly cacheMaxAgeMs: number;
  readonly batchSize: number;
}

const action = (name: Extract<AuditAction, `keys.${string}`>): AuditAction => name;

/** The values of one tenant that name `version` (or, with `otherThan`, anything but it). */
async function countValues(tx: Tx, tenantId: string, pattern: { version: number } | { otherThan: number | undefined }): Promise<number> {
  let total = 0;
  for (const { table, column } of ENCRYPTED_COLUMNS) {
    const col = sql.ref(column);
    const where =
      'version' in pattern
        ? sql`${col} like ${`pk1.${pattern.version}.%`}`
        : pattern.otherThan === undefined
          ? sql`${col} is not null`
          : sql`${col} is not null and ${col} not like ${`pk1.${pattern.otherThan}.%`}`;
    const result = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where tenant_id = ${tenantId} and ${where}`.execute(tx);
    total += result.rows[0]?.n ?? 0;
  }
  return total;
}

async function primaryVersion(tx: Tx, tenantId: string): Promise<{ version: number; created_at: Date } | undefined> {
  return tx.selectFrom('tenant_keys').select(['version', 'created_at']).where('tenant_id', '=', tenantId).where('state', '=', 'active').orderBy('version', 'desc').limit(1).executeTakeFirst();
}

/**
 * Rotation and the key maintenance job (ENC-2). Rotation makes a new version primary at once;
 * the job then, online and in small batches: rewraps tenant keys under the primary root version,
 * re-encrypts values still under an older tenant key version (compare-and-swap, so a concurrent
 * update wins), and retires a version once no value names it and every node's cache has moved on.
 */
export function createKeyMaintenance(deps: {
  transactor: AppTransactor;
  provider: KeyProvider;
  fields: FieldEncryption;
  audit: Pick<AuditRecorder, 'record'>;
  clock: Clock;
  options: MaintenanceOptions;
  /** Called after a version is destroyed (deletes its backup shred key, so older backups lose it too). */
  onDestroyed?: (tenantId: string, version: number) => void;
}): KeyMaintenance {
  const { transactor, provider, fields, audit, clock, options } = deps;

  const tenants = () => transactor.withJobs(async (tx) => (await sql<{ t: string }>`select parapet_key_tenants() as t`.execute(tx)).rows.map((r) => r.t));

  async function rotateTenant(tenantId: string, actor: AuditActor = SYSTEM_ACTOR): Promise<number> {
    const version = await transactor.withTenant(tenantId, async (tx) => {
      // Serialize rotations of one tenant on its newest row.
      const last = await tx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenantId).orderBy('version', 'desc').limit(1).forUpdate().executeTakeFirst();
      const next = (last?.version ?? 0) + 1;
      const key = await createTenantKey(tx, provider, tenantId, next, clock.now());
      key?.fill(0);
      await audit.record(tx, tenantId, { action: action('keys.tenant_key_rotated'), actor, outcome: 'success', targets: [{ type: 'tenant_key', id: String(next) }], metadata: { version: next } });
      return next;
    });
    fields.dropPrimary(tenantId);
    return version;
  }

  async function rewrap(tenantId: string, root: { version: string; since: Date }): Promise<number> {
    return transactor.withTenant(tenantId, async (tx) => {
      const rows = await tx
        .selectFrom('tenant_keys')
        .select(['version', 'root_version', 'wrapped'])
        .where('tenant_id', '=', tenantId)
        .where('state', '!=', 'destroyed')
        .where((eb) => eb.or([eb('root_version', '!=', root.version), eb('wrapped_at', '<', root.since)]))
        .orderBy('version')
        .limit(options.batchSize)
        .forUpdate()
        .execute();
      for (const row of rows) {
        if (row.wrapped === null) continue;
        const context = wrapContext(tenantId, row.version);
        const key = await provider.unwrap({ rootVersion: row.root_version, ciphertext: Buffer.from(row.wrapped) }, context);
        try {
          const wrapped = await provider.wrap(key, context);
          await tx.updateTable('tenant_keys').set({ root_version: wrapped.rootVersion, wrapped: wrapped.ciphertext, wrapped_at: clock.now() }).where('tenant_id', '=', tenantId).where('version', '=', row.version).execute();
        } finally {
          key.fill(0);
        }
      }
      return rows.length;
    });
  }

  async function reencrypt(tenantId: string): Promise<number> {
    const primary = await transactor.withTenant(tenantId, (tx) => primaryVersion(tx, tenantId));
    let done = 0;
    for (const { table, column, rowId } of ENCRYPTED_COLUMNS) {
      const col = sql.ref(column);
      const rows = await transactor.withTenant(tenantId, async (tx) => {
        const where = primary === undefined ? sql`${col} is not null` : sql`${col} is not null and ${col} not like ${`pk1.${primary.version}.%`}`;
        const result = await sql<{ id: string; value: string }>`select ${sql.ref(rowId)}::text as id, ${col} as value from ${sql.table(table)} where tenant_id = ${tenantId} and ${where} limit ${options.batchSize}`.execute(tx);
        return result.rows;
      });
      if (rows.length > 0 && primary !== undefined) fields.dropPrimary(tenantId);
      for (const row of rows) {
        const context = { tenantId, table, column, rowId: row.id };
        let fresh: string;
        try {
          fresh = await fields.encryptField(context, await fields.decryptField(context, row.value));
        } catch (error) {
          // A value under a destroyed version stays as it is: unreadable by design.
          if (error instanceof FieldDecryptionError) continue;
          throw error;
        }
        const updated = await transactor.withTenant(tenantId, (tx) =>
          sql`update ${sql.table(table)} set ${col} = ${fresh} where tenant_id = ${tenantId} and ${sql.ref(rowId)}::text = ${row.id} and ${col} = ${row.value}`.execute(tx),
        );
        if (Number(updated.numAffectedRows ?? 0) > 0) done += 1;
      }
    }
    return done;
  }

  async function retireAndSchedule(tenantId: string): Promise<number> {
    const now = clock.now();
    const retired = await transactor.withTenant(tenantId, async (tx) => {
      const primary = await primaryVersion(tx, tenantId);
      if (primary === undefined) return 0;
      // Nodes may encrypt under the old primary until their cache expires: wait that long first.
      if (now.getTime() - primary.created_at.getTime() < options.cacheMaxAgeMs) return 0;
      const old = await tx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenantId).where('state', '=', 'active').where('version', '<', primary.version).execute();
      let n = 0;
      for (const { version } of old) {
        if ((await countValues(tx, tenantId, { version })) > 0) continue;
        await tx.updateTable('tenant_keys').set({ state: 'retired', retired_at: now }).where('tenant_id', '=', tenantId).where('version', '=', version).where('state', '=', 'active').execute();
        await audit.record(tx, tenantId, { action: action('keys.tenant_key_retired'), actor: SYSTEM_ACTOR, outcome: 'success', targets: [{ type: 'tenant_key', id: String(version) }], metadata: { version } });
        n += 1;
      }
      return n;
    });
    let rotated = 0;
    if (options.rotationDays > 0) {
      const primary = await transactor.withTenant(tenantId, (tx) => primaryVersion(tx, tenantId));
      if (primary !== undefined && now.getTime() - primary.created_at.getTime() >= options.rotationDays * 86_400_000) {
        await rotateTenant(tenantId);
        rotated = 1;
      }
    }
    return retired + rotated;
  }

  return {
    rotateTenant,
    rotateRoot: async (actor = SYSTEM_ACTOR) => {
      const root = await provider.rotate();
      await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
        audit.record(tx, PLATFORM_TENANT_ID, { action: action('keys.root_rotated'), actor, outcome: 'success', targets: [{ type: 'root_key', id: root.version }], metadata: { provider: provider.kind } }),
      );
      return root.version;
    },
    destroyTenantVersion: async (tenantId, version, actor = SYSTEM_ACTOR) => {
      await transactor.withTenant(tenantId, async (tx) => {
        const destroyed = await tx
          .updateTable('tenant_keys')
          .set({ state: 'destroyed', wrapped: null, destroyed_at: clock.now() })
          .where('tenant_id', '=', tenantId)
          .where('version', '=', version)
          .where('state', '!=', 'destroyed')
          .returning('version')
          .executeTakeFirst();
        if (destroyed === undefined) throw new FieldDecryptionError('no such tenant key version to destroy');
        await audit.record(tx, tenantId, { action: action('keys.tenant_key_destroyed'), actor, outcome: 'success', targets: [{ type: 'tenant_key', id: String(version) }], metadata: { version } });
      });
      fields.evict(tenantId);
      deps.onDestroyed?.(tenantId, version);
    },
    pass: async () => {
      const root = await provider.primary();
      let work = 0;
      for (const tenantId of await tenants()) {
        work += await rewrap(tenantId, root);
        work += await reencrypt(tenantId);
        work += await retireAndSchedule(tenantId);
      }
      return work;
    },
    status: async () => {
      const root = await provider.primary();
      const list: TenantKeyStatus[] = [];
      for (const tenantId of await tenants()) {
        list.push(
          await transactor.withTenant(tenantId, async (tx) => {
            const rows = await tx.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('version').execute();
            const primary = await primaryVersion(tx, tenantId);
            const versions = [];
            for (const row of rows) {
              versions.push({ version: row.version, state: row.state, primary: row.version === primary?.version, rootVersion: row.root_version, encryptions: Number(row.encryptions), references: await countValues(tx, tenantId, { version: row.version }) });
            }
            const pendingRewrap = rows.filter((r) => r.state !== 'destroyed' && (r.root_version !== root.version || r.wrapped_at < root.since)).length;
            return { tenantId, versions, pendingRewrap, pendingReencrypt: await countValues(tx, tenantId, { otherThan: primary?.version }) };
          }),
        );
      }
      return { provider: await provider.describe(), primaryRoot: root.version, tenants: list };
    },
  };
}
