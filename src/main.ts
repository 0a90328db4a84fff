// The process entry: the only place that reads process.env, listens for signals, or exits.
import { readFileSync } from 'node:fs';
import { accessReview } from './cli/access.ts';
import { auditWitness } from './cli/audit-witness.ts';
import { auditEvents, auditExport, auditProve, auditVerify } from './cli/audit.ts';
import { backupCreate, backupRestore, backupTestRestore, backupVerify } from './cli/backup.ts';
import { configCheck } from './cli/config-check.ts';
import type { Command } from './cli/context.ts';
import { doctor } from './cli/doctor.ts';
import { ServerHoldsData } from './cli/open-data.ts';
import { sendToServer } from './cli/operator-socket.ts';
import { keysDestroy, keysRotate, keysStatus } from './cli/keys.ts';
import { mailOutbox } from './cli/mail.ts';
import { membersList, membersRemove } from './cli/members.ts';
import { migrate } from './cli/migrate.ts';
import { secretsDelete, secretsGet, secretsList, secretsSet, secretsVersions } from './cli/secrets.ts';
import { retentionPurge, retentionShow } from './cli/retention.ts';
import { serve } from './cli/serve.ts';
import { setupLink } from './cli/setup-link.ts';
import { trustVerify } from './cli/trust.ts';
import { incidentsList, incidentsShow } from './cli/incidents.ts';
import { commandHelp, HELP } from './cli/usage.ts';
import { ConfigError, loadConfig, readConfigFile } from './config/index.ts';
import { createLogger } from './platform/log/logger.ts';

const COMMANDS: Readonly<Record<string, Command>> = {
  serve,
  migrate,
  'setup-link': setupLink,
  'config check': configCheck,
  doctor,
  'audit verify': auditVerify,
  'audit prove': auditProve,
  'audit witness': auditWitness,
  'audit events': auditEvents,
  'audit export': auditExport,
  'access review': accessReview,
  'members list': membersList,
  'members remove': membersRemove,
  'keys status': keysStatus,
  'keys rotate': keysRotate,
  'keys destroy': keysDestroy,
  'secrets list': secretsList,
  'secrets set': secretsSet,
  'secrets get': secretsGet,
  'secrets versions': secretsVersions,
  'secrets delete': secretsDelete,
  'retention show': retentionShow,
  'retention purge': retentionPurge,
  'mail outbox': mailOutbox,
  'backup create': backupCreate,
  'backup verify': backupVerify,
  'backup restore': backupRestore,
  'backup test-restore': backupTestRestore,
  'trust verify': trustVerify,
  'incidents list': incidentsList,
  'incidents show': incidentsShow,
};

/**
 * Commands a running embedded-PGlite server runs for the operator (src/cli/operator-socket.ts):
 * those that open the database. Not `migrate` (the server has) or `backup restore` (into an
 * empty database only), which need the server stopped.
 */
const OPERATOR_COMMANDS: Readonly<Record<string, Command>> = Object.fromEntries(
  ['setup-link', 'doctor', 'audit verify', 'audit prove', 'audit events', 'audit export', 'access review', 'members list', 'members remove', 'keys status', 'keys rotate', 'keys destroy', 'secrets list', 'secrets set', 'secrets get', 'secrets versions', 'secrets delete', 'retention show', 'retention purge', 'backup create', 'backup verify', 'backup test-restore', 'incidents list', 'incidents show'].map((name) => [name, COMMANDS[name] as Command]),
);

/** Commands with subcommands (`keys rotate`, `backup verify` …). */
const COMMAND_GROUPS: ReadonlySet<string> = new Set(Object.keys(COMMANDS).filter((name) => name.includes(' ')).map((name) => name.slice(0, name.indexOf(' '))));

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${HELP}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  const name = COMMAND_GROUPS.has(argv[0] ?? '') && !isHelp(argv[1]) ? `${argv[0]} ${argv[1] ?? ''}`.trim() : (argv[0] ?? '');
  // `parapet keys --help`, `parapet keys status --help`: usage, exit 0, before any configuration is read.
  if (argv.slice(name.split(' ').length).some(isHelp)) {
    const help = commandHelp(name);
    if (help !== undefined) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`Unknown command "${argv.join(' ')}".\n\n${HELP}\n`);
    return 2;
  }
  let config;
  try {
    const file = process.env['PARAPET_CONFIG'];
    config = loadConfig({ env: process.env, ...(file === undefined ? {} : { file: readConfigFile(file), fileName: file }) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(name === 'serve' ? config.logLevel : 'warn');
  const stopSignal = new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => {
      resolve(signal);
    });
  });
  let stdin: string | undefined;
  const readStdin = (): string => (stdin ??= readFileSync(0, 'utf8'));
  const args = argv.slice(name.split(' ').length);
  const output = {
    out: (line: string) => process.stdout.write(`${line}\n`),
    err: (line: string) => process.stderr.write(`${line}\n`),
    write: (chunk: string) => process.stdout.write(chunk),
  };
  const run = command({
    config,
    args,
    ...output,
    progress: process.stderr.isTTY ? (text) => process.stderr.write(`\r${text}`) : undefined,
    readStdin,
    cwd: process.cwd(),
    logger,
    pid: process.pid,
    stopSignal,
    onReload: (listener) => {
      process.on('SIGHUP', listener);
      return () => {
        process.off('SIGHUP', listener);
      };
    },
    ...(name === 'serve' ? { operatorCommands: OPERATOR_COMMANDS } : {}),
  });
  try {
    return await run;
  } catch (error) {
    // Embedded PGlite held by a running server: the server runs the command on its own database.
    if (!(error instanceof ServerHoldsData) || !Object.hasOwn(OPERATOR_COMMANDS, name)) throw error;
    return sendToServer(config, { command: name, args, cwd: process.cwd(), stdin }, output);
  }
}

// Until a command finishes, the exit code says failure: a command whose work is dropped (the event
// loop emptying while it awaits) must not look like success.
process.exitCode = 1;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`parapet: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
