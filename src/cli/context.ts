import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { DB } from '../database.ts';
import type { Database } from '../platform/db/index.ts';

/**
 * The running server a command was handed to over the operator socket (embedded PGlite, where
 * one process owns the data): the command uses the server's database instead of opening its own.
 */
export interface AttachedServer {
  readonly db: Database<DB>;
  /** Issues a fresh one-time setup link through the server's own setup service. */
  readonly issueSetupLink: (publicUrl: string) => Promise<string | undefined>;
}

/** What every command receives from main.ts (or from the operator socket): config, I/O, a logger. */
export interface CliContext {
  readonly config: Config;
  readonly args: readonly string[];
  /** Writes one line to standard output. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
  /** Writes text to standard output as is (CSV, exported lines). */
  readonly write: (chunk: string) => void;
  /** A progress line on an interactive terminal (overwritten in place); nothing otherwise. */
  readonly progress: ((text: string) => void) | undefined;
  /** Standard input, read whole once (for values that never go on a command line). */
  readonly readStdin: () => string;
  /** The directory relative paths in arguments are read against: the operator's, not the server's. */
  readonly cwd: string;
  readonly logger: Logger;
  readonly pid: number;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM), or the operator hangs up. */
  readonly stopSignal: Promise<string>;
  /**
   * Calls `listener` whenever the process is asked to reload (SIGHUP); returns a function that
   * stops. Until a command subscribes, SIGHUP keeps its default meaning.
   */
  readonly onReload: (listener: () => void) => () => void;
  /** Set when the command runs inside a running embedded server, sent there by `parapet <command>`. */
  readonly attached?: AttachedServer;
  /** The commands an operator may send to this process while it serves (given to `serve` only). */
  readonly operatorCommands?: Readonly<Record<string, Command>>;
}

/** A command returns its exit code. */
export type Command = (context: CliContext) => Promise<number>;
