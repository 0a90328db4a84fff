import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DB } from '../database.ts';
import { createAuditRecorder } from '../modules/audit/index.ts';
import { memberAuthority } from '../modules/audit/index.ts';
import type { AuditContext } from '../modules/audit/audit-event.ts';
import { createSecrets, type SecretScope, type SecretsService } from '../modules/secrets/index.ts';
import { systemClock } from '../platform/clock.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { createKeys, keyProviderFor } from '../modules/keys/keys.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../platform/db/index.ts';
import { AppError } from '../platform/http/errors.ts';
import type { CliContext, Command } from './context.ts';
import { openOperatorData } from './open-data.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The operator at the console: recorded as such in the organization's audit log. */
const CLI_ACTOR: AuditContext = { userId: '', actor: { type: 'operator', id: null, display_name: 'parapet secrets (CLI)' }, source: { ip: null, user_agent: 'parapet-cli', request_id: null } };

const USAGE = `usage: parapet secrets list     --org <id> --env <id> [--json]
       parapet secrets versions --org <id> --env <id> --name <NAME> [--json]
       parapet secrets set      --org <id> --env <id> --name <NAME> [--from-file <path>|-]   (default: stdin)
       parapet secrets get      --org <id> --env <id> --name <NAME> [--version <n>] --reason <text>
       parapet secrets delete   --org <id> --env <id> --name <NAME>`;

const OPTIONS = {
  org: { type: 'string' },
  env: { type: 'string' },
  project: { type: 'string' },
  name: { type: 'string' },
  version: { type: 'string' },
  reason: { type: 'string' },
  'from-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];

/** Parses the shared options; undefined (after printing usage) when the scope is not given properly. */
function parse(context: CliContext, needsName: boolean): { values: Values; scope: SecretScope } | undefined {
  let values: Values;
  try {
    values = parseArgs({ args: [...context.args], options: OPTIONS, strict: true }).values;
  } catch (error) {
    context.err(`${(error as Error).message}\n${USAGE}`);
    return undefined;
  }
  const ids = [values.org, values.env, ...(values.project === undefined ? [] : [values.project])];
  if (ids.some((id) => id === undefined || !UUID.test(id)) || (needsName && values.name === undefined)) {
    context.err(USAGE);
    return undefined;
  }
  return { values, scope: { tenantId: (values.org ?? '').toLowerCase(), environmentId: (values.env ?? '').toLowerCase(), projectId: values.project?.toLowerCase() } };
}

/** Opens the keyring, key provider and database the way the server does, and the vault over them. */
async function withSecrets(context: CliContext, fn: (secrets: SecretsService) => Promise<number>): Promise<number> {
  const keyring = readKeyring(context.config.keyringPath);
  const { db, close } = await openOperatorData(context, { poolSize: 2 });
  try {
    const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
    const audit = createAuditRecorder({ clock: systemClock, random: systemRandom, authority: memberAuthority(keyring) });
    const keys = createKeys({ config: context.config, transactor, provider: keyProviderFor(context.config, keyring, { persist: true }), keyring, clock: systemClock, random: systemRandom, audit });
    const secrets = createSecrets({ transactor, clock: systemClock, random: systemRandom, keyring, audit, fields: keys.fields });
    return await fn(secrets.service);
  } catch (error) {
    // Problems a user can act on (bad name, not found, unreadable) end with their code, exit 1.
    if (error instanceof AppError) {
      context.err(`${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await close();
  }
}

/** Every page of a cursor-paginated listing. */
async function all<T extends { id: string }>(page: (after: string | undefined) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let after: string | undefined; ; ) {
    const batch = await page(after);
    rows.push(...batch.slice(0, 100));
    if (batch.length <= 100) return rows;
    after = batch[99]?.id;
  }
}

/** `parapet secrets list`: names and versions of an environment's secrets, never values. */
export const secretsList: Command = async (context) => {
  const parsed = parse(context, false);
  if (parsed === undefined) return 2;
  return withSecrets(context, async (secrets) => {
    const rows = await all((after) => secrets.list(parsed.scope, after, 100));
    if (parsed.values.json === true) context.out(JSON.stringify(rows.map((r) => ({ name: r.name, version: r.current_version, updated_at: r.updated_at.toISOString() })), null, 2));
    else for (const row of rows) context.out(`${row.name}\tv${row.current_version}\t${row.updated_at.toISOString()}`);
    return 0;
  });
};

/** `parapet secrets versions`: a secret's versions (metadata only). */
export const secretsVersions: Command = async (context) => {
  const parsed = parse(context, true);
  if (parsed === undefined) return 2;
  const name = parsed.values.name ?? '';
  return withSecrets(context, async (secrets) => {
    const rows = await all(async (after) => (await secrets.versions(parsed.scope, name, after, 100)).versions);
    const shown = rows.map((v) => ({ version: v.version, created_at: v.created_at.toISOString(), created_by: `${v.created_by_type}${v.created_by === null ? '' : `:${v.created_by}`}`, superseded_at: v.superseded_at?.toISOString() ?? null }));
    if (parsed.values.json === true) context.out(JSON.stringify(shown, null, 2));
    else for (const v of shown) context.out(`v${v.version}\t${v.created_at}\t${v.created_by}${v.superseded_at === null ? '\tcurrent' : `\tsuperseded ${v.superseded_at}`}`);
    return 0;
  });
};

/**
 * `parapet secrets set`: the value comes from a file or stdin, never from the command line (where
 * it would sit in shell history and the process list). One trailing newline is dropped.
 */
export const secretsSet: Command = async (context) => {
  const parsed = parse(context, true);
  if (parsed === undefined) return 2;
  const source = parsed.values['from-file'] ?? '-';
  const value = (source === '-' ? context.readStdin() : readFileSync(resolve(context.cwd, source), 'utf8')).replace(/\r?\n$/, '');
  return withSecrets(context, async (secrets) => {
    const { secret, created } = await secrets.set(CLI_ACTOR, parsed.scope, parsed.values.name ?? '', value);
    context.out(`${secret.name}: version ${secret.current_version} stored${created ? ' (new secret)' : ''}`);
    return 0;
  });
};

/** `parapet secrets get`: prints one value; the read and its reason go to the organization's audit log. */
export const secretsGet: Command = async (context) => {
  const parsed = parse(context, true);
  if (parsed === undefined) return 2;
  const { version, reason } = parsed.values;
  if (reason === undefined || reason.trim() === '' || reason.length > 200 || (version !== undefined && !/^[1-9]\d{0,8}$/.test(version))) {
    context.err(USAGE);
    return 2;
  }
  return withSecrets(context, async (secrets) => {
    const read = await secrets.readValue(CLI_ACTOR, parsed.scope, parsed.values.name ?? '', { version: version === undefined ? undefined : Number(version), reason });
    context.out(read.value);
    return 0;
  });
};

/** `parapet secrets delete`: soft delete (versions stay until retention purges them). */
export const secretsDelete: Command = async (context) => {
  const parsed = parse(context, true);
  if (parsed === undefined) return 2;
  return withSecrets(context, async (secrets) => {
    await secrets.delete(CLI_ACTOR, parsed.scope, parsed.values.name ?? '');
    context.out(`${parsed.values.name ?? ''}: deleted`);
    return 0;
  });
};
