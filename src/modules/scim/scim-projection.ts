import { ScimError } from './scim-error.ts';

/** RFC 7643 §7: `id` is returned always; `schemas` is part of every representation. */
const ALWAYS = new Set(['id', 'schemas']);
/** A fully qualified attribute name (RFC 7644 §3.10) names the core schema first. */
const CORE_URN = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;
const NAME = /^[a-z][a-z0-9_$-]*(\.[a-z][a-z0-9_$-]*)?$/;
const MAX_NAMES = 50;

/** One attribute path, lower-cased: `[attribute]` or `[attribute, subAttribute]`. */
export type AttributePath = readonly [string] | readonly [string, string];

/**
 * The `attributes` or `excludedAttributes` query parameter (RFC 7644 §3.4.2.5, §3.9): a
 * comma-separated list of attribute names, each `name` or `name.sub`, optionally fully qualified
 * with the core schema URN. Names are case-insensitive (RFC 7643 §2.1). Unknown names select
 * nothing; a malformed one is 400 `invalidValue` (never echoed).
 */
export function attributePaths(text: string | undefined): AttributePath[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length > MAX_NAMES) throw new ScimError(400, 'invalidValue');
  return names.map((raw) => {
    const name = raw.replace(CORE_URN, '').toLowerCase();
    if (!NAME.test(name)) throw new ScimError(400, 'invalidValue');
    const [attribute = '', sub] = name.split('.');
    return sub === undefined ? [attribute] : [attribute, sub];
  });
}

function pickSub(value: unknown, subs: ReadonlySet<string>, keep: boolean): unknown {
  const one = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item).filter(([k]) => subs.has(k.toLowerCase()) === keep));
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

/**
 * A resource with only the attributes asked for (`attributes`, plus those returned always), then
 * without those excluded (`excludedAttributes`; never `id` or `schemas`). Sub-attributes of a
 * complex or multi-valued attribute are kept or removed in each value.
 */
export function project(resource: Readonly<Record<string, unknown>>, attributes: readonly AttributePath[] | undefined, excluded: readonly AttributePath[] | undefined): Record<string, unknown> {
  let out: Record<string, unknown> = { ...resource };
  if (attributes !== undefined) {
    const chosen: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(out)) {
      const lower = key.toLowerCase();
      const paths = attributes.filter((p) => p[0] === lower);
      if (ALWAYS.has(lower) || paths.some((p) => p.length === 1)) chosen[key] = value;
      else if (paths.length > 0) chosen[key] = pickSub(value, new Set(paths.map((p) => p[1] ?? '')), true);
    }
    out = chosen;
  }
  if (excluded !== undefined) {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(out)) {
      const lower = key.toLowerCase();
      const paths = ALWAYS.has(lower) ? [] : excluded.filter((p) => p[0] === lower);
      if (paths.some((p) => p.length === 1)) continue;
      kept[key] = paths.length > 0 ? pickSub(value, new Set(paths.map((p) => p[1] ?? '')), false) : value;
    }
    out = kept;
  }
  return out;
}
