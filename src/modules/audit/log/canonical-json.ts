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
  // The common case (plain data, as every audit event is) in one walk; anything unusual takes the
  // checked path below, which refuses it with a message naming where.
  const sorted = sortedCopy(value, 0);
  if (sorted !== REFUSED) return encoder.encode(JSON.stringify(sorted));
  const fast = serializePlain(value, 0);
  if (fast !== undefined) return encoder.encode(fast);
  assertJsonValue(value);
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new AuditLogError('not_canonical_json', `value cannot be canonicalized: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new AuditLogError('not_canonical_json', 'value has no JSON representation');
  // RFC 8785 §3.2.4: the canonical text is encoded in UTF-8.
  return encoder.encode(text);
}

const encoder = new TextEncoder();

/** Nesting beyond this goes the checked path, which uses an explicit stack and detects cycles. */
const PLAIN_MAX_DEPTH = 64;

const REFUSED: unique symbol = Symbol('not plain');

/**
 * A copy of plain JSON data whose objects hold their members in RFC 8785 §3.2.3 order, for V8's
 * JSON.stringify, which writes primitives exactly as §3.2.2 requires. `REFUSED` for anything else,
 * and for keys that look like numbers, which objects always enumerate first, in numeric order.
 */
function sortedCopy(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.isWellFormed() ? value : REFUSED;
  if (typeof value === 'number') return Number.isFinite(value) ? value : REFUSED;
  if (typeof value !== 'object' || depth >= PLAIN_MAX_DEPTH) return REFUSED;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    const copy: unknown[] = [];
    for (let i = 0; i < items.length; i += 1) {
      if (!(i in items)) return REFUSED;
      const item = sortedCopy(items[i], depth + 1);
      if (item === REFUSED) return REFUSED;
      copy.push(item);
    }
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if ((prototype !== Object.prototype && prototype !== null) || Object.getOwnPropertySymbols(value).length > 0) return REFUSED;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const first = key.charCodeAt(0);
    // (Assigning __proto__ would set the prototype instead of adding a member.)
    if ((first >= 0x30 && first <= 0x39) || key === '__proto__' || !key.isWellFormed()) return REFUSED;
    const member = sortedCopy(record[key], depth + 1);
    if (member === REFUSED) return REFUSED;
    copy[key] = member;
  }
  return copy;
}

/**
 * RFC 8785 text of `value` when it is plain JSON data, else `undefined`. It writes exactly what
 * `canonicalize` writes for such values: primitives as ECMAScript JSON.stringify does
 * (§3.2.2), members sorted by UTF-16 code units (§3.2.3), no whitespace.
 */
function serializePlain(value: unknown, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? JSON.stringify(value) : undefined;
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= PLAIN_MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let out = '[';
    for (let i = 0; i < items.length; i += 1) {
      if (!(i in items)) return undefined;
      const item = serializePlain(items[i], depth + 1);
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return `${out}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if ((prototype !== Object.prototype && prototype !== null) || Object.getOwnPropertySymbols(value).length > 0) return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] ?? '';
    if (!key.isWellFormed()) return undefined;
    const member = serializePlain(record[key], depth + 1);
    if (member === undefined) return undefined;
    out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${member}`;
  }
  return `${out}}`;
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
