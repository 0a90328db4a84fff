import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';

/** What every command receives from main.ts: parsed config, output streams, a logger. */
export interface CliContext {
  readonly config: Config;
  readonly args: readonly string[];
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly logger: Logger;
  readonly pid: number;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  readonly stopSignal: Promise<string>;
  /**
   * Calls `listener` whenever the process is asked to reload (SIGHUP); returns a function that
   * stops. Until a command subscribes, SIGHUP keeps its default meaning.
   */
  readonly onReload: (listener: () => void) => () => void;
}

/** A command returns its exit code. */
export type Command = (context: CliContext) => Promise<number>;
