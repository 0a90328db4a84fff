import { sql, type RawBuilder } from 'kysely';
import { ScimError } from './scim-error.ts';
import type { CompareOp, Filter, FilterValue } from './scim-filter.ts';

/**
 * Compiles a parsed filter to a parameterised SQL condition over an allow-list of attributes: the
 * attribute names become fixed column references, every value a bound parameter. An attribute or
 * operator not on the list is `invalidFilter` (RFC 7644 §3.4.2.2: "a filter ... not supported").
 */
type Condition = RawBuilder<boolean>;

interface Column {
  readonly kind: 'text' | 'boolean';
  /** Compared case-insensitively (RFC 7643 §2.2 caseExact false). */
  readonly caseless: boolean;
  readonly ref: RawBuilder<unknown>;
}

interface MultiValued {
  /** `exists (…element… where <condition>)` for a condition over the element's sub-attributes. */
  readonly some: (inner: (column: (sub: string) => Column) => Condition) => Condition;
  readonly subs: readonly string[];
}

export interface FilterSchema {
  readonly columns: Readonly<Record<string, Column>>;
  readonly multi: Readonly<Record<string, MultiValued>>;
}

const invalid = (): ScimError => new ScimError(400, 'invalidFilter');
const text = (ref: RawBuilder<unknown>, caseless: boolean): Column => ({ kind: 'text', caseless, ref });

function compare(column: Column, op: CompareOp, value: FilterValue): Condition {
  if (value === null) {
    if (op === 'eq') return sql<boolean>`${column.ref} is null`;
    if (op === 'ne') return sql<boolean>`${column.ref} is not null`;
    throw invalid();
  }
  if (column.kind === 'boolean') {
    if (typeof value !== 'boolean') throw invalid();
    if (op === 'eq') return sql<boolean>`${column.ref} = ${value}`;
    if (op === 'ne') return sql<boolean>`${column.ref} is distinct from ${value}`;
    throw invalid();
  }
  if (typeof value !== 'string') throw invalid();
  const left = column.caseless ? sql`lower(${column.ref})` : column.ref;
  const right = column.caseless ? sql`lower(${value})` : sql`${value}`;
  switch (op) {
    case 'eq':
      return sql<boolean>`${left} = ${right}`;
    case 'ne':
      return sql<boolean>`${left} is distinct from ${right}`;
    case 'co':
      return sql<boolean>`strpos(${left}, ${right}) > 0`;
    case 'sw':
      return sql<boolean>`left(${left}, length(${right})) = ${right}`;
    case 'ew':
      return sql<boolean>`right(${left}, length(${right})) = ${right}`;
    case 'gt':
      return sql<boolean>`${left} > ${right}`;
    case 'ge':
      return sql<boolean>`${left} >= ${right}`;
    case 'lt':
      return sql<boolean>`${left} < ${right}`;
    case 'le':
      return sql<boolean>`${left} <= ${right}`;
  }
}

function present(column: Column): Condition {
  return column.kind === 'text' ? sql<boolean>`coalesce(${column.ref}, '') <> ''` : sql<boolean>`${column.ref} is not null`;
}

/** The SQL condition of `filter` under `schema`; throws invalidFilter for anything not supported. */
export function filterToSql(filter: Filter, schema: FilterSchema): Condition {
  const walk = (f: Filter, column: (name: string) => Column, multiAllowed: boolean): Condition => {
    switch (f.op) {
      case 'and':
        return sql<boolean>`(${walk(f.left, column, multiAllowed)} and ${walk(f.right, column, multiAllowed)})`;
      case 'or':
        return sql<boolean>`(${walk(f.left, column, multiAllowed)} or ${walk(f.right, column, multiAllowed)})`;
      case 'not':
        return sql<boolean>`(not coalesce(${walk(f.filter, column, multiAllowed)}, false))`;
      case 'present':
      case 'compare': {
        const [head, sub] = f.attr.split('.');
        const multi = multiAllowed && head !== undefined ? schema.multi[head] : undefined;
        if (multi !== undefined) {
          // `emails eq "x"` means `emails.value eq "x"` (RFC 7644 §3.4.2.2, multi-valued attributes).
          const name = sub ?? 'value';
          if (!multi.subs.includes(name)) throw invalid();
          return multi.some((col) => (f.op === 'present' ? present(col(name)) : compare(col(name), f.compare, f.value)));
        }
        const found = column(f.attr);
        return f.op === 'present' ? present(found) : compare(found, f.compare, f.value);
      }
      case 'valuePath': {
        const multi = multiAllowed ? schema.multi[f.attr] : undefined;
        if (multi === undefined) throw invalid();
        return multi.some((col) => walk(f.filter, (name) => (multi.subs.includes(name) ? col(name) : throwInvalid()), false));
      }
    }
  };
  return walk(filter, (name) => schema.columns[name] ?? throwInvalid(), true);
}

function throwInvalid(): never {
  throw invalid();
}

/** The attributes a Users filter may name. */
export const USER_FILTER: FilterSchema = {
  columns: {
    id: text(sql`scim_users.id::text`, true),
    externalid: text(sql.ref('scim_users.external_id'), false),
    username: text(sql.ref('scim_users.user_name'), true),
    displayname: text(sql.ref('scim_users.display_name'), true),
    active: { kind: 'boolean', caseless: false, ref: sql.ref('scim_users.active') },
    'name.givenname': text(sql.ref('scim_users.given_name'), true),
    'name.familyname': text(sql.ref('scim_users.family_name'), true),
  },
  multi: {
    emails: {
      subs: ['value', 'type', 'primary'],
      some: (inner) =>
        sql<boolean>`exists (select 1 from jsonb_array_elements(scim_users.emails) as e(v) where ${inner((sub) =>
          sub === 'primary' ? { kind: 'boolean', caseless: false, ref: sql`(e.v->>'primary')::boolean` } : text(sub === 'type' ? sql`(e.v->>'type')` : sql`(e.v->>'value')`, true),
        )})`,
    },
  },
};

/** The attributes a Groups filter may name. */
export const GROUP_FILTER: FilterSchema = {
  columns: {
    id: text(sql`scim_groups.id::text`, true),
    externalid: text(sql.ref('scim_groups.external_id'), false),
    displayname: text(sql.ref('scim_groups.display_name'), true),
  },
  multi: {
    members: {
      subs: ['value'],
      some: (inner) =>
        sql<boolean>`exists (select 1 from scim_group_members m where m.tenant_id = scim_groups.tenant_id and m.group_id = scim_groups.id and ${inner(() => text(sql`m.scim_user_id::text`, true))})`,
    },
  },
};
