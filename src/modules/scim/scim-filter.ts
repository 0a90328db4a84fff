import { ScimError } from './scim-error.ts';

/**
 * A SCIM filter (RFC 7644 §3.4.2.2), parsed by a small recursive-descent parser with hard limits.
 *
 * Why not a library: the filter parsers on npm (scim2-parse-filter and its forks) are unmaintained,
 * have no length, depth or term limits, and are not installed here; the subset a directory needs is
 * small. Every failure is `invalidFilter` (400): never a 500, never the input echoed. The AST is
 * compiled to parameterised SQL (scim-store.ts) over an allow-list of attributes, so no filter text
 * ever reaches SQL.
 */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

export type Filter =
  | { readonly op: 'and' | 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly op: 'not'; readonly filter: Filter }
  | { readonly op: 'compare'; readonly attr: string; readonly compare: CompareOp; readonly value: FilterValue }
  | { readonly op: 'present'; readonly attr: string }
  /** `emails[type eq "work"]`: some element of the multi-valued `attr` matches `filter` (its attrs are sub-attribute names). */
  | { readonly op: 'valuePath'; readonly attr: string; readonly filter: Filter };

/** Limits: longer, deeper or bigger filters are refused before any work is done. */
export const FILTER_LIMITS = Object.freeze({ maxLength: 1000, maxDepth: 8, maxTerms: 16 });

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
/** The core schema URNs an attribute may be prefixed with (RFC 7644 §3.10). */
const URN_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

type Token = { readonly kind: 'word'; readonly text: string } | { readonly kind: 'string'; readonly text: string } | { readonly kind: 'number'; readonly value: number } | { readonly kind: 'punct'; readonly text: '(' | ')' | '[' | ']' };

const isCloseBracket = (token: Token | undefined): boolean => token?.kind === 'punct' && token.text === ']';
const invalid = (): ScimError => new ScimError(400, 'invalidFilter');

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (c === '"') {
      // A JSON string (RFC 7644: compValue is a JSON value); JSON.parse handles the escapes.
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw invalid();
      let text: unknown;
      try {
        text = JSON.parse(input.slice(i, j + 1));
      } catch {
        throw invalid();
      }
      if (typeof text !== 'string' || text.includes('\u0000')) throw invalid();
      tokens.push({ kind: 'string', text });
      i = j + 1;
    } else if (/[-0-9]/.test(c)) {
      const match = /^-?\d{1,15}(\.\d{1,15})?/.exec(input.slice(i));
      if (match === null) throw invalid();
      tokens.push({ kind: 'number', value: Number(match[0]) });
      i += match[0].length;
    } else if (c === '.' && isCloseBracket(tokens.at(-1))) {
      // The sub-attribute after a value path: `emails[type eq "work"].value`.
      const match = /^\.[A-Za-z][A-Za-z0-9_$-]*/.exec(input.slice(i));
      if (match === null) throw invalid();
      tokens.push({ kind: 'word', text: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z]/.test(c)) {
      const match = /^[A-Za-z][A-Za-z0-9_:.$-]*/.exec(input.slice(i));
      if (match === null) throw invalid();
      tokens.push({ kind: 'word', text: match[0] });
      i += match[0].length;
    } else {
      throw invalid();
    }
  }
  return tokens;
}

/** Parses `input` under FILTER_LIMITS; throws ScimError(400, invalidFilter) on anything else. */
export function parseFilter(input: string): Filter {
  if (input.length === 0 || input.length > FILTER_LIMITS.maxLength) throw invalid();
  const tokens = tokenize(input);
  let at = 0;
  let terms = 0;
  const peek = (): Token | undefined => tokens[at];
  const isWord = (token: Token | undefined, word: string): boolean => token?.kind === 'word' && token.text.toLowerCase() === word;
  const isPunct = (token: Token | undefined, text: string): boolean => token?.kind === 'punct' && token.text === text;
  const expect = (text: string): void => {
    if (!isPunct(peek(), text)) throw invalid();
    at++;
  };

  function attrName(text: string, inValuePath: boolean): string {
    const name = text.replace(URN_PREFIX, '').toLowerCase();
    // attrPath = ATTRNAME *1subAttr: at most one dot; inside brackets, a bare sub-attribute.
    if (!/^[a-z][a-z0-9_$-]*(\.[a-z][a-z0-9_$-]*)?$/.test(name) || (inValuePath && name.includes('.'))) throw invalid();
    return name;
  }

  function orExpr(depth: number, inValuePath: boolean): Filter {
    if (depth > FILTER_LIMITS.maxDepth) throw invalid();
    let left = andExpr(depth, inValuePath);
    while (isWord(peek(), 'or')) {
      at++;
      left = { op: 'or', left, right: andExpr(depth, inValuePath) };
    }
    return left;
  }

  function andExpr(depth: number, inValuePath: boolean): Filter {
    let left = unary(depth, inValuePath);
    while (isWord(peek(), 'and')) {
      at++;
      left = { op: 'and', left, right: unary(depth, inValuePath) };
    }
    return left;
  }

  function unary(depth: number, inValuePath: boolean): Filter {
    const token = peek();
    if (isWord(token, 'not') && isPunct(tokens[at + 1], '(')) {
      at += 2;
      const inner = orExpr(depth + 1, inValuePath);
      expect(')');
      return { op: 'not', filter: inner };
    }
    if (isPunct(token, '(')) {
      at++;
      const inner = orExpr(depth + 1, inValuePath);
      expect(')');
      return inner;
    }
    return attrExpr(depth, inValuePath);
  }

  function attrExpr(depth: number, inValuePath: boolean): Filter {
    const token = peek();
    if (token?.kind !== 'word') throw invalid();
    at++;
    if (++terms > FILTER_LIMITS.maxTerms) throw invalid();
    if (isPunct(peek(), '[')) {
      // valuePath: attr[valFilter], optionally followed by .subAttr op value (as Okta and Entra send
      // `emails[type eq "work"].value eq "x"`): the same as attr[valFilter and subAttr op value].
      if (inValuePath) throw invalid();
      const attr = attrName(token.text, false);
      if (attr.includes('.')) throw invalid();
      at++;
      const inner = orExpr(depth + 1, true);
      expect(']');
      const next = peek();
      if (next?.kind === 'word' && next.text.startsWith('.')) {
        at++;
        const sub = attrName(next.text.slice(1), true);
        return { op: 'valuePath', attr, filter: { op: 'and', left: inner, right: comparison(sub) } };
      }
      return { op: 'valuePath', attr, filter: inner };
    }
    return comparison(attrName(token.text, inValuePath));
  }

  function comparison(attr: string): Filter {
    const op = peek();
    if (op?.kind !== 'word') throw invalid();
    at++;
    const name = op.text.toLowerCase();
    if (name === 'pr') return { op: 'present', attr };
    if (!COMPARE_OPS.has(name)) throw invalid();
    const value = peek();
    at++;
    if (value === undefined) throw invalid();
    if (value.kind === 'string') return { op: 'compare', attr, compare: name as CompareOp, value: value.text };
    if (value.kind === 'number') return { op: 'compare', attr, compare: name as CompareOp, value: value.value };
    if (isWord(value, 'true') || isWord(value, 'false')) return { op: 'compare', attr, compare: name as CompareOp, value: value.kind === 'word' && value.text.toLowerCase() === 'true' };
    if (isWord(value, 'null')) return { op: 'compare', attr, compare: name as CompareOp, value: null };
    throw invalid();
  }

  const filter = orExpr(0, false);
  if (at !== tokens.length) throw invalid();
  return filter;
}
