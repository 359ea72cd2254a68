/**
 * `npm run demo` without the process around it: arguments, the overall deadline, exit codes and the
 * summary. main.ts only wires it to the real process, so tests can run the whole demo in-process.
 *
 * Exit codes: 0 the story ran and every check passed; 1 something did not happen as it should (the
 * message says what), or the deadline passed; 2 a setting to fix (redis-server missing, REDIS_URL
 * unusable, an unknown argument); 130 interrupted.
 */
import { redactText } from '../src/logger.js';
import { DemoStepError } from './slack-user.js';
import { DemoSetupError, type DemoStack, PEOPLE, REGIONS, startDemoStack } from './stack.js';
import { createNarrator, formatSummary, runStory, summaryProblems } from './story.js';

export interface DemoIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

export interface DemoCliOptions {
  /** Overall deadline (default 90 s): the demo never hangs. */
  timeoutMs?: number;
  /** Aborted by Ctrl-C in main.ts. */
  signal?: AbortSignal;
}

export const USAGE = `Usage: npm run demo [-- --quiet] [-- --verbose]

Runs the whole cosjob flow offline: a COS emulator, a fake Slack, real Redis and the real bot.
  --quiet     print only the summary
  --verbose   also print cosjob's own log lines (JSON) to stderr

Environment:
  REDIS_URL   use this Redis (the demo uses its own key prefix there and deletes its keys at the end);
              unset: a private redis-server is started (it must be on the PATH) and stopped at the end`;

const DEFAULT_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_LINES_KEPT = 200;

class DemoInterrupted extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'DemoInterrupted';
  }
}

interface Flags {
  quiet: boolean;
  verbose: boolean;
  help: boolean;
}

function parseFlags(argv: readonly string[]): Flags | string {
  const flags: Flags = { quiet: false, verbose: false, help: false };
  for (const arg of argv) {
    if (arg === '--quiet' || arg === '-q') flags.quiet = true;
    else if (arg === '--verbose' || arg === '-v') flags.verbose = true;
    else if (arg === '--help' || arg === '-h') flags.help = true;
    else return `unknown argument "${arg.slice(0, 60)}"`;
  }
  return flags;
}

/** Rejects when `signal` aborts, with its reason, so a hung step cannot hold the demo. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function race<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = untilAborted(signal);
  aborted.catch(() => undefined);
  return Promise.race([work, aborted]);
}

/** The value, or undefined when the promise rejects or takes longer than `ms`. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const result = await Promise.race([promise.catch(() => undefined), timedOut]);
  clearTimeout(timer);
  return result;
}

async function stopWithin(stack: DemoStack, io: DemoIo): Promise<void> {
  const stopped = await settledWithin(
    stack.stop().then(() => true),
    STOP_TIMEOUT_MS,
  );
  if (stopped !== true) {
    io.stderr(`warning: the demo's components did not all stop within ${STOP_TIMEOUT_MS / 1000} s\n`);
  }
}

export async function runDemoCli(
  argv: readonly string[],
  io: DemoIo,
  options: DemoCliOptions = {},
): Promise<number> {
  const flags = parseFlags(argv);
  if (typeof flags === 'string') {
    io.stderr(`npm run demo: ${flags}\n\n${USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }

  const started = Date.now();
  const out = createNarrator(io.stdout, flags.quiet);
  const logLines: string[] = [];
  const writeLog = (line: string) => {
    logLines.push(line);
    if (logLines.length > LOG_LINES_KEPT) logLines.shift();
    if (flags.verbose) io.stderr(`${line}\n`);
  };

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new DemoInterrupted(
          1,
          `the demo did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`,
        ),
      ),
    timeoutMs,
  );
  const onInterrupt = () => deadline.abort(new DemoInterrupted(130, 'interrupted'));
  if (options.signal?.aborted) onInterrupt();
  else options.signal?.addEventListener('abort', onInterrupt, { once: true });
  const signal = deadline.signal;

  let stack: DemoStack | undefined;
  let starting: Promise<DemoStack> | undefined;
  const redisUrl = io.env.REDIS_URL?.trim() || undefined;
  try {
    if (!flags.quiet) {
      io.stdout('cosjob demo: the whole approval flow, offline, in one command.\n');
    }
    starting = startDemoStack({
      ...(redisUrl !== undefined ? { redisUrl } : {}),
      searchPath: io.env.PATH ?? '',
      writeLog,
    });
    stack = await race(starting, signal);
    out.chapter('Start');
    out.say(describeSetup(stack));

    const summary = await race(runStory(stack, out, signal), signal);
    const problems = summaryProblems(summary);
    io.stdout(`\n${formatSummary(summary, Date.now() - started)}\n`);
    if (problems.length > 0) {
      io.stderr(
        `\nThe demo finished, but not as it should:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    return reportFailure(error, io, logLines);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onInterrupt);
    // A deadline can pass while the stack is still starting: wait for it (bounded) so it is stopped too.
    stack ??= starting === undefined ? undefined : await settledWithin(starting, STOP_TIMEOUT_MS);
    if (stack !== undefined) await stopWithin(stack, io);
  }
}

function describeSetup(stack: DemoStack): string {
  const approverIds = stack.config.approvals.approverUserIds;
  const approvers = PEOPLE.filter((p) => approverIds.includes(p.id)).map((p) => `${p.name} (${p.id})`);
  const others = PEOPLE.filter((p) => !approverIds.includes(p.id)).map((p) => p.name);
  return [
    `Redis:       ${stack.redisDescription}`,
    `COS:         emulator at ${stack.emulator.url}, regions ${REGIONS.join(' and ')}, jobs advance by themselves`,
    `Slack:       fake Web API at ${stack.slack.url}, channel ${stack.config.slack.channelId}`,
    `cosjob:      the real bot (startRuntime), its Bolt HTTP receiver on port ${stack.runtime.slack.port ?? '?'}`,
    `Approvers:   ${approvers.join(', ')}; ${stack.config.approvals.requiredApprovals} approval required; ` +
      `${others.join(', ')} is not an approver`,
    'Secrets:     random for this run and never printed',
  ].join('\n');
}

function reportFailure(error: unknown, io: DemoIo, logLines: readonly string[]): number {
  const message = redactText(error instanceof Error ? error.message : String(error));
  if (error instanceof DemoSetupError) {
    io.stderr(`npm run demo: ${message}\n`);
    return 2;
  }
  if (error instanceof DemoInterrupted) {
    io.stderr(`\nnpm run demo: ${message}\n`);
    return error.exitCode;
  }
  const what = error instanceof DemoStepError ? 'the demo stopped' : 'the demo failed unexpectedly';
  io.stderr(`\nnpm run demo: ${what}: ${message}\n`);
  // cosjob's own warnings usually say why (log lines are redacted by the logger already).
  const recent = logLines.filter((line) => /"level":"(warn|error)"/.test(line)).slice(-10);
  if (recent.length > 0) io.stderr(`Recent warnings from cosjob:\n${recent.join('\n')}\n`);
  return 1;
}
