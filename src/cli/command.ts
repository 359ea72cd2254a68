/**
 * The shape every cosjob subcommand has. Commands live in a table (src/cli/main.ts), so new groups
 * such as `cosjob audit …` are added by exporting more CliCommand entries, without touching parsing.
 */
import { ConfigError, type Env } from '../config/index.js';
import { CosError, CosValidationError } from '../cos/errors.js';
import type { FlagSpec, ParsedArgs } from './args.js';

export interface CliOutput {
  write(chunk: string): unknown;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
}

export const EXIT_OK = 0;
/** COS or another runtime failure. */
export const EXIT_FAILURE = 1;
/** Bad command line or configuration: fix the invocation, not the world. */
export const EXIT_USAGE = 2;

export interface CommandContext {
  args: ParsedArgs;
  env: Env;
  io: CliIo;
}

export interface CliCommand {
  /** Words that select the command, e.g. ['jobs', 'list']. */
  path: readonly string[];
  summary: string;
  /** The synopsis shown in help, e.g. 'cosjob jobs describe <JobId> [--region R] [--json]'. */
  usage: string;
  /** Flags besides the global ones (--help, --verbose). */
  flags: FlagSpec;
  run(context: CommandContext): Promise<number>;
}

export function writeLine(output: CliOutput, text = ''): void {
  output.write(`${text}\n`);
}

/**
 * Prints any failure for a person: COS code and request id first, then what to do. Returns the exit
 * code it deserves. No stack traces, and nothing that is not already sanitised.
 */
export function reportFailure(io: CliIo, error: unknown, context?: string): number {
  const prefix = context === undefined ? 'cosjob' : `cosjob: ${context}`;
  if (error instanceof ConfigError) {
    writeLine(io.stderr, 'cosjob: the configuration is incomplete or invalid:');
    for (const problem of error.problems) writeLine(io.stderr, `  - ${problem}`);
    return EXIT_USAGE;
  }
  if (error instanceof CosValidationError) {
    writeLine(io.stderr, `${prefix}: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof CosError) {
    writeLine(
      io.stderr,
      `${prefix}: COS error ${error.code}${error.httpStatus === undefined ? '' : ` (HTTP ${error.httpStatus})`}`,
    );
    writeLine(io.stderr, `  message:    ${error.message}`);
    writeLine(io.stderr, `  request id: ${error.requestId ?? '(none)'}`);
    if (error.traceId !== undefined) writeLine(io.stderr, `  trace id:   ${error.traceId}`);
    writeLine(io.stderr, `  what to do: ${error.explanation}`);
    return EXIT_FAILURE;
  }
  writeLine(io.stderr, `${prefix}: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT_FAILURE;
}
