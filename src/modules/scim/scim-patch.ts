import { ScimError } from './scim-error.ts';
import { parseFilter, type Filter } from './scim-filter.ts';
import type { ScimEmail } from './scim-tables.ts';

/**
 * SCIM resources as this server keeps them, built from POST/PUT bodies and changed by PATCH
 * operations (RFC 7644 §3.5.2) in the shapes Okta and Microsoft Entra send: Entra's capitalised
 * `Add`/`Replace`/`Remove`, `active` as the string "False", path-less value objects, value paths
 * such as `emails[type eq "work"].value`, and attributes this server does not keep (ignored, as
 * Entra sends many: title, addresses, the enterprise extension).
 */
export interface UserState {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: ScimEmail[];
  active: boolean;
}

export interface GroupState {
  displayName: string;
  externalId: string | null;
  /** SCIM user ids. */
  members: string[];
}

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAX_EMAILS = 10;
const MAX_MEMBERS_PER_REQUEST = 1000;
export const MAX_OPERATIONS = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invalidValue = (): ScimError => new ScimError(400, 'invalidValue');
const invalidPath = (): ScimError => new ScimError(400, 'invalidPath');

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of `name` in `object`, matched case-insensitively (RFC 7643 §2.1: attribute names are case-insensitive). */
export function field(object: JsonObject, name: string): Json | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function text(value: Json | undefined, max: number): string {
  if (typeof value !== 'string' || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) throw invalidValue();
  return value;
}

function optionalText(value: Json | undefined, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  return text(value, max);
}

/** A boolean, or Entra's "True"/"False" strings. */
export function booleanOf(value: Json | undefined): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue();
}

function emailOf(value: Json): ScimEmail {
  if (!isObject(value)) throw invalidValue();
  const address = text(field(value, 'value'), 254);
  const type = field(value, 'type');
  const primary = field(value, 'primary');
  return { value: address, ...(type === undefined || type === null ? {} : { type: text(type, 32) }), ...(primary === undefined || primary === null ? {} : { primary: booleanOf(primary) }) };
}

function emailsOf(value: Json | undefined): ScimEmail[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? (value as readonly Json[]) : [value];
  if (list.length > MAX_EMAILS) throw invalidValue();
  return list.map(emailOf);
}

/** A user from a POST or PUT body. */
export function userFromBody(body: JsonObject): UserState {
  const name = field(body, 'name');
  const active = field(body, 'active');
  return {
    userName: text(field(body, 'userName'), 254).trim(),
    externalId: optionalText(field(body, 'externalId'), 256),
    displayName: optionalText(field(body, 'displayName'), 256),
    givenName: isObject(name) ? optionalText(field(name, 'givenName'), 256) : null,
    familyName: isObject(name) ? optionalText(field(name, 'familyName'), 256) : null,
    emails: emailsOf(field(body, 'emails')),
    active: active === undefined || active === null ? true : booleanOf(active),
  };
}

function memberIdsOf(value: Json | undefined): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? (value as readonly Json[]) : [value];
  if (list.length > MAX_MEMBERS_PER_REQUEST) throw invalidValue();
  return list.map((member) => {
    const id = isObject(member) ? field(member, 'value') : undefined;
    if (typeof id !== 'string' || !UUID.test(id)) throw invalidValue();
    return id.toLowerCase();
  });
}

/** A group from a POST or PUT body. */
export function groupFromBody(body: JsonObject): GroupState {
  return {
    displayName: text(field(body, 'displayName'), 256).trim(),
    externalId: optionalText(field(body, 'externalId'), 256),
    members: [...new Set(memberIdsOf(field(body, 'members')))],
  };
}

interface PatchPath {
  readonly attr: string;
  readonly filter: Filter | undefined;
  readonly sub: string | undefined;
}

/** Parses a PATCH path (RFC 7644 §3.5.2 PATH); undefined for an extension schema's attribute (ignored). */
function parsePath(path: string, schema: string): PatchPath | undefined {
  if (path.length > 300) throw invalidPath();
  let rest = path;
  if (rest.toLowerCase().startsWith(`${schema.toLowerCase()}:`)) rest = rest.slice(schema.length + 1);
  else if (/^urn:/i.test(rest)) return undefined;
  const match = /^([A-Za-z][\w$-]*)(?:\[(.+)\])?(?:\.([A-Za-z][\w$-]*))?$/.exec(rest);
  if (match === null) throw invalidPath();
  let filter: Filter | undefined;
  if (match[2] !== undefined) {
    try {
      filter = parseFilter(match[2]);
    } catch {
      throw invalidPath();
    }
  }
  return { attr: (match[1] ?? '').toLowerCase(), filter, sub: match[3]?.toLowerCase() };
}

