import { ParapetError } from '../platform/errors.ts';
import { readFileSync } from 'node:fs';
import { allOptions } from './catalogue.ts';
import { crossCheck, OptionError, type Config, type OptionSpec } from './options.ts';

/** A configuration problem found at start-up; the message names the option and what it allows. */
export class ConfigError extends ParapetError {
  readonly code = 'invalid_config';
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  /** Environment variables (only `PARAPET_*` are read). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Contents of the optional JSON config file, already read; keys are the camelCase option keys. */
  readonly file?: Readonly<Record<string, unknown>>;
  /** Where the file came from, for error messages. */
  readonly fileName?: string;
}

/**
 * Parses and validates every option once. Environment variables win over the config file, which
 * wins over defaults. Unknown `PARAPET_*` variables and unknown file keys are errors, so a typo
 * cannot silently fall back to a default. The result is frozen.
 */
export function loadConfig(sources: ConfigSources): Config {
  const specs: readonly OptionSpec[] = allOptions();
  const known = new Set(specs.map((spec) => spec.env));
  known.add('PARAPET_CONFIG');
  const problems: string[] = [];

  for (const name of Object.keys(sources.env)) {
    if (name.startsWith('PARAPET_') && !known.has(name) && !name.startsWith('PARAPET_TEST_')) {
      problems.push(`${name}: unknown option (known: ${[...known].sort().join(', ')})`);
    }
  }
  const fileKeys = new Set(specs.map((spec) => spec.key as string));
  for (const key of Object.keys(sources.file ?? {})) {
    if (!fileKeys.has(key)) problems.push(`${sources.fileName ?? 'config file'}: unknown key "${key}"`);
  }

  const partial: Record<string, unknown> = {};
  for (const spec of specs) {
    const fromEnv = sources.env[spec.env];
    const fromFile = sources.file?.[spec.key];
    const raw = fromEnv ?? fromFile;
    const origin = fromEnv !== undefined ? spec.env : `${sources.fileName ?? 'config file'} key "${spec.key}"`;
    if (raw === undefined) {
      partial[spec.key] = spec.derive(partial);
      continue;
    }
    try {
      partial[spec.key] = spec.parse(raw);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      const shown = spec.secret === true ? '(secret)' : JSON.stringify(raw);
      problems.push(`${origin}: ${shown} is not allowed: ${error.message}`);
    }
  }
  if (problems.length === 0) problems.push(...crossCheck(partial as unknown as Config));
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return Object.freeze(partial as unknown as Config);
}

/** Reads the JSON config file named by `PARAPET_CONFIG`, if any. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`PARAPET_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`PARAPET_CONFIG: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`PARAPET_CONFIG: ${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Masks a secret for display: URLs keep everything but the password; other secrets are hidden. */
export function maskSecret(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '*****';
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:' || url.protocol.startsWith('redis') ? url.toString() : '*****';
  } catch {
    return '*****';
  }
}

/** The effective configuration as printable rows, secrets masked. */
export function describeConfig(config: Config): { env: string; value: string; secret: boolean }[] {
  const specs: readonly OptionSpec[] = allOptions();
  return specs.map((spec) => {
    const value = config[spec.key];
    const text = value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value);
    return { env: spec.env, value: spec.secret === true && value !== undefined ? maskSecret(text) : text, secret: spec.secret === true };
  });
}
