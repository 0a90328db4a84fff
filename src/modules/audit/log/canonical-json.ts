import canonicalize from 'canonicalize';
import { AuditLogError } from './audit-log-error.ts';

/**
 * The RFC 8785 (JCS) canonical form of a JSON value, as UTF-8 bytes: the exact bytes an audit
 * leaf stores and hashes. Only the JSON data model is accepted, so that the bytes say exactly what
 * the caller passed: `null`, booleans, finite numbers, well-formed strings, dense arrays and plain
 * objects. Anything JSON would silently drop or rewrite (`undefined`, functions, symbols, bigints,
 * `Date` and other `toJSON` objects, class instances, sparse arrays, cycles) is refused.
 */
export function canonicalJson(value: unknown): Uint8Array {
  assertJsonValue(value);
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new AuditLogError('not_canonical_json', `value cannot be canonicalized: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new AuditLogError('not_canonical_json', 'value has no JSON representation');
  // RFC 8785 §3.2.4: the canonical text is encoded in UTF-8.
  return new TextEncoder().encode(text);
}

function assertJsonValue(root: unknown): void {
  // Walks with an explicit stack so deep nesting cannot overflow the call stack; shared
  // references are checked once, and cycles are left to `canonicalize`, which reports them.
  const seen = new Set<object>();
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '$' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      // RFC 8785 §3.2.2.3: NaN and Infinity have no JSON form and MUST cause an error.
      if (!Number.isFinite(value)) refuse(path, `${value} is not a finite number`);
      continue;
    }
    if (typeof value === 'string') {
      // RFC 8785 §3.2.2.2 requires I-JSON (RFC 7493 §2.1): no lone surrogates.
      if (!value.isWellFormed()) refuse(path, 'string contains a lone surrogate');
      continue;
    }
    // undefined (also what an array hole reads as), functions, symbols and bigints.
    if (typeof value !== 'object') refuse(path, `${typeof value} is not a JSON value`);
    if (seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      const items: readonly unknown[] = value;
      for (let i = 0; i < items.length; i += 1) {
        stack.push({ value: items[i], path: `${path}[${i}]` });
      }
      continue;
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) refuse(path, 'only plain objects and arrays are JSON');
    if (Object.getOwnPropertySymbols(value).length > 0) refuse(path, 'object has symbol keys');
    for (const [key, member] of Object.entries(value)) {
      const memberPath = `${path}.${key}`;
      if (!key.isWellFormed()) refuse(memberPath, 'property name contains a lone surrogate');
      stack.push({ value: member, path: memberPath });
    }
  }
}

function refuse(path: string, reason: string): never {
  throw new AuditLogError('not_canonical_json', `${path}: ${reason}`);
}
