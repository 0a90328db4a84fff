// A `parapet serve` child process on a free port, for suites that need real process deaths,
// signals and sockets (faults, start-up checks).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

export interface ServeNode {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

const running = new Set<ChildProcess>();

/** Spawns `parapet <args>` with only PATH and `env`; output and exit are captured. */
export function spawnParapet(args: readonly string[], env: Record<string, string>): { child: ChildProcess; output(): string; exited: Promise<number | NodeJS.Signals> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', PARAPET_LOG_LEVEL: 'warn', ...env } });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'SIGKILL');
    });
  });
  return { child, output: () => output, exited };
}

/**
 * Starts `parapet serve` and resolves once its banner is complete (its last line names the
 * setup-link command or the sign-in page); rejects with the output if it exits or takes 150 s (a
 * hang guard, not a timing target: start-up competes with the whole suite for two cores in CI).
 */
export function startNode(env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<ServeNode> {
  const timeoutMs = options.timeoutMs ?? 150_000;
  const spawned = spawnParapet(['serve'], { PARAPET_PORT: '0', PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', ...env });
  const { child, exited } = spawned;
  const output = () => spawned.output();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`serve did not start within ${timeoutMs / 1000} s: ${output()}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${String(code)}) before it was ready: ${output()}`));
    });
    child.stdout?.on('data', () => {
      const match = /listening on (http:\/\/[^)\s]+)/.exec(output());
      if (match?.[1] !== undefined && /prints a fresh|Sign in at/.test(output())) {
        clearTimeout(timer);
        resolve({ child, base: match[1], output, exited });
      }
    });
  });
}

/** SIGKILLs every process this module started that is still running (a failed test's leftovers). */
export function killAllNodes(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
