import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { FieldProblem } from './errors.ts';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    // Unknown properties are errors, not silently dropped: a typo must not be ignored.
    removeAdditional: false,
    useDefaults: true,
    coerceTypes,
    allErrors: false,
    strict: true,
    keywords: ['x-permission'],
  });
  addFormats(ajv);
  return ajv;
}

/**
 * Bodies are validated exactly as sent (no type coercion: `"1"` is not a number); path and query
 * strings are coerced, since everything in a URL is text.
 */
type ValidatorCompiler = Parameters<FastifyInstance['setValidatorCompiler']>[0];

/** The one validator compiler of the app: Parapet's two Ajv instances (body; path and query). */
function createValidatorCompiler(): ValidatorCompiler {
  const body = makeAjv(false);
  const url = makeAjv(true);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? body : url;
    return ajv.compile(schema as object) as ReturnType<ValidatorCompiler>;
  };
}

const compiler = createValidatorCompiler();

/**
 * For Fastify's `schemaController.compilersFactory.buildValidator`: every context gets Parapet's
 * compiler. Needed beside `setValidatorCompiler`: an encapsulated plugin (each module's routes)
 * that calls `addSchema` gets its validator rebuilt from the factory, and Fastify's default one is
 * an Ajv that silently drops unknown fields and coerces body types — which is how a module's
 * routes once accepted `{"retention_days": 90, "typo": 1}` with 200.
 */
export function buildValidator(): ValidatorCompiler {
  return compiler;
}

export function installValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(compiler);
}

/** Turns ajv errors into field problems: JSON pointers and the rule broken, never the value. */
export function toFieldProblems(part: string, errors: readonly ErrorObject[]): FieldProblem[] {
  return errors.map((error) => {
    let pointer = `/${part}${error.instancePath}`;
    let detail = error.message ?? 'is not valid';
    if (error.keyword === 'additionalProperties') {
      const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty);
      pointer = `${pointer}/${escapePointer(extra.slice(0, 64))}`;
      detail = 'is not a known field';
    } else if (error.keyword === 'required') {
      const missing = String((error.params as { missingProperty?: unknown }).missingProperty);
      pointer = `${pointer}/${escapePointer(missing)}`;
      detail = 'is required';
    }
    return { pointer, detail };
  });
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

export type RouteSchema = FastifySchema;
