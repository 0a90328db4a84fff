/**
 * Small builders for plain JSON Schema (draft-07) documents that are published rather than served
 * (the personal data export's schema, docs/data-export.schema.json). Route schemas use TypeBox.
 */

/** A JSON Schema document or fragment. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export const str = { type: 'string' } as const;
export const uuid = { type: 'string', format: 'uuid' } as const;
export const time = { type: 'string', format: 'date-time' } as const;
export const bool = { type: 'boolean' } as const;
export const int = { type: 'integer' } as const;

/** `schema` or null. */
export const maybe = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

/** A closed object: exactly these properties, all required unless `required` says otherwise. */
export const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)): JsonSchema => ({ type: 'object', additionalProperties: false, required, properties });

export const list = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

/** An optional date as the ISO 8601 string JSON carries. */
export const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());
