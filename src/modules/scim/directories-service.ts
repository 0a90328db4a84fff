import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { isUniqueViolation } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AccessService, Caller } from '../access/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import * as store from './scim-store.ts';

/** A SCIM bearer token: a recognisable prefix and 256 random bits. */
export const TOKEN_PREFIX = 'pscim_';

export interface DirectoryView {
  readonly id: string;
  readonly name: string;
  readonly defaultRole: string;
  readonly hasToken: boolean;
  readonly tokenIssuedAt: Date | null;
  readonly createdAt: Date;
  /** How many users and groups the identity provider has provisioned into this directory. */
  readonly provisioned: { readonly users: number; readonly groups: number };
}

export interface MappingView {
  readonly id: string;
  readonly groupName: string;
  readonly role: string;
  readonly createdAt: Date;
}

const NONE = { users: 0, groups: 0 } as const;
const toView = (row: store.DirectoryRow, provisioned: DirectoryView['provisioned'] = NONE): DirectoryView => ({ id: row.id, name: row.name, defaultRole: row.default_role, hasToken: row.token_hash !== null, tokenIssuedAt: row.token_issued_at, createdAt: row.created_at, provisioned });
/** The directory with its provisioned user and group counts (the console shows them). */
const viewWithCounts = async (tx: Tx, row: store.DirectoryRow): Promise<DirectoryView> => toView(row, await store.countProvisioned(tx, row.tenant_id, row.id));
const toMapping = (row: store.MappingRow): MappingView => ({ id: row.id, groupName: row.group_name, role: row.role, createdAt: row.created_at });

/**
 * The admin side of SCIM (issue 18 part 4): an organization's directories, each with one bearer
 * token shown once and stored as its SHA-256 digest, and the group-to-role mappings. Granting a role
 * through a directory (its default role, a mapping) takes holding that role's permissions, as
 * granting a binding does (AC-2).
 */
