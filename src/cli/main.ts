/**
 * The `cosjob` operator CLI. `runCli` is the whole program as a function (argv, env, io → exit code),
 * so tests drive it in-process; the file runs it itself only when executed directly.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Env } from '../config/index.js';
import { type FlagSpec, parseArgs, UsageError } from './args.js';
import { auditCommands } from './audit.js';
import { type CliCommand, type CliIo, EXIT_OK, EXIT_USAGE, reportFailure, writeLine } from './command.js';
import { decisionCommands } from './decisions.js';
import { doctorCommand } from './doctor.js';
import { jobsCommands } from './jobs.js';
import { rulesCommands } from './rules.js';

export type { CliCommand, CliIo } from './command.js';

/** Every subcommand. Later groups (e.g. `cosjob audit …`) are appended here. */
export const COMMANDS: readonly CliCommand[] = [
  ...jobsCommands,
  ...auditCommands,
  ...decisionCommands,
  ...rulesCommands,
  doctorCommand,
];

const GLOBAL_FLAGS: FlagSpec = { help: 'boolean', verbose: 'boolean' };

const ENVIRONMENT_HELP = `Configuration comes from the environment:
  COS_SECRET_ID, COS_SECRET_KEY   CAM key allowed cos:ListJobs and cos:DescribeJob
  COS_SECURITY_TOKEN              only with temporary (STS) keys
  COS_APPID                       numeric APPID, e.g. 1250000000
  COS_UIN                         numeric account UIN, e.g. 100000000001
  COS_REGIONS                     comma-separated regions, e.g. ap-guangzhou,ap-shanghai
  COS_ENDPOINT                    optional origin override, e.g. http://127.0.0.1:9800 (emulator)
For audit, approve and cancel also:
  REDIS_URL, REDIS_KEY_PREFIX     the bot's Redis (default redis://127.0.0.1:6379, prefix cosjob)
  AUDIT_HMAC_KEY                  the bot's audit key, when it uses one
  APPROVER_USER_IDS               who may approve or cancel (as for the bot)
  APPROVER_USERGROUP_IDS          approver Slack user groups; checked only with SLACK_BOT_TOKEN
  SLACK_BOT_TOKEN, SLACK_API_URL  bot token (usergroups:read) to resolve those groups
The OS user and host running approve/cancel are recorded in the audit next to --as.`;

function helpText(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((command) => command.usage.length));
  return [
    'cosjob: inspect Tencent COS Batch Operations jobs, act on them, and check the audit trail.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.usage.padEnd(width)}  ${command.summary}`),
    `  ${'cosjob help [command]'.padEnd(width)}  Show this help, or one command's.`,
    '',
    'Options for every command: --help, --verbose (request logs on stderr).',
    '',
    ENVIRONMENT_HELP,
  ].join('\n');
}

function commandHelp(command: CliCommand): string {
  return `usage: ${command.usage}\n\n${command.summary}\n\n${ENVIRONMENT_HELP}`;
}

/** The command whose path is the longest prefix of the leading words, and the words after it. */
function findCommand(
  words: readonly string[],
  commands: readonly CliCommand[],
): { command: CliCommand; rest: string[] } | undefined {
  let best: CliCommand | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, index) => words[index] === word);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best === undefined ? undefined : { command: best, rest: words.slice(best.path.length) };
}

export async function runCli(
  argv: readonly string[],
  env: Env,
  io: CliIo,
  commands: readonly CliCommand[] = COMMANDS,
): Promise<number> {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  if (argv.length === 0 || words[0] === 'help') {
    const topic = words[0] === 'help' ? findCommand(words.slice(1), commands) : undefined;
    writeLine(io.stdout, topic === undefined ? helpText(commands) : commandHelp(topic.command));
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  // Flags may come anywhere, so the command is found from the leading non-flag words.
  const found = findCommand(words, commands);
  if (found === undefined) {
    if (argv.includes('--help') || argv.includes('-h')) {
      writeLine(io.stdout, helpText(commands));
      return EXIT_OK;
    }
    const group = commands.filter((command) => command.path[0] === words[0]);
    writeLine(
      io.stderr,
      words.length === 0
        ? 'cosjob: name a command.'
        : `cosjob: unknown command ${JSON.stringify(words.slice(0, 2).join(' '))}.`,
    );
    writeLine(io.stderr, '');
    writeLine(io.stderr, helpText(group.length > 0 ? group : commands));
    return EXIT_USAGE;
  }
  const { command } = found;
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(withoutCommandPath(argv, command.path), { ...GLOBAL_FLAGS, ...command.flags });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    writeLine(io.stderr, `cosjob: ${error.message}`);
    writeLine(io.stderr, `usage: ${command.usage}`);
    return EXIT_USAGE;
  }
  if (args.flags.help === true) {
    writeLine(io.stdout, commandHelp(command));
    return EXIT_OK;
  }
  try {
    return await command.run({ args, env, io });
  } catch (error) {
    return reportFailure(io, error);
  }
}

/** argv minus the words that selected the command (they are the first non-flag words, in order). */
function withoutCommandPath(argv: readonly string[], path: readonly string[]): string[] {
  const rest = [...argv];
  for (const word of path) {
    const index = rest.indexOf(word);
    if (index >= 0) rest.splice(index, 1);
  }
  return rest;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = await runCli(process.argv.slice(2), process.env, {
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
