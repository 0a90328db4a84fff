import type { Logger } from 'pino';
import type { CliContext } from '../../src/cli/context.ts';
import type { Config } from '../../src/config/index.ts';

/** A command's context for calling it in process: every line (out and err) goes to `lines`. */
export function cliContext(config: Config, logger: Logger, lines: string[], args: readonly string[] = []): CliContext {
  return {
    config,
    args,
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    write: (chunk) => lines.push(chunk),
    progress: undefined,
    readStdin: () => {
      throw new Error('no standard input in this test');
    },
    cwd: process.cwd(),
    logger,
    pid: process.pid,
    stopSignal: new Promise(() => undefined),
    onReload: () => () => undefined,
  };
}
