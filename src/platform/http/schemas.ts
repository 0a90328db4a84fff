import { Type, type TSchema } from '@sinclair/typebox';

/** Shared JSON schemas for route definitions. */

export const Uuid = Type.String({ format: 'uuid', maxLength: 36, description: 'UUID' });

/** A display name: 1–100 characters, no control characters, not only spaces. */
export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$' });

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });

export const Timestamp = Type.String({ format: 'date-time' });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'Stable error code; the catalogue is in docs/http-api.md' }),
    detail: Type.Optional(Type.String()),
    request_id: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

/** Cursor pagination query: `limit` 1–100 (default 50) and an opaque `cursor` from a previous page. */
export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false });
}

/** `schema` or null. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** A strict object: unknown fields are refused. */
export function Strict<T extends Parameters<typeof Type.Object>[0]>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

/**
 * A 204 response: no body (RFC 9110 §15.3.5). The JSON schema stays `{ type: 'null' }`; its static
 * type is `undefined` so that a typed handler ends with `reply.status(204).send()`, as before.
 */
export const NoContent = Type.Unsafe<undefined>(Type.Null());

/** Standard error responses a route documents besides its success. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Problem')]));
}
