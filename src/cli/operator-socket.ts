/**
 * The operator socket (issue 15, part 7). Embedded PGlite can be opened by one process only, so
 * while `serve` runs, `parapet doctor`, `audit verify --org`, `keys status`, `backup create` and the
 * other database commands cannot open the data themselves. Instead the server listens on a Unix
 * socket and runs the command for them, on its own database, streaming the output back.
 *
 * Who may use it: the socket lives in the data folder (mode 0700, beside the keyring) with mode
 * 0600, and every request carries the token the server wrote to `<dataDir>/operator.token` (0600)
 * at start. Anyone who can read that token can already read the keyring and the database files, so
 * the socket grants nothing they do not hold. A PostgreSQL server needs none of this: commands open
 * their own connections beside the nodes.
 *
 * The protocol is one JSON line each way per message: the request
 * `{"token","command","args","cwd","stdin"?}`, then answers `{"out"}`, `{"err"}`, `{"write"}` and
 * a last `{"exit"}`. Hand-written because it is twenty lines on `node:net`; nothing else listens.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { AttachedServer, CliContext, Command } from './context.ts';

/** Longest request line accepted (arguments and a secret value read from stdin). */
const MAX_REQUEST_BYTES = 1024 * 1024;

/** Where the socket and its token live for a data folder. */
export function operatorSocketPaths(dataDir: string): { readonly socket: string; readonly token: string } {
  const dir = resolve(dataDir);
  const inData = join(dir, 'operator.sock');
  // A Unix socket path holds at most 107 bytes (103 on macOS): a deep data folder gets its socket
  // in the temporary folder, named by the folder's hash (the token still lives in the data folder).
  const socket = Buffer.byteLength(inData) <= 100 ? inData : join(tmpdir(), `parapet-${createHash('sha256').update(dir).digest('hex').slice(0, 24)}.sock`);
  return { socket, token: join(dir, 'operator.token') };
}

interface OperatorRequest {
  readonly token: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly stdin: string | undefined;
}

function parseRequest(line: string): OperatorRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { token, command, args, cwd, stdin } = value as Record<string, unknown>;
  if (typeof token !== 'string' || typeof command !== 'string' || typeof cwd !== 'string' || !isAbsolute(cwd)) return undefined;
  if (!Array.isArray(args) || !args.every((arg): arg is string => typeof arg === 'string')) return undefined;
  if (stdin !== undefined && typeof stdin !== 'string') return undefined;
  return { token, command, args, cwd, stdin };
}

function sameToken(expected: Buffer, presented: string): boolean {
  const given = Buffer.from(presented, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface OperatorSocket {
  readonly path: string;
  close(): Promise<void>;
}

export interface OperatorSocketOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly pid: number;
  readonly commands: Readonly<Record<string, Command>>;
  readonly attached: AttachedServer;
}

/** Starts the operator socket of a serving embedded-PGlite process. Commands run one at a time. */
export async function openOperatorSocket(options: OperatorSocketOptions): Promise<OperatorSocket> {
  const paths = operatorSocketPaths(options.config.dataDir);
  const token = randomBytes(32).toString('hex');
  const expected = Buffer.from(token, 'utf8');
  // The embedded-data lock is held, so a socket or token left here belongs to a process that died.
  rmSync(paths.socket, { force: true });
  rmSync(paths.token, { force: true });
  writeFileSync(paths.token, token, { mode: 0o600, flag: 'wx' });

  let queue: Promise<unknown> = Promise.resolve();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    let started = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (started) return;
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) {
        if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES) socket.destroy();
        return;
      }
      started = true;
      const request = parseRequest(buffered.slice(0, end));
      const send = (message: Record<string, unknown>) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
      };
      if (request === undefined || !sameToken(expected, request.token)) {
        options.logger.warn('operator socket: a request without the operator token was refused');
        send({ err: 'refused: the request does not carry this server\'s operator token' });
        send({ exit: 1 });
        socket.end();
        return;
      }
      const command = Object.hasOwn(options.commands, request.command) ? options.commands[request.command] : undefined;
      if (command === undefined) {
        send({ err: `"${request.command}" cannot run inside the running server; stop it first` });
        send({ exit: 2 });
        socket.end();
        return;
      }
      const hungUp = new Promise<string>((resolveHangUp) => {
        socket.once('close', () => {
          resolveHangUp('operator hung up');
        });
      });
      const context: CliContext = {
        config: options.config,
        args: request.args,
        out: (line) => {
          send({ out: line });
        },
        err: (line) => {
          send({ err: line });
        },
        write: (text) => {
          send({ write: text });
        },
        progress: undefined,
        readStdin: () => {
          if (request.stdin === undefined) throw new Error('this command reads standard input, and none was sent');
          return request.stdin;
        },
        cwd: request.cwd,
        logger: options.logger,
        pid: options.pid,
        stopSignal: hungUp,
        onReload: () => () => undefined,
        attached: options.attached,
      };
      const run = queue.then(async () => {
        options.logger.info({ command: request.command }, 'operator command');
        try {
          send({ exit: await command(context) });
        } catch (error) {
          send({ err: `parapet: ${error instanceof Error ? error.message : String(error)}` });
          send({ exit: 1 });
        }
        socket.end();
      });
      queue = run.catch(() => undefined);
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(paths.socket, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  chmodSync(paths.socket, 0o600);
  return {
    path: paths.socket,
    close: async () => {
      await new Promise<void>((resolveClose) => {
        server.close(() => {
          resolveClose();
        });
        for (const socket of sockets) socket.destroy();
      });
      await queue;
      rmSync(paths.token, { force: true });
      rmSync(paths.socket, { force: true });
    },
  };
}

/** Output a forwarded command writes where the operator sees it. */
export interface OperatorOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly write: (chunk: string) => void;
}

/** Sends a command to the running server over its operator socket; resolves with its exit code. */
export async function sendToServer(config: Config, request: Omit<OperatorRequest, 'token'>, output: OperatorOutput): Promise<number> {
  const paths = operatorSocketPaths(config.dataDir);
  const token = readFileSync(paths.token, 'utf8').trim();
  return new Promise<number>((resolveExit, reject) => {
    const socket = createConnection(paths.socket);
    let exit: number | undefined;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(`${JSON.stringify({ ...request, token })}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const message = JSON.parse(buffered.slice(0, end)) as { out?: string; err?: string; write?: string; exit?: number };
        buffered = buffered.slice(end + 1);
        if (message.out !== undefined) output.out(message.out);
        if (message.err !== undefined) output.err(message.err);
        if (message.write !== undefined) output.write(message.write);
        if (message.exit !== undefined) exit = message.exit;
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      if (exit === undefined) reject(new Error('the server closed the operator socket before the command finished'));
      else resolveExit(exit);
    });
  });
}
