import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';

/** The export format's version (`schema_version` in every export; docs/data-export.schema.json). */
export const EXPORT_SCHEMA_VERSION = 1;

/** Audit events per log included in an export (newest first); `truncated` says when there were more. */
export const EXPORT_AUDIT_LIMIT = 1000;

type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * What a module holds about a person (DATA-2, DATA-3). Modules with per-user data (MFA factors,
 * passkeys, refresh-token families, invitations) register one: its section appears in every export
 * and its schema in the published one, and `erase` runs when the account is purged.
 */
export interface PersonalDataContributor {
  /** Top-level key of the section in the export (snake_case, unique). */
  readonly section: string;
  /** JSON Schema (draft-07) of the section; becomes part of docs/data-export.schema.json. */
  readonly schema: JsonSchema;
  /** Everything the module holds about the user, as JSON. Never secrets: no hashes, seeds, keys or tokens. */
  collect(userId: string, memberships: readonly { readonly tenantId: string }[]): Promise<unknown>;
  /**
   * Removes the user's rows after the deletion grace period, at most `batchSize` per statement;
   * called until it returns less than `batchSize`. Rows that cascade from `users` need nothing here.
   */
  readonly erase?: (userId: string, memberships: readonly { readonly tenantId: string }[], batchSize: number) => Promise<number>;
}

const str = { type: 'string' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const maybe = (schema: JsonSchema) => ({ anyOf: [schema, { type: 'null' }] });
const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)) => ({ type: 'object', additionalProperties: false, required, properties });
const list = (items: JsonSchema) => ({ type: 'array', items });

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
          api_keys_created: list(obj({ id: uuid, name: str, mode: str, permissions: list(str), created_at: time, expires_at: time, revoked_at: maybe(time), last_used_at: maybe(time) })),
          access_requests: list(obj({ id: uuid, role: str, reason: str, status: str, duration_minutes: { type: 'integer' }, break_glass: { type: 'boolean' }, created_at: time, decided_at: maybe(time) })),
        }),
      ),
  audit_events: list(auditLog),
} as const;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

async function actorEvents(transactor: AppTransactor, tenantId: string, userId: string) {
  return transactor.withTenant(tenantId, async (tx) => {
    const rows = await tx.selectFrom('audit_events').select('canonical').where('tenant_id', '=', tenantId).where('actor_id', '=', userId).orderBy('seq', 'desc').limit(EXPORT_AUDIT_LIMIT + 1).execute();
    return { log: tenantId, truncated: rows.length > EXPORT_AUDIT_LIMIT, events: rows.slice(0, EXPORT_AUDIT_LIMIT).map((r) => JSON.parse(Buffer.from(r.canonical).toString('utf8')) as unknown) };
  });
}

/** The sections Parapet's own tables contribute. */
export function builtInContributors(deps: { transactor: AppTransactor }): PersonalDataContributor[] {
  const { transactor } = deps;
  return [
    {
      section: 'profile',
      schema: BUILT_IN_SCHEMAS.profile,
      collect: async (userId) => {
        const user = await transactor.withPlatform((tx) => tx.selectFrom('users').select(['id', 'email', 'display_name', 'is_platform_admin', 'created_at', 'updated_at', 'disabled_at']).where('id', '=', userId).executeTakeFirstOrThrow());
        return { ...user, created_at: iso(user.created_at), updated_at: iso(user.updated_at), disabled_at: iso(user.disabled_at) };
      },
    },
    {
      section: 'sessions',
      schema: BUILT_IN_SCHEMAS.sessions,
      collect: async (userId) =>
        (
          await transactor.withPlatform((tx) =>
            tx.selectFrom('sessions').select(['id', 'auth_methods', 'created_at', 'last_seen_at', 'absolute_expires_at', 'ip', 'user_agent', 'revoked_at', 'revoked_reason']).where('user_id', '=', userId).orderBy('created_at').execute(),
          )
        ).map((s) => ({ ...s, created_at: iso(s.created_at), last_seen_at: iso(s.last_seen_at), absolute_expires_at: iso(s.absolute_expires_at), revoked_at: iso(s.revoked_at) })),
    },
    {
      section: 'organizations',
      schema: BUILT_IN_SCHEMAS.organizations,
      collect: async (userId, memberships) => {
        const out = [];
        for (const { tenantId } of memberships) {
          out.push(
            await transactor.withTenant(tenantId, async (tx) => {
              const org = await tx.selectFrom('organizations').select(['id', 'name']).where('id', '=', tenantId).executeTakeFirstOrThrow();
              const member = await tx.selectFrom('memberships').select(['role', 'created_at']).where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirstOrThrow();
              const bindings = await tx.selectFrom('role_bindings').select(['id', 'built_in_role', 'custom_role_id', 'project_id', 'environment_id', 'expires_at', 'created_at']).where('tenant_id', '=', tenantId).where('principal_type', '=', 'user').where('principal_id', '=', userId).orderBy('id').execute();
              const keys = await tx.selectFrom('api_keys').select(['id', 'name', 'mode', 'permissions', 'created_at', 'expires_at', 'revoked_at', 'last_used_at']).where('tenant_id', '=', tenantId).where('created_by_type', '=', 'user').where('created_by', '=', userId).orderBy('id').execute();
              const requests = await tx
                .selectFrom('access_requests')
                .select(['id', 'role', 'reason', 'status', 'duration_minutes', 'break_glass', 'created_at', 'decided_at'])
                .where('tenant_id', '=', tenantId)
                .where((eb) => eb.or([eb('requester_id', '=', userId), eb('principal_id', '=', userId)]))
                .orderBy('id')
                .execute();
              return {
                id: org.id,
                name: org.name,
                role: member.role,
                joined_at: member.created_at.toISOString(),
                bindings: bindings.map((b) => ({ id: b.id, role: b.built_in_role ?? b.custom_role_id ?? '', project_id: b.project_id, environment_id: b.environment_id, expires_at: iso(b.expires_at), created_at: b.created_at.toISOString() })),
                api_keys_created: keys.map((k) => ({ ...k, created_at: k.created_at.toISOString(), expires_at: k.expires_at.toISOString(), revoked_at: iso(k.revoked_at), last_used_at: iso(k.last_used_at) })),
                access_requests: requests.map((r) => ({ ...r, created_at: r.created_at.toISOString(), decided_at: iso(r.decided_at) })),
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
            const bindings = await sql`delete from role_bindings where ctid = any(array(select ctid from role_bindings where tenant_id = ${tenantId} and principal_type = 'user' and principal_id = ${userId} limit ${batchSize}))`.execute(tx);
            const n = Number(bindings.numAffectedRows ?? 0n);
            if (n < batchSize) await tx.deleteFrom('memberships').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
            return n;
          });
        }
        return removed;
      },
    },
    {
      section: 'audit_events',
      schema: BUILT_IN_SCHEMAS.audit_events,
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
export function exportSchema(contributors: readonly Pick<PersonalDataContributor, 'section' | 'schema'>[]): JsonSchema {
  const sections = Object.fromEntries(contributors.map((c) => [c.section, c.schema]));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://parapet.dev/schemas/data-export/v1.json',
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
