/** Every command, as `parapet --help` lists it: the name and what it does, with its options. */
export const COMMAND_USAGE: readonly (readonly [name: string, description: string])[] = [
  ['serve', 'Start the server (migrates first). Default for `npm start`.'],
  ['migrate', 'Apply pending database migrations and exit.'],
  ['setup-link', 'Print a fresh one-time link to create the first platform administrator.'],
  ['config check', 'Validate the configuration and print it, secrets masked.'],
  ['doctor', 'Check database, roles, row-level security and keys; exit 1 on any failure.'],
  ['audit verify', 'Verify an audit log: --file <export.jsonl> [--key <verifier key>] offline,\nor --org <id> | --platform in the database [--state <file>]; [--witness-key <key>\n--cosignatures <file>]. Exit 1 when damage is found.'],
  ['audit prove', 'Print and check the inclusion proof of one event: <event-id> --org <id> | --platform.'],
  ['audit witness', "Countersign an organization's newest checkpoint as its witness: --url --org\n--log-key --token-file --key-file [--name] --state --cosignatures."],
  ['audit events', 'The newest events of a log: --org <id> | --platform [--action <prefix>] [--limit <n>] [--json].'],
  ['audit export', 'Export a log with its checkpoints: --org <id> | --platform [--format jsonl|csv|ocsf] [--out <file>].'],
  ['access review', 'Who can do what in an organization, and stale grants: --org <id> [--format json|csv].'],
  ['incidents list', 'Incidents, newest first, with phase, severity and overdue or warning clocks: [--open] [--json].'],
  ['incidents show', 'One incident with its clocks (time left) and timeline: <incident-id> [--json].'],
  ['members list', "An organization's members with roles, second factors, last sign-in: --org <id> [--json]."],
  ['members remove', 'Remove a member (bindings and sessions end, their API keys are suspended; the last\nTenant Admin is refused): --org <id> --user <id>.'],
  ['keys status', 'Key provider, root and tenant key versions, rewrap progress [--json].'],
  ['keys rotate', "New primary key version: [--root] [--tenant <id>] (default: every organization's\ntenant key), then rewrap and re-encrypt until done [--no-wait]."],
  ['keys destroy', 'Crypto-shred one tenant key version: --tenant <id> --version <n>.'],
  ['secrets list', "An environment's secrets, never values: --org <id> --env <id> [--json]."],
  ['secrets set', 'Store a new version, value read from stdin or --from-file: --org --env --name.'],
  ['secrets get', 'Print a value (audited): --org --env --name [--version <n>] --reason <text>.'],
  ['secrets versions', "A secret's versions (metadata): --org --env --name."],
  ['secrets delete', 'Delete a secret (versions kept until retention): --org --env --name.'],
  ['retention show', "Every data type's retention period, bounds and what it removes [--json]."],
  ['retention purge', 'Enforce retention now and print what was removed [--dry-run] [--type <t>]… [--json].'],
  ['mail outbox', 'Print the development outbox (mail kept locally while no SMTP server is\nconfigured; its links are live) [--last <n>].'],
  ['backup create', 'Write a consistent, compressed, encrypted backup: <file>.'],
  ['backup verify', 'Decrypt and check a backup (every frame, every table hash): <file> [--no-record]. Exit 1 if damaged. Recorded in the platform audit log (ENC-5).'],
  ['backup test-restore', 'Restore a backup into a throwaway database and read every table back: <file> [--into <empty postgres url>]. Recorded in the platform audit log (ENC-5).'],
  ['backup restore', 'Restore a backup into an empty database, then verify it: <file>.'],
  ['trust verify', 'Verify a trust center evidence bundle offline: <evidence.json> --key <verifier key>.'],
];

const FOOTER = `Configuration comes from PARAPET_* environment variables and an optional JSON file named by
PARAPET_CONFIG. See README.md for every option.`;

function lines(entries: readonly (readonly [string, string])[]): string {
  return entries.map(([name, description]) => `  ${`${name}  `.padEnd(16)}${description.replaceAll('\n', `\n${' '.repeat(18)}`)}`).join('\n');
}

/** `parapet --help`: every command. */
export const HELP = `Usage: parapet <command>

Commands:
${lines(COMMAND_USAGE)}

${FOOTER}`;

/**
 * The help of a command (`keys status`) or of a group of subcommands (`keys`), or undefined when
 * there is no such command.
 */
export function commandHelp(name: string): string | undefined {
  const exact = COMMAND_USAGE.filter(([command]) => command === name);
  const group = exact.length > 0 ? exact : COMMAND_USAGE.filter(([command]) => command.startsWith(`${name} `));
  if (group.length === 0) return undefined;
  const usage = exact.length > 0 ? `Usage: parapet ${name} [options]` : `Usage: parapet ${name} <${group.map(([command]) => command.slice(name.length + 1)).join('|')}> [options]`;
  return `${usage}\n\n${lines(group)}\n\n${FOOTER}`;
}
