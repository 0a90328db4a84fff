// The process entry: the only place that reads process.env, listens for signals, or exits.
import { accessReview } from './cli/access.ts';
import { auditWitness } from './cli/audit-witness.ts';
import { auditEvents, auditExport, auditProve, auditVerify } from './cli/audit.ts';
import { backupCreate, backupRestore, backupVerify } from './cli/backup.ts';
import { configCheck } from './cli/config-check.ts';
import type { Command } from './cli/context.ts';
import { doctor } from './cli/doctor.ts';
import { keysDestroy, keysRotate, keysStatus } from './cli/keys.ts';
import { mailOutbox } from './cli/mail.ts';
import { membersList, membersRemove } from './cli/members.ts';
import { migrate } from './cli/migrate.ts';
import { secretsDelete, secretsGet, secretsList, secretsSet, secretsVersions } from './cli/secrets.ts';
import { retentionPurge, retentionShow } from './cli/retention.ts';
import { serve } from './cli/serve.ts';
import { setupLink } from './cli/setup-link.ts';
import { ConfigError, loadConfig, readConfigFile } from './config/index.ts';
import { createLogger } from './platform/log/logger.ts';

const HELP = `Usage: parapet <command>

Commands:
  serve           Start the server (migrates first). Default for \`npm start\`.
  migrate         Apply pending database migrations and exit.
  setup-link      Print a fresh one-time link to create the first platform administrator.
  config check    Validate the configuration and print it, secrets masked.
  doctor          Check database, roles, row-level security and keys; exit 1 on any failure.
  audit verify    Verify an audit log: --file <export.jsonl> [--key <verifier key>] offline,
                  or --org <id> in the database [--state <file>]; [--witness-key <key>
                  --cosignatures <file>]. Exit 1 when damage is found.
  audit prove     Print and check the inclusion proof of one event: <event-id> --org <id>.
  audit witness   Countersign an organization's newest checkpoint as its witness: --url --org
                  --log-key --token-file --key-file [--name] --state --cosignatures.
  audit events    The newest events of a log: --org <id> | --platform [--action <prefix>] [--limit <n>] [--json].
  audit export    Export a log with its checkpoints: --org <id> | --platform [--format jsonl|csv|ocsf] [--out <file>].
                  (--platform: the platform log — sign-ins, setup, operators; also for verify and prove.)
  access review   Who can do what in an organization, and stale grants: --org <id> [--format json|csv].
  members list    An organization's members with roles, second factors, last sign-in: --org <id> [--json].
  members remove  Remove a member (bindings and sessions end, their API keys are suspended; the last
                  Tenant Admin is refused): --org <id> --user <id>.
  keys status     Key provider, root and tenant key versions, rewrap progress [--json].
  keys rotate     New primary key version: [--root] [--tenant <id>] (default: every organization's
                  tenant key), then rewrap and re-encrypt until done [--no-wait].
  keys destroy    Crypto-shred one tenant key version: --tenant <id> --version <n>.
  secrets list    An environment's secrets, never values: --org <id> --env <id> [--json].
  secrets set     Store a new version, value read from stdin or --from-file: --org --env --name.
  secrets get     Print a value (audited): --org --env --name [--version <n>] --reason <text>.
  secrets versions  A secret's versions (metadata): --org --env --name.
  secrets delete  Delete a secret (versions kept until retention): --org --env --name.
  retention show  Every data type's retention period, bounds and what it removes [--json].
  retention purge Enforce retention now and print what was removed [--dry-run] [--type <t>]… [--json].
  mail outbox     Print the development outbox (mail kept locally while no SMTP server is
                  configured; its links are live) [--last <n>].
  backup create   Write a consistent, compressed, encrypted backup: <file>.
  backup verify   Decrypt and check a backup (every frame, every table hash): <file>. Exit 1 if damaged.
  backup restore  Restore a backup into an empty database, then verify it: <file>.

Configuration comes from PARAPET_* environment variables and an optional JSON file named by
PARAPET_CONFIG. See README.md for every option.`;

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
};

/** Commands with subcommands (`keys rotate`, `backup verify` …). */
const COMMAND_GROUPS: ReadonlySet<string> = new Set(['config', 'audit', 'access', 'members', 'keys', 'secrets', 'retention', 'mail', 'backup']);

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${HELP}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  const name = COMMAND_GROUPS.has(argv[0] ?? '') ? `${argv[0]} ${argv[1] ?? ''}`.trim() : (argv[0] ?? '');
  const command = COMMANDS[name];
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
  return command({
    config,
    args: argv.slice(name.split(' ').length),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    logger,
    pid: process.pid,
    stopSignal,
    onReload: (listener) => {
      process.on('SIGHUP', listener);
      return () => {
        process.off('SIGHUP', listener);
      };
    },
  });
}

// A fault nothing handled leaves the process in an unknown state: log it, exit 1, and let the
// supervisor (systemd, Kubernetes) start a fresh node. Node's own default also exits, but without
// a log line in the node's format.
function fatal(kind: string, error: unknown): never {
  const fatalLogger = createLogger('fatal');
  fatalLogger.fatal({ err: error }, `${kind}; exiting`);
  process.stderr.write(`parapet: ${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
process.on('uncaughtException', (error) => {
  fatal('uncaught exception', error);
});
process.on('unhandledRejection', (reason) => {
  fatal('unhandled promise rejection', reason);
});

// Until a command finishes, the exit code says failure: a command whose work is dropped (the event
// loop emptying while it awaits) must not look like success.
process.exitCode = 1;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`parapet: ${error instanceof Error ? error.message : String(error)}\n`);
    // Exit now: a failed command may leave timers or connections behind (a server that could not
    // listen), and a process that lingers after failing holds them and looks alive.
    process.exit(1);
  },
);
