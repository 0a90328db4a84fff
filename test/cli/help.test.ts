// Every command and subcommand answers --help (and -h) with its usage and exit 0, before reading
// any configuration (issue 14: `parapet keys status --help` answered "Unknown option '--help'").
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_USAGE, commandHelp } from '../../src/cli/usage.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function run(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  // A bad option value in the environment proves help does not read the configuration.
  const env = { PATH: process.env['PATH'] ?? '', PARAPET_DATA_DIR: mkdtempSync(join(tmpdir(), 'parapet-help-')), PARAPET_PORT: 'not-a-port' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, out, err });
    });
  });
}

const COMMANDS = COMMAND_USAGE.map(([name]) => name);
const GROUPS = [...new Set(COMMANDS.filter((name) => name.includes(' ')).map((name) => name.split(' ')[0] ?? ''))];

describe('parapet --help', () => {
  it('lists every command', async () => {
    const { code, out } = await run(['--help']);
    assert.equal(code, 0);
    for (const name of COMMANDS) assert.ok(out.includes(`  ${name} `), name);
  });

  it('every command and subcommand has a usage that names it', () => {
    for (const name of [...COMMANDS, ...GROUPS]) assert.match(commandHelp(name) ?? '', new RegExp(`^Usage: parapet ${name}\\b`), name);
    assert.equal(commandHelp('frobnicate'), undefined);
  });

  it('a command, a subcommand and a group answer --help and -h with their usage and exit 0, without reading the configuration', async () => {
    // Spawning all of them takes minutes on a shared machine; commandHelp is checked for every one above.
    for (const args of [['keys', 'status', '--help'], ['keys', 'status', '-h'], ['secrets', 'versions', '--help'], ['serve', '--help'], ['backup', '--help']]) {
      const { code, out, err } = await run(args);
      const name = args.slice(0, -1).join(' ');
      assert.equal(code, 0, `${args.join(' ')}: ${err}`);
      assert.match(out, new RegExp(`^Usage: parapet ${name}\\b`), args.join(' '));
      assert.equal(err, '', args.join(' '));
    }
  });

  it('an unknown command with --help still exits 2', async () => {
    assert.equal((await run(['frobnicate', '--help'])).code, 2);
  });
});
