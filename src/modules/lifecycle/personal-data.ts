import type { AppTransactor } from '../../database.ts';
import { list, maybe, obj, str, time, uuid, type JsonSchema } from '../../platform/json-schema.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { eraseUserBindings } from '../access/index.ts';
import { deleteMembership } from '../tenants/index.ts';
import { accessReads } from '../access/index.ts';
import { auditReads } from '../audit/index.ts';
import { identityReads } from '../identity/index.ts';
import { tenancy } from '../tenants/index.ts';
import { AppError } from '../../platform/http/errors.ts';

/**
 * The export format's version (`schema_version` in every export; docs/data-export.schema.json).
 * 2: API keys and access requests left `organizations` for their own modules' sections.
 */
export const EXPORT_SCHEMA_VERSION = 2;

/** Audit events per log included in an export (newest first); `truncated` says when there were more. */
export const EXPORT_AUDIT_LIMIT = 1000;

/** A section of the export: its key and JSON Schema, declared statically so the published schema needs no database. */
export interface PersonalDataSection {
  /** Top-level key of the section in the export (snake_case, unique). */
  readonly section: string;
  /** JSON Schema (draft-07) of the section; becomes part of docs/data-export.schema.json. */
  readonly schema: JsonSchema;
  /**
   * The tables whose rows about the user this section exports (the coverage test checks every
   * table that names a user is here or deliberately excluded, `personal-data-exclusions.ts`).
   */
  readonly tables: readonly string[];
}

/**
 * What a module holds about a person (DATA-2, DATA-3). Every module with per-user data (passkeys,
 * MFA factors, refresh-token families, invitations, API keys, access requests) registers one: its
 * section appears in every export and its schema in the published one, and `erase` runs when the
 * account is purged.
 */
export interface PersonalDataContributor extends PersonalDataSection {
  /** Everything the module holds about the user, as JSON. Never secrets: no hashes, seeds, keys or tokens. */
  collect(userId: string, memberships: readonly { readonly tenantId: string }[]): Promise<unknown>;
  /**
   * Removes the user's rows after the deletion grace period, at most `batchSize` per statement;
   * called until it returns less than `batchSize`. Rows that cascade from `users` need nothing here.
   */
  readonly erase?: (userId: string, memberships: readonly { readonly tenantId: string }[], batchSize: number) => Promise<number>;
}

const auditLog = obj({ log: uuid, truncated: { type: 'boolean' }, events: list({ type: 'object', required: ['id', 'action', 'occurred_at'], properties: { id: uuid, action: str, occurred_at: time } }) });

/** The JSON Schemas of the sections Parapet's own tables contribute (scripts/export-schema.ts publishes them). */
export const BUILT_IN_SCHEMAS = {
  profile: obj({ id: uuid, email: str, display_name: str, is_platform_admin: { type: 'boolean' }, created_at: time, updated_at: time, disabled_at: maybe(time) }),
  sessions: list(obj({ id: uuid, auth_methods: list(str), created_at: time, last_seen_at: time, absolute_expires_at: time, ip: maybe(str), user_agent: maybe(str), revoked_at: maybe(time), revoked_reason: maybe(str) })),
  organizations: list(
        obj({
          id: uuid,
          name: str,
          role: str,
          joined_at: time,
          bindings: list(obj({ id: uuid, role: str, project_id: maybe(uuid), environment_id: maybe(uuid), expires_at: maybe(time), created_at: time })),
        }),
      ),
  audit_events: list(auditLog),
} as const;

/** The tables each built-in section reads. */
const BUILT_IN_TABLES: Readonly<Record<keyof typeof BUILT_IN_SCHEMAS, readonly string[]>> = {
  profile: ['users'],
  sessions: ['sessions'],
  organizations: ['memberships', 'role_bindings'],
  audit_events: ['audit_events'],
};

const builtIn = (section: keyof typeof BUILT_IN_SCHEMAS): PersonalDataSection => ({ section, schema: BUILT_IN_SCHEMAS[section], tables: BUILT_IN_TABLES[section] });

/** The built-in sections without their collectors (scripts/export-schema.ts). */
export const BUILT_IN_SECTIONS: readonly PersonalDataSection[] = (['profile', 'sessions', 'organizations', 'audit_events'] as const).map(builtIn);

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

