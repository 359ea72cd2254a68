/**
 * Command-line flags, read with node:util parseArgs, held to cosjob's strictness: unknown flags, missing
 * or empty values, a value given to a boolean and a flag given twice are errors, never guesses.
 */
import { parseArgs as parseNodeArgs } from 'node:util';

export type FlagKind = 'string' | 'boolean';
export type FlagSpec = Readonly<Record<string, FlagKind>>;

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` against `spec`: `--name value`, `--name=value`, boolean `--name`, `-h` for help and `--`
 * to end flags. parseArgs runs non-strict and hands back its tokens, which are checked here so every
 * problem is named the way cosjob's usage errors are.
 */
export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const options = Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, { type }]));
  const { tokens } = parseNodeArgs({
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const { name, rawName, value, inlineValue } = token;
    // The only short option is -h.
    const kind = rawName.startsWith('--') ? spec[name] : rawName === '-h' ? 'boolean' : undefined;
    if (kind === undefined) throw new UsageError(`Unknown option ${rawName}.`);
    if (Object.hasOwn(flags, name)) throw new UsageError(`--${name} is given more than once.`);
    if (kind === 'boolean') {
      if (value !== undefined) throw new UsageError(`--${name} takes no value.`);
      flags[name] = true;
      continue;
    }
    if (value === undefined || value === '' || (!inlineValue && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value.`);
    }
    flags[name] = value;
  }
  return { positionals, flags };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}
