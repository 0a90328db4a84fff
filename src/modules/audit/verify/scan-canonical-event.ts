import { isUtf8 } from 'node:buffer';

/** The fields of an event the verifier checks against the event's position and log. */
export interface ScannedEvent {
  readonly seq: number | undefined;
  readonly tenantId: string | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const MAX_DEPTH = 512;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= ZERO && b <= NINE;
const isLowerHex = (b: number | undefined): boolean => b !== undefined && ((b >= ZERO && b <= NINE) || (b >= 0x61 && b <= 0x66));

// ECMAScript JSON.stringify, which RFC 8785 §3.2.2.2 adopts for strings, writes these five
// control characters with short escapes and every other one below U+0020 as \u00xx (lowercase).
const SHORT_ESCAPES = new Set([0x22, 0x5c, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const SHORT_ESCAPED_CONTROLS = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/**
 * A single pass over an event's bytes that confirms they are RFC 8785 canonical JSON without
 * building the value, and picks out the top-level `seq` and `tenant_id` of the object it holds. It only ever answers
 * "canonical" (with those fields) or `undefined`, "not sure": then the caller decides the slow
 * way, by parsing and re-serializing. So it can only make verification faster, never more lenient,
 * as long as every "canonical" it answers is one `canonicalJson(JSON.parse(bytes))` would
 * reproduce byte for byte. It is deliberately narrow: keys must be ASCII without escapes, so their
 * byte order is their UTF-16 order (RFC 8785 §3.2.3); anything unusual is left to the slow path.
 */
export function scanCanonicalEvent(bytes: Uint8Array): ScannedEvent | undefined {
  // RFC 8785 §3.2.4: UTF-8. Invalid sequences (and encoded surrogates) would be rewritten by decoding.
  if (bytes[0] !== OPEN_OBJECT || !isUtf8(bytes)) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = text.length;
  // Open containers: true for an object, false for an array; per object, where its last key's
  // bytes are (start, end offsets), -1 before the first key.
  const isObject: boolean[] = [];
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  let i = 0;
  let seq: number | undefined;
  let tenantId: string | undefined;
  let field: 'seq' | 'tenant_id' | undefined;

  /** True when bytes [a, aEnd) sort strictly before [b, bEnd). */
  function ascending(a: number, aEnd: number, b: number, bEnd: number): boolean {
    for (; a < aEnd && b < bEnd; a++, b++) {
      const x = text[a] ?? 0;
      const y = text[b] ?? 0;
      if (x !== y) return x < y;
    }
    return a === aEnd && b < bEnd;
  }

  /** Reads an object key at `i` (ASCII, no escapes), checks it sorts after the previous one, and the colon. */
  function key(): boolean {
    if (text[i] !== QUOTE) return false;
    const start = i + 1;
    let j = start;
    for (let b = text[j]; b !== QUOTE; b = text[j]) {
      if (b === undefined || b === BACKSLASH || b < 0x20 || b >= 0x80) return false;
      j++;
    }
    const depth = keyStart.length - 1;
    const previousStart = keyStart[depth] ?? -1;
    // RFC 8785 §3.2.3: members sorted by their names' UTF-16 code units (for ASCII, the bytes);
    // a duplicate is not canonical.
    if (previousStart >= 0 && !ascending(previousStart, keyEnd[depth] ?? 0, start, j)) return false;
    keyStart[depth] = start;
    keyEnd[depth] = j;
    field = undefined;
    if (depth === 0) {
      if (j - start === 3 && text[start] === 0x73 && text[start + 1] === 0x65 && text[start + 2] === 0x71) field = 'seq';
      else if (j - start === 9 && text.toString('latin1', start, j) === 'tenant_id') field = 'tenant_id';
    }
    i = j + 1;
    if (text[i] !== COLON) return false;
    i++;
    return true;
  }

  /** Scans a string value at `i`; returns false unless every character is written as JSON.stringify writes it. */
  function string(): boolean {
    const start = ++i;
    let plain = true;
    for (;;) {
      const b = text[i];
      if (b === undefined || b < 0x20) return false;
      if (b === QUOTE) break;
      if (b === BACKSLASH) {
        plain = false;
        const e = text[i + 1];
        if (e === undefined) return false;
        if (SHORT_ESCAPES.has(e)) {
          i += 2;
          continue;
        }
        if (e !== 0x75) return false; // \/ and anything else is not how JSON.stringify writes
        if (text[i + 2] !== ZERO || text[i + 3] !== ZERO || !isLowerHex(text[i + 4]) || !isLowerHex(text[i + 5])) return false;
        const code = Number.parseInt(text.toString('latin1', i + 4, i + 6), 16);
        if (code >= 0x20 || SHORT_ESCAPED_CONTROLS.has(code)) return false;
        i += 6;
        continue;
      }
      i++;
    }
    if (field === 'tenant_id') {
      if (!plain) return false;
      tenantId = text.toString('utf8', start, i);
    }
    i++;
    return true;
  }

  /** Scans a number at `i`; canonical when it is exactly what ECMAScript's Number::toString writes (RFC 8785 §3.2.2.3). */
  function number(): boolean {
    const start = i;
    if (text[i] === MINUS) i++;
    if (text[i] === ZERO) i++;
    else if (isDigit(text[i])) while (isDigit(text[i])) i++;
    else return false;
    let integer = true;
    if (text[i] === DOT) {
      integer = false;
      i++;
      if (!isDigit(text[i])) return false;
      while (isDigit(text[i])) i++;
    }
    if (text[i] === 0x65 || text[i] === 0x45) {
      integer = false;
      i++;
      if (text[i] === 0x2b || text[i] === MINUS) i++;
      if (!isDigit(text[i])) return false;
      while (isDigit(text[i])) i++;
    }
    let value: number;
    // Up to 15 digits an integer is exact and prints as written, except -0, which prints as 0.
    if (integer && i - start <= 15 && !(i - start === 2 && text[start] === MINUS && text[start + 1] === ZERO)) {
      value = 0;
      for (let k = text[start] === MINUS ? start + 1 : start; k < i; k++) value = value * 10 + ((text[k] ?? ZERO) - ZERO);
      if (text[start] === MINUS) value = -value;
    } else {
      const literal = text.toString('latin1', start, i);
      value = Number(literal);
      if (String(value) !== literal) return false;
    }
    if (field === 'seq') seq = value;
    return true;
  }

  function literal(word: string): boolean {
    for (let k = 0; k < word.length; k++) if (text[i + k] !== word.charCodeAt(k)) return false;
    i += word.length;
    return true;
  }

  for (;;) {
    // A value starts at i.
    const b = text[i];
    let scalar = true;
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      const object = b === OPEN_OBJECT;
      i++;
      if (text[i] === (object ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        i++;
      } else {
        if (isObject.length >= MAX_DEPTH) return undefined;
        isObject.push(object);
        keyStart.push(-1);
        keyEnd.push(-1);
        if (object && !key()) return undefined;
        if (!object) field = undefined;
        continue;
      }
      scalar = false;
    }
    if (scalar) {
      const ok = b === QUOTE ? string() : b === MINUS || isDigit(b) ? number() : b === 0x74 ? literal('true') : b === 0x66 ? literal('false') : b === 0x6e ? literal('null') : false;
      if (!ok) return undefined;
    }
    // After a value: close containers or move to the next member.
    for (;;) {
      const depth = isObject.length;
      if (depth === 0) return i === end ? { seq, tenantId } : undefined;
      const object = isObject[depth - 1] === true;
      const c = text[i];
      if (c === COMMA) {
        i++;
        if (object) {
          if (!key()) return undefined;
        } else {
          field = undefined;
        }
        break;
      }
      if (c !== (object ? CLOSE_OBJECT : CLOSE_ARRAY)) return undefined;
      i++;
      isObject.pop();
      keyStart.pop();
      keyEnd.pop();
      field = undefined;
    }
  }
}