async function actorEvents(transactor: AppTransactor, tenantId: string, userId: string) {
  return transactor.withTenant(tenantId, async (tx) => {
    const rows = await auditReads.actorEntries(tx, tenantId, userId, EXPORT_AUDIT_LIMIT + 1);
    return { log: tenantId, truncated: rows.length > EXPORT_AUDIT_LIMIT, events: rows.slice(0, EXPORT_AUDIT_LIMIT).map((canonical) => JSON.parse(Buffer.from(canonical).toString('utf8')) as unknown) };
  });
}

/** The sections Parapet's own tables contribute. */
export function builtInContributors(deps: { transactor: AppTransactor }): PersonalDataContributor[] {
  const { transactor } = deps;
  return [
    {
      ...builtIn('profile'),
      collect: async (userId) => {
        const user = await transactor.withPlatform((tx) => identityReads.profileOf(tx, userId));
        return { ...user, created_at: iso(user.created_at), updated_at: iso(user.updated_at), disabled_at: iso(user.disabled_at) };
      },
    },
    {
      ...builtIn('sessions'),
      collect: async (userId) =>
        (
          await transactor.withPlatform((tx) => identityReads.sessionsOf(tx, userId))
        ).map((s) => ({ ...s, created_at: iso(s.created_at), last_seen_at: iso(s.last_seen_at), absolute_expires_at: iso(s.absolute_expires_at), revoked_at: iso(s.revoked_at) })),
    },
    {
      ...builtIn('organizations'),
      collect: async (userId, memberships) => {
        const out = [];
        for (const { tenantId } of memberships) {
          out.push(
            await transactor.withTenant(tenantId, async (tx) => {
              const member = await tenancy.membershipOf(tx, tenantId, userId);
              // A membership ended while the export ran: ask for a fresh export rather than a partial one.
              if (member === undefined) throw new AppError('conflict', { detail: 'Your organizations changed while the export ran; ask for it again.' });
              const bindings = await accessReads.userBindingsOf(tx, tenantId, userId);
              return {
                id: tenantId,
                name: member.organizationName,
                role: member.role,
                joined_at: member.createdAt.toISOString(),
                bindings: bindings.map((b) => ({ id: b.id, role: b.built_in_role ?? b.custom_role_id ?? '', project_id: b.project_id, environment_id: b.environment_id, expires_at: iso(b.expires_at), created_at: b.created_at.toISOString() })),
              };
            }),
          );
        }
        return out;
      },
      // Memberships and the user's role bindings go one organization at a time (access snapshots are dropped by the caller).
      erase: async (userId, memberships, batchSize) => {
        let removed = 0;
        for (const { tenantId } of memberships) {
          removed += await transactor.withTenant(tenantId, async (tx) => {
            const n = await eraseUserBindings(tx, tenantId, userId, batchSize);
            if (n < batchSize) await deleteMembership(tx, tenantId, userId);
            return n;
          });
        }
        return removed;
      },
    },
    {
      ...builtIn('audit_events'),
      collect: async (userId, memberships) => {
        const logs = [PLATFORM_TENANT_ID, ...memberships.map((m) => m.tenantId)];
        const out = [];
        for (const log of logs) out.push(await actorEvents(transactor, log, userId));
        return out;
      },
    },
  ];
}

/** The JSON Schema (draft-07) of an export with these sections; docs/data-export.schema.json is this for the built-in ones. */
export function exportSchema(contributors: readonly Pick<PersonalDataSection, 'section' | 'schema'>[]): JsonSchema {
  const sections = Object.fromEntries(contributors.map((c) => [c.section, c.schema]));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://parapet.dev/schemas/data-export/v${EXPORT_SCHEMA_VERSION}.json`,
    title: 'Parapet personal data export',
    description: 'Everything Parapet holds about one user (DATA-2). Secrets (password hashes, token hashes, key material) are never included.',
    type: 'object',
    additionalProperties: false,
    required: ['schema_version', 'generated_at', 'user_id', 'deletion', ...contributors.map((c) => c.section)],
    properties: {
      schema_version: { const: EXPORT_SCHEMA_VERSION },
      generated_at: time,
      user_id: uuid,
      deletion: maybe(obj({ requested_at: time, purge_after: time })),
      ...sections,
    },
  };
}
