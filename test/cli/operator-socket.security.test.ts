// Issue 15, part 7: operator commands against a running server on embedded PGlite. One process may
// open PGlite, so `parapet doctor`, `keys status`, `backup create` … are sent to the running server
// over its owner-only operator socket and run on its database. Real processes, real socket.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { operatorSocketPaths } from '../../src/cli/operator-socket.ts';
import { BIN, killAllNodes, startNode, type ServeNode } from '../support/serve-node.ts';

interface Ran {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `parapet <args>` as an operator would, in `cwd`, with `input` on stdin. */
function run(args: readonly string[], env: Record<string, string>, options: { cwd?: string; input?: string } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, cwd: options.cwd ?? process.cwd() });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdin.end(options.input ?? '');
    child.on('exit', (code) => {
      resolve({ code, out, err });
    });
  });
}

/** Speaks the socket protocol directly, as an attacker on the machine would: every answer line. */
function raw(socketPath: string, request: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      resolve(text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>));
    });
  });
}

describe('operator commands against a running embedded server (issue 15)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-operator-'));
  const env = { PARAPET_DATA_DIR: dataDir };
  const paths = operatorSocketPaths(dataDir);
  let node: ServeNode;

  before(async () => {
    node = await startNode(env);
  });
  after(() => {
    killAllNodes();
  });

  it('serve opens an owner-only socket and says operator commands work while it runs', () => {
    assert.match(node.output(), /Operator commands .* run inside this server/);
    assert.equal(statSync(paths.socket).mode & 0o777, 0o600);
    assert.equal(statSync(paths.token).mode & 0o777, 0o600);
  });

  it('doctor, keys status and audit events run inside the server instead of refusing', async () => {
    const doctor = await run(['doctor'], env);
    assert.equal(doctor.code, 0, doctor.out + doctor.err);
    assert.match(doctor.out, /checked inside the running server, pid \d+/);
    assert.match(doctor.out, /All checks passed/);
    const keys = await run(['keys', 'status'], env);
    assert.equal(keys.code, 0, keys.out + keys.err);
    assert.match(keys.out, /^provider: local/m);
    const events = await run(['audit', 'events', '--platform', '--json'], env);
    assert.equal(events.code, 0, events.out + events.err);
  });

  it('a usage error is answered by the server with the command\'s own exit code', async () => {
    const bad = await run(['audit', 'events', '--org', 'not-a-uuid'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /usage: parapet audit events/);
  });

  it('backup create writes the file in the operator\'s directory, relative paths included', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'parapet-operator-cwd-'));
    const created = await run(['backup', 'create', 'running.backup'], env, { cwd });
    assert.equal(created.code, 0, created.out + created.err);
    assert.ok(existsSync(join(cwd, 'running.backup')), 'the backup is where the operator asked for it');
    const verified = await run(['backup', 'verify', join(cwd, 'running.backup')], env);
    assert.equal(verified.code, 0, verified.out + verified.err);
    assert.match(verified.out, /^OK/m);
  });

  it('standard input reaches the command (secrets set), and its refusal comes back with its code', async () => {
    const secret = await run(['secrets', 'set', '--org', crypto.randomUUID(), '--env', crypto.randomUUID(), '--name', 'OPERATOR_TEST'], env, { input: 'value from stdin\n' });
    assert.equal(secret.code, 1, secret.out + secret.err);
    assert.doesNotMatch(secret.err, /none was sent/);
    assert.match(secret.err, /^[a-z_]+: /m, 'the vault\'s own error code (no such environment), not a transport failure');
  });

  it('setup-link issues its link through the running server', async () => {
    const link = await run(['setup-link'], env);
    assert.equal(link.code, 0, link.out + link.err);
    assert.match(link.out, /setup#token=/);
  });

  it('migrate and backup restore still refuse while the server runs', async () => {
    const migrate = await run(['migrate'], env);
    assert.equal(migrate.code, 1);
    assert.match(migrate.err, /in use by another Parapet process/);
  });

  it('a request without the operator token is refused before any command runs', async () => {
    const token = readFileSync(paths.token, 'utf8');
    const wrong = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
    for (const presented of [wrong, '', token.slice(0, 10)]) {
      const answers = await raw(paths.socket, `${JSON.stringify({ token: presented, command: 'keys status', args: [], cwd: '/' })}\n`);
      assert.deepEqual(answers.at(-1), { exit: 1 });
      assert.ok(answers.every((a) => a['out'] === undefined), 'no command output without the token');
    }
    const missing = await raw(paths.socket, `${JSON.stringify({ command: 'keys status', args: [], cwd: '/' })}\n`);
    assert.deepEqual(missing.at(-1), { exit: 1 });
    const garbage = await raw(paths.socket, "'; drop table users; --\n");
    assert.deepEqual(garbage.at(-1), { exit: 1 });
  });

  it('with the token, only the listed commands run: serve, migrate and restore are refused', async () => {
    const token = readFileSync(paths.token, 'utf8');
    for (const command of ['serve', 'migrate', 'backup restore', 'constructor', '__proto__']) {
      const answers = await raw(paths.socket, `${JSON.stringify({ token, command, args: [], cwd: '/' })}\n`);
      assert.deepEqual(answers.at(-1), { exit: 2 }, command);
    }
    const relative = await raw(paths.socket, `${JSON.stringify({ token, command: 'keys status', args: [], cwd: 'relative/dir' })}\n`);
    assert.deepEqual(relative.at(-1), { exit: 1 }, 'a working directory must be absolute');
  });

  it('after SIGTERM the socket and token are gone and commands open the data themselves', async () => {
    node.child.kill('SIGTERM');
    assert.equal(await node.exited, 0, node.output());
    assert.equal(existsSync(paths.socket), false);
    assert.equal(existsSync(paths.token), false);
    const keys = await run(['keys', 'status'], env);
    assert.equal(keys.code, 0, keys.out + keys.err);
  });
});