/** Does an element of a multi-valued attribute match a value filter (`type eq "work"`)? */
function matches(filter: Filter, element: Readonly<Record<string, string | boolean | undefined>>): boolean {
  switch (filter.op) {
    case 'and':
      return matches(filter.left, element) && matches(filter.right, element);
    case 'or':
      return matches(filter.left, element) || matches(filter.right, element);
    case 'not':
      return !matches(filter.filter, element);
    case 'present':
      return element[filter.attr] !== undefined && element[filter.attr] !== '';
    case 'valuePath':
      throw invalidPath();
    case 'compare': {
      const actual = element[filter.attr];
      const wanted = filter.value;
      if (typeof actual === 'boolean' || typeof wanted === 'boolean') return filter.compare === 'eq' ? actual === wanted : filter.compare === 'ne' ? actual !== wanted : false;
      if (typeof wanted !== 'string' || actual === undefined) return filter.compare === 'ne';
      const a = actual.toLowerCase();
      const w = wanted.toLowerCase();
      if (filter.compare === 'eq') return a === w;
      if (filter.compare === 'ne') return a !== w;
      if (filter.compare === 'co') return a.includes(w);
      if (filter.compare === 'sw') return a.startsWith(w);
      if (filter.compare === 'ew') return a.endsWith(w);
      return false;
    }
  }
}

/** The `attr eq "x"` terms of a filter joined by `and`: what a new element matched by it holds. */
function equalities(filter: Filter): Record<string, string> {
  if (filter.op === 'compare' && filter.compare === 'eq' && typeof filter.value === 'string') return { [filter.attr]: filter.value };
  if (filter.op === 'and') return { ...equalities(filter.left), ...equalities(filter.right) };
  return {};
}

export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path: string | undefined;
  readonly value: Json | undefined;
}

/** The operations of a PatchOp body, with the op names lower-cased (Entra sends `Replace`). */
export function operationsOf(body: JsonObject): PatchOperation[] {
  const schemas = field(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_SCHEMA)) throw new ScimError(400, 'invalidSyntax');
  const operations = field(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > MAX_OPERATIONS) throw new ScimError(400, 'invalidSyntax');
  return (operations as readonly Json[]).map((operation) => {
    if (!isObject(operation)) throw new ScimError(400, 'invalidSyntax');
    const op = field(operation, 'op');
    const path = field(operation, 'path');
    if (typeof op !== 'string' || !/^(add|replace|remove)$/i.test(op)) throw new ScimError(400, 'invalidSyntax');
    if (path !== undefined && path !== null && typeof path !== 'string') throw invalidPath();
    return { op: op.toLowerCase() as PatchOperation['op'], path: typeof path === 'string' && path !== '' ? path : undefined, value: field(operation, 'value') };
  });
}

/** Applies PATCH operations to a user, in order; the changed copy. */
export function patchUser(user: UserState, operations: readonly PatchOperation[]): UserState {
  const next: UserState = { ...user, emails: [...user.emails] };
  for (const operation of operations) {
    if (operation.path === undefined) {
      // A path-less add/replace: the value is an object of attributes (Okta: `{ active: false }`).
      if (operation.op === 'remove' || !isObject(operation.value)) throw new ScimError(400, 'noTarget');
      for (const [key, value] of Object.entries(operation.value)) {
        if (key.toLowerCase() === USER_SCHEMA.toLowerCase() && isObject(value)) {
          for (const [inner, innerValue] of Object.entries(value)) applyUser(next, operation.op, parsePath(inner, USER_SCHEMA), innerValue);
        } else if (key.toLowerCase() === 'name' && isObject(value)) {
          for (const [inner, innerValue] of Object.entries(value)) applyUser(next, operation.op, { attr: 'name', filter: undefined, sub: inner.toLowerCase() }, innerValue);
        } else if (key.toLowerCase() !== 'schemas' && key.toLowerCase() !== 'id') {
          applyUser(next, operation.op, /^urn:/i.test(key) ? undefined : { attr: key.toLowerCase(), filter: undefined, sub: undefined }, value);
        }
      }
    } else {
      applyUser(next, operation.op, parsePath(operation.path, USER_SCHEMA), operation.value);
    }
  }
  return next;
}

function applyUser(user: UserState, op: PatchOperation['op'], path: PatchPath | undefined, value: Json | undefined): void {
  if (path === undefined) return;
  const set = op !== 'remove';
  switch (path.attr) {
    case 'username':
      if (!set || path.filter !== undefined) throw new ScimError(400, 'mutability');
      user.userName = text(value, 254).trim();
      return;
    case 'externalid':
      user.externalId = set ? optionalText(value, 256) : null;
      return;
    case 'displayname':
      user.displayName = set ? optionalText(value, 256) : null;
      return;
    case 'active':
      if (!set) throw new ScimError(400, 'mutability');
      user.active = booleanOf(value);
      return;
    case 'name': {
      if (path.sub === undefined) {
        if (!set) {
          user.givenName = null;
          user.familyName = null;
        } else if (isObject(value)) {
          for (const [key, inner] of Object.entries(value)) applyUser(user, op, { attr: 'name', filter: undefined, sub: key.toLowerCase() }, inner);
        } else throw invalidValue();
        return;
      }
      if (path.sub === 'givenname') user.givenName = set ? optionalText(value, 256) : null;
      else if (path.sub === 'familyname') user.familyName = set ? optionalText(value, 256) : null;
      return;
    }
    case 'emails':
      user.emails = patchEmails(user.emails, op, path, value);
      return;
    default:
      // Attributes this server does not keep (title, addresses, phoneNumbers, …): accepted and ignored.
      return;
  }
}

