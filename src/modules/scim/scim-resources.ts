import { GROUP_SCHEMA, USER_SCHEMA } from './scim-patch.ts';
import type { GroupResult, UserResult } from './scim-service.ts';
import { DEFAULT_COUNT, etagOf, MAX_COUNT } from './scim-service.ts';
import { FILTER_LIMITS } from './scim-filter.ts';

/** RFC 7644 §3.4.2: a query's answer. */
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** A User resource (RFC 7643 §4.1) as this server keeps it. */
export function userResource(base: string, result: UserResult): Record<string, unknown> {
  const { row } = result;
  return {
    schemas: [USER_SCHEMA],
    id: row.id,
    ...(row.external_id === null ? {} : { externalId: row.external_id }),
    userName: row.user_name,
    name: { ...(row.given_name === null ? {} : { givenName: row.given_name }), ...(row.family_name === null ? {} : { familyName: row.family_name }) },
    ...(row.display_name === null ? {} : { displayName: row.display_name }),
    emails: row.emails,
    active: row.active,
    groups: result.groups.map((g) => ({ value: g.id, display: g.display_name, $ref: `${base}/Groups/${g.id}` })),
    meta: { resourceType: 'User', created: row.created_at.toISOString(), lastModified: row.updated_at.toISOString(), location: `${base}/Users/${row.id}`, version: etagOf(row.version) },
  };
}

/** A Group resource (RFC 7643 §4.2). */
export function groupResource(base: string, result: GroupResult, withMembers: boolean): Record<string, unknown> {
  const { row } = result;
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    ...(row.external_id === null ? {} : { externalId: row.external_id }),
    displayName: row.display_name,
    ...(withMembers ? { members: result.members.map((m) => ({ value: m.id, display: m.user_name, $ref: `${base}/Users/${m.id}` })) } : {}),
    meta: { resourceType: 'Group', created: row.created_at.toISOString(), lastModified: row.updated_at.toISOString(), location: `${base}/Groups/${row.id}`, version: etagOf(row.version) },
  };
}

export function listResponse(total: number, startIndex: number, resources: readonly Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** RFC 7643 §5: what this server supports. */
export function serviceProviderConfig(base: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://github.com/parapet/parapet/blob/main/docs/sso.md#scim',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: "The directory's bearer token (Authorization: Bearer pscim_…)", primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
    'urn:parapet:scim:limits': { defaultCount: DEFAULT_COUNT, maxFilterLength: FILTER_LIMITS.maxLength, maxFilterDepth: FILTER_LIMITS.maxDepth, maxFilterTerms: FILTER_LIMITS.maxTerms },
  };
}

export function resourceTypes(base: string): Record<string, unknown>[] {
  return [
    { schemas: [RESOURCE_TYPE_SCHEMA], id: 'User', name: 'User', endpoint: '/Users', description: 'A member of the organization', schema: USER_SCHEMA, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` } },
    { schemas: [RESOURCE_TYPE_SCHEMA], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'A directory group; mapped groups give roles', schema: GROUP_SCHEMA, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` } },
  ];
}

const attribute = (name: string, type: string, extra: Record<string, unknown> = {}) => ({ name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra });

export function schemas(base: string): Record<string, unknown>[] {
  return [
    {
      schemas: [SCHEMA_SCHEMA],
      id: USER_SCHEMA,
      name: 'User',
      description: 'User account',
      attributes: [
        attribute('userName', 'string', { required: true, uniqueness: 'server' }),
        attribute('externalId', 'string', { caseExact: true }),
        attribute('name', 'complex', { subAttributes: [attribute('givenName', 'string'), attribute('familyName', 'string')] }),
        attribute('displayName', 'string'),
        attribute('emails', 'complex', { multiValued: true, subAttributes: [attribute('value', 'string'), attribute('type', 'string'), attribute('primary', 'boolean')] }),
        attribute('active', 'boolean'),
        attribute('groups', 'complex', { multiValued: true, mutability: 'readOnly', subAttributes: [attribute('value', 'string'), attribute('display', 'string')] }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${USER_SCHEMA}` },
    },
    {
      schemas: [SCHEMA_SCHEMA],
      id: GROUP_SCHEMA,
      name: 'Group',
      description: 'Group',
      attributes: [
        attribute('displayName', 'string', { required: true }),
        attribute('externalId', 'string', { caseExact: true }),
        attribute('members', 'complex', { multiValued: true, subAttributes: [attribute('value', 'string', { mutability: 'immutable' }), attribute('display', 'string', { mutability: 'readOnly' })] }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${GROUP_SCHEMA}` },
    },
  ];
}
