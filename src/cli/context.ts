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
}

/** A command returns its exit code. */
export type Command = (context: CliContext) => Promise<number>;
