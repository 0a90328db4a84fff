import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

/** Names that could reach an object's prototype; refused like their JSON counterparts. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_PARAMETERS = 32;

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch (error) {
    throw new AppError('invalid_request', { detail: 'The form body is not valid application/x-www-form-urlencoded.', cause: error });
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` body (the token endpoint's format, RFC 6749 §4.4.2),
 * as strictly as the JSON parser: malformed percent-encoding, NUL characters and prototype keys are
 * refused; "Request and response parameters MUST NOT be included more than once" and "parameters
 * sent without a value MUST be treated as if they were omitted" (RFC 6749 §3.2).
 */
export function parseFormBody(body: string): Record<string, string> {
  const result = Object.create(null) as Record<string, string>;
  if (body === '') return result;
  const pairs = body.split('&');
  if (pairs.length > MAX_PARAMETERS) throw new AppError('invalid_request', { detail: 'Too many form parameters.' });
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (pair === '') throw new AppError('invalid_request', { detail: 'The form body has an empty parameter.' });
    const eq = pair.indexOf('=');
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    if (name.includes('\u0000') || value.includes('\u0000')) throw new AppError('invalid_request', { detail: 'Strings must not contain NUL characters.' });
    if (name === '' || FORBIDDEN.has(name)) throw new AppError('invalid_request', { detail: 'The form body has a parameter name that is not allowed.' });
    if (seen.has(name)) throw new AppError('invalid_request', { detail: `The parameter ${name.slice(0, 40)} is included more than once.` });
    seen.add(name);
    if (value !== '') result[name] = value;
  }
  return result;
}

/**
 * Makes a Fastify scope (an encapsulated plugin) accept `application/x-www-form-urlencoded` bodies,
 * parsed by `parseFormBody`; `bodyLimit` overrides the server's for this scope (SAML responses).
 */
export function acceptFormBodies(scope: Pick<FastifyInstance, 'addContentTypeParser'>, options: { bodyLimit?: number } = {}): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }) }, (_request, body, done) => {
    try {
      done(null, parseFormBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** The fields of a form body parsed by `acceptFormBodies` (a field not sent is undefined). */
export function formFields(request: FastifyRequest): Record<string, string | undefined> {
  return (request.body ?? {}) as Record<string, string | undefined>;
}

/**
 * A required field of a script-free form: present, at most `max` characters, non-empty and without
 * control characters when asked, matching `pattern` when given. Otherwise `400 invalid_request`
 * with a fixed detail: the value is never echoed.
 */
export function formField(value: string | undefined, max: number, options: { pattern?: RegExp; nonEmpty?: boolean; noControl?: boolean } = {}): string {
  const bad =
    value === undefined ||
    value.length > max ||
    (options.nonEmpty === true && value.length === 0) ||
    (options.noControl === true && /[\u0000-\u001f\u007f]/.test(value)) ||
    (options.pattern !== undefined && !options.pattern.test(value));
  if (bad) throw new AppError('invalid_request', { detail: 'A field is missing, too long or not valid.' });
  return value;
}
