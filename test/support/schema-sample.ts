// Makes a minimal valid value for a JSON schema (the subset Parapet's routes use), so suites can
// call every route without knowing each body by hand.
type Schema = Record<string, unknown>;

export function sampleFromSchema(schema: Schema, hints: { uuid: () => string; string?: () => string } = { uuid: () => '00000000-0000-4000-8000-000000000000' }): unknown {
  if (Array.isArray(schema['anyOf'])) return sampleFromSchema((schema['anyOf'] as Schema[])[0] ?? {}, hints);
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum'])) return (schema['enum'] as unknown[])[0];
  if (Array.isArray(schema['examples'])) return (schema['examples'] as unknown[])[0];
  switch (schema['type']) {
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      const required = new Set((schema['required'] ?? []) as string[]);
      const min = typeof schema['minProperties'] === 'number' ? schema['minProperties'] : 0;
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(properties)) {
        if (required.has(key) || Object.keys(out).length < min) out[key] = sampleFromSchema(value, hints);
      }
      return out;
    }
    case 'array': {
      const min = typeof schema['minItems'] === 'number' ? schema['minItems'] : 0;
      return Array.from({ length: min }, () => sampleFromSchema((schema['items'] ?? {}) as Schema, hints));
    }
    case 'integer':
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string': {
      if (schema['format'] === 'uuid') return hints.uuid();
      if (schema['format'] === 'email') return 'someone@example.com';
      if (schema['format'] === 'date-time') return new Date(0).toISOString();
      const base = hints.string?.() ?? 'sample value';
      const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
      return base.padEnd(min, 'x');
    }
    default:
      return null;
  }
}