function patchEmails(emails: ScimEmail[], op: PatchOperation['op'], path: PatchPath, value: Json | undefined): ScimEmail[] {
  const asElement = (email: ScimEmail) => ({ value: email.value, type: email.type, primary: email.primary });
  if (path.filter === undefined) {
    if (path.sub !== undefined) throw invalidPath();
    if (op === 'remove') return [];
    const given = emailsOf(value);
    const result = op === 'add' ? [...emails, ...given] : given;
    if (result.length > MAX_EMAILS) throw invalidValue();
    return result;
  }
  const filter = path.filter;
  const matched = emails.filter((email) => matches(filter, asElement(email)));
  if (op === 'remove') {
    if (path.sub === undefined || path.sub === 'value') return emails.filter((email) => !matched.includes(email));
    return emails.map((email) => (matched.includes(email) ? { value: email.value, ...(path.sub === 'type' || email.type === undefined ? {} : { type: email.type }), ...(path.sub === 'primary' || email.primary === undefined ? {} : { primary: email.primary }) } : email));
  }
  if (path.sub === undefined) {
    const replacement = emailOf(value ?? null);
    return matched.length === 0 ? [...emails, replacement] : emails.map((email) => (matched.includes(email) ? replacement : email));
  }
  const change = (email: ScimEmail): ScimEmail => {
    if (path.sub === 'value') return { ...email, value: text(value, 254) };
    if (path.sub === 'type') return { ...email, type: text(value, 32) };
    if (path.sub === 'primary') return { ...email, primary: booleanOf(value) };
    throw invalidPath();
  };
  if (matched.length > 0) return emails.map((email) => (matched.includes(email) ? change(email) : email));
  // Entra: `Add emails[type eq "work"].value` when there is no work email yet creates it.
  const base = equalities(filter);
  const created = change({ value: base['value'] ?? '', ...(base['type'] === undefined ? {} : { type: base['type'] }) });
  if (created.value === '' || emails.length >= MAX_EMAILS) throw invalidValue();
  return [...emails, created];
}

/** Applies PATCH operations to a group, in order; the changed copy. */
export function patchGroup(group: GroupState, operations: readonly PatchOperation[]): GroupState {
  const next: GroupState = { ...group, members: [...group.members] };
  for (const operation of operations) {
    if (operation.path === undefined) {
      if (operation.op === 'remove' || !isObject(operation.value)) throw new ScimError(400, 'noTarget');
      for (const [key, value] of Object.entries(operation.value)) {
        const lower = key.toLowerCase();
        if (lower === 'schemas' || lower === 'id') continue;
        applyGroup(next, operation.op, { attr: lower, filter: undefined, sub: undefined }, value);
      }
    } else {
      const path = parsePath(operation.path, GROUP_SCHEMA);
      if (path === undefined) continue;
      applyGroup(next, operation.op, path, operation.value);
    }
  }
  return next;
}

function applyGroup(group: GroupState, op: PatchOperation['op'], path: PatchPath, value: Json | undefined): void {
  switch (path.attr) {
    case 'displayname':
      if (op === 'remove' || path.filter !== undefined) throw new ScimError(400, 'mutability');
      group.displayName = text(value, 256).trim();
      return;
    case 'externalid':
      group.externalId = op === 'remove' ? null : optionalText(value, 256);
      return;
    case 'members': {
      if (path.sub !== undefined && path.sub !== 'value') throw invalidPath();
      if (path.filter !== undefined) {
        // `members[value eq "id"]`: only removal names members this way.
        if (op !== 'remove') throw invalidPath();
        const filter = path.filter;
        group.members = group.members.filter((id) => !matches(filter, { value: id }));
        return;
      }
      if (op === 'remove') {
        // Entra: `Remove members` with a value list; no value removes every member.
        const listed = value === undefined || value === null ? undefined : new Set(memberIdsOf(value));
        group.members = listed === undefined ? [] : group.members.filter((id) => !listed.has(id));
        return;
      }
      const given = memberIdsOf(value);
      group.members = [...new Set(op === 'add' ? [...group.members, ...given] : given)];
      return;
    }
    default:
      throw invalidPath();
  }
}
