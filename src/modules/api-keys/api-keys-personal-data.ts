import type { AppTransactor } from '../../database.ts';
import { isoOrNull, list, maybe, obj, str, time, uuid } from '../../platform/json-schema.ts';
import type { PersonalDataContributor, PersonalDataSection } from '../lifecycle/index.ts';
import { keyPrefix } from './key-format.ts';

/**
 * The `api_keys` section of the personal data export (DATA-2): the API keys the user created, in
 * the organizations they belong to, with their public prefix. Never the key, its hash, or its
 * signing secret.
 */
export const API_KEYS_SECTION: PersonalDataSection = {
  section: 'api_keys',
  schema: list(
    obj({
      organization_id: uuid,
      id: uuid,
      name: str,
      prefix: str,
      mode: { enum: ['live', 'test'] },
      role: maybe(str),
      permissions: list(str),
      project_id: maybe(uuid),
      environment_id: maybe(uuid),
      created_at: time,
      expires_at: time,
      last_used_at: maybe(time),
      last_used_ip: maybe(str),
      revoked_at: maybe(time),
    }),
  ),
  tables: ['api_keys'],
};

/**
 * Keys created by the user, per organization, each read inside its organization's context. They
 * stay with the organization when the account is deleted (the creator id no longer resolves).
 */
export function apiKeysPersonalData(deps: { transactor: AppTransactor }): PersonalDataContributor {
  return {
    ...API_KEYS_SECTION,
    collect: async (userId, memberships) => {
      const out = [];
      for (const { tenantId } of memberships) {
        const keys = await deps.transactor.withTenant(tenantId, (tx) =>
          tx
            .selectFrom('api_keys')
            .select(['tenant_id', 'id', 'name', 'mode', 'role', 'permissions', 'project_id', 'environment_id', 'created_at', 'expires_at', 'last_used_at', 'last_used_ip', 'revoked_at'])
            .where('tenant_id', '=', tenantId)
            .where('created_by_type', '=', 'user')
            .where('created_by', '=', userId)
            .orderBy('id')
            .execute(),
        );
        for (const { tenant_id, ...k } of keys) {
          out.push({ organization_id: tenant_id, ...k, prefix: keyPrefix(k.mode, k.id), created_at: k.created_at.toISOString(), expires_at: k.expires_at.toISOString(), last_used_at: isoOrNull(k.last_used_at), revoked_at: isoOrNull(k.revoked_at) });
        }
      }
      return out;
    },
  };
}