export function createDirectoriesService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: Pick<AuditRecorder, 'record'>; access: Pick<AccessService, 'assertGrantable'> }) {
  const { transactor, clock, random, audit } = deps;
  const newToken = (): { token: string; digest: Buffer } => {
    const token = `${TOKEN_PREFIX}${newSecretToken(random)}`;
    return { token, digest: digestToken(token) };
  };

  async function existing(tenantId: string, id: string): Promise<store.DirectoryRow> {
    const row = await transactor.withTenant(tenantId, (tx) => store.findDirectory(tx, tenantId, id));
    if (row === undefined) throw new AppError('not_found');
    return row;
  }

  return {
    create: async (by: Caller, tenantId: string, input: { name: string; defaultRole: string }): Promise<{ directory: DirectoryView; token: string }> => {
      await deps.access.assertGrantable(by, tenantId, input.defaultRole);
      const { token, digest } = newToken();
      const now = clock.now();
      const row: store.DirectoryRow = { tenant_id: tenantId, id: uuidv7(clock, random), name: input.name, default_role: input.defaultRole, token_hash: digest, token_issued_at: now, created_by: by.userId === '' ? null : by.userId, created_at: now };
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          await tx.insertInto('scim_directories').values(row).execute();
          await audit.record(tx, tenantId, { action: 'scim.directory_created', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'scim_directory', id: row.id, name: row.name }], metadata: { default_role: row.default_role } });
        },
        by.userId,
      );
      return { directory: toView(row), token };
    },

    list: async (tenantId: string): Promise<DirectoryView[]> =>
      transactor.withTenant(tenantId, async (tx) => {
        const views: DirectoryView[] = [];
        for (const row of await store.listDirectories(tx, tenantId)) views.push(await viewWithCounts(tx, row));
        return views;
      }),

    get: async (tenantId: string, id: string): Promise<DirectoryView> => {
      const row = await existing(tenantId, id);
      return transactor.withTenant(tenantId, (tx) => viewWithCounts(tx, row));
    },

    /** Issues a new token; the previous one stops working at once. */
    rotate: async (by: Caller, tenantId: string, id: string): Promise<{ directory: DirectoryView; token: string }> => {
      await existing(tenantId, id);
      const { token, digest } = newToken();
      const now = clock.now();
      const row = await transactor.withTenant(
        tenantId,
        async (tx) => {
          const updated = await tx.updateTable('scim_directories').set({ token_hash: digest, token_issued_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
          if (updated === undefined) throw new AppError('not_found');
          await audit.record(tx, tenantId, { action: 'scim.token_rotated', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'scim_directory', id }] });
          return viewWithCounts(tx, updated);
        },
        by.userId,
      );
      return { directory: row, token };
    },

    /** Revokes the token: the directory answers nothing until a new one is issued. */
    revoke: async (by: Caller, tenantId: string, id: string): Promise<DirectoryView> => {
      const row = await transactor.withTenant(
        tenantId,
        async (tx) => {
          const updated = await tx.updateTable('scim_directories').set({ token_hash: null, token_issued_at: null }).where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
          if (updated === undefined) throw new AppError('not_found');
          await audit.record(tx, tenantId, { action: 'scim.token_revoked', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'scim_directory', id }] });
          return viewWithCounts(tx, updated);
        },
        by.userId,
      );
      return row;
    },

    /** Deletes the directory, its users, groups and mappings; the members it provisioned stay members. */
    remove: async (by: Caller, tenantId: string, id: string): Promise<void> => {
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          const deleted = await tx.deleteFrom('scim_directories').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
          if (deleted.numDeletedRows === 0n) throw new AppError('not_found');
          await audit.record(tx, tenantId, { action: 'scim.directory_deleted', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'scim_directory', id }] });
        },
        by.userId,
      );
    },

    mappings: async (tenantId: string, id: string): Promise<MappingView[]> => {
      await existing(tenantId, id);
      return (await transactor.withTenant(tenantId, (tx) => store.listMappings(tx, tenantId, id))).map(toMapping);
    },

    addMapping: async (by: Caller, tenantId: string, id: string, input: { groupName: string; role: string }): Promise<MappingView> => {
      await existing(tenantId, id);
      await deps.access.assertGrantable(by, tenantId, input.role);
      const row: store.MappingRow = { tenant_id: tenantId, directory_id: id, id: uuidv7(clock, random), group_name: input.groupName, role: input.role, created_at: clock.now() };
      try {
        await transactor.withTenant(
          tenantId,
          async (tx) => {
            const taken = await store.rolesOfGroupNames(tx, tenantId, id, [input.groupName]);
            if (taken.includes(input.role)) throw new AppError('scim_mapping_exists');
            await tx.insertInto('scim_group_roles').values(row).execute();
            await audit.record(tx, tenantId, { action: 'scim.group_role_mapped', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'scim_directory', id }, { type: 'role', id: input.role }], metadata: { group: input.groupName.slice(0, 100) } });
          },
          by.userId,
        );
      } catch (error) {
        // The same mapping added concurrently: the unique index decides.
        if (isUniqueViolation(error)) throw new AppError('scim_mapping_exists', { cause: error });
        throw error;
      }
      return toMapping(row);
    },

    removeMapping: async (by: Caller, tenantId: string, id: string, mappingId: string): Promise<void> => {
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          const deleted = await tx.deleteFrom('scim_group_roles').where('tenant_id', '=', tenantId).where('directory_id', '=', id).where('id', '=', mappingId).executeTakeFirst();
          if (deleted.numDeletedRows === 0n) throw new AppError('not_found');
          await audit.record(tx, tenantId, { action: 'scim.group_role_unmapped', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'scim_directory', id }, { type: 'scim_group_role', id: mappingId }] });
        },
        by.userId,
      );
    },
  };
}

export type DirectoriesService = ReturnType<typeof createDirectoriesService>;
