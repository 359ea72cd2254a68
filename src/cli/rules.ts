/**
 * `cosjob rules check` validates COSJOB_CONFIG (or --file) with the environment it names, reporting every
 * problem with file:line; `cosjob rules explain <JobId>` reads the job from COS and says which rule
 * applies to it and why, key by key. Both exit 1 on any problem.
 */

import { type AccountConfig, cosConfigOf } from '../config/accounts.js';
import { type AccountsAndRules, readAccountsAndRules } from '../config/accounts-and-rules.js';
import { readApprovalConfig } from '../config/approvals.js';
import { type CosConfig, readCosConfig } from '../config/cos.js';
import { EnvReader } from '../config/reader.js';
import { SETTINGS } from '../config/settings.js';
import { type Env, environmentSource } from '../config/source.js';
import { readWatcherConfig } from '../config/watcher.js';
import { closeCosClients, createCosClients } from '../cos/client.js';
import { isNoSuchJob } from '../cos/errors.js';
import { validateJobId } from '../cos/validation.js';
import { createLogger, silentLogger } from '../logger.js';
import {
  chooseRule,
  describeMatch,
  describeRule,
  type JobFacts,
  jobFacts,
  type Rule,
  ruleHash,
} from '../rules/index.js';
import { booleanFlag, stringFlag } from './args.js';
import {
  type CliCommand,
  type CommandContext,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  reportFailure,
  writeLine,
} from './command.js';
import { cell } from './format.js';

interface LoadedRules {
  config: AccountsAndRules;
  /** COS_ENDPOINT, which applies to every account (the emulator serves several). */
  endpoint?: string;
  warnings: string[];
}

type Loaded = { ok: true; loaded: LoadedRules } | { ok: false; problems: string[]; warnings: string[] };

/**
 * The settings rules depend on, read from the environment: the file, the default rule's settings, and
 * COS_* only when the file has no accounts. Warnings about settings these commands do not use (the audit
 * key) are left to `cosjob doctor`.
 */
function loadRules(env: Env, fileFlag: string | undefined): Loaded {
  const environment = fileFlag === undefined ? env : { ...env, COSJOB_CONFIG: fileFlag };
  const reader = new EnvReader(environment);
  const approvals = readApprovalConfig(reader);
  const watcher = readWatcherConfig(reader);
  let cos: CosConfig | undefined;
  const config = readAccountsAndRules(reader, {
    source: environmentSource(environment),
    approvals,
    watcher,
    cos: () => {
      cos = readCosConfig(reader);
      return cos;
    },
  });
  const endpoint = cos === undefined ? reader.url(SETTINGS.COS_ENDPOINT, ['http:', 'https:']) : cos.endpoint;
  const warnings = reader.warnings.filter((w) => !w.startsWith(`${SETTINGS.AUDIT_HMAC_KEY.name} `));
  if (reader.problems.length > 0) return { ok: false, problems: reader.problems, warnings };
  return { ok: true, loaded: { config, ...(endpoint === undefined ? {} : { endpoint }), warnings } };
}

/** The rules and accounts, or the exit code after printing every problem (warnings are printed either way). */
function loadOrReport(context: CommandContext): (LoadedRules & { where: string }) | number {
  const fileFlag = stringFlag(context.args, 'file');
  const result = loadRules(context.env, fileFlag);
  printWarnings(context, result.ok ? result.loaded.warnings : result.warnings);
  if (!result.ok) {
    printProblems(context, where(context.env, fileFlag), result.problems);
    return EXIT_FAILURE;
  }
  return { ...result.loaded, where: where(context.env, fileFlag) };
}

function printProblems(context: CommandContext, where: string, problems: readonly string[]): void {
  writeLine(
    context.io.stderr,
    `cosjob: ${where} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`,
  );
  for (const problem of problems) writeLine(context.io.stderr, `  - ${problem}`);
}

function printWarnings(context: CommandContext, warnings: readonly string[]): void {
  for (const warning of warnings) writeLine(context.io.stderr, `cosjob: warning: ${warning}`);
}

function ruleLine(rule: Rule): string {
  return `${describeRule(rule, { name: (n) => JSON.stringify(n) })} [hash ${ruleHash(rule)}]`;
}

function where(env: Env, fileFlag: string | undefined): string {
  const file = fileFlag ?? env.COSJOB_CONFIG?.trim();
  return file === undefined || file === '' ? 'the environment (no COSJOB_CONFIG)' : file;
}

const checkCommand: CliCommand = {
  path: ['rules', 'check'],
  summary: 'Validate the accounts and rules (COSJOB_CONFIG or --file): every problem, with file:line.',
  usage: 'cosjob rules check [--file PATH]',
  flags: { file: 'string' },
  async run(context) {
    if (context.args.positionals.length > 0) {
      writeLine(
        context.io.stderr,
        `cosjob: unexpected argument ${JSON.stringify(cell(context.args.positionals[0]!, 40))}.`,
      );
      return EXIT_USAGE;
    }
    const loaded = loadOrReport(context);
    if (typeof loaded === 'number') return loaded;
    const { accounts, rules } = loaded.config;
    const out = context.io.stdout;
    writeLine(out, `${loaded.where} is valid.`);
    writeLine(out, `Accounts (${accounts.length}):`);
    for (const account of accounts) writeLine(out, `  ${accountLine(account)}`);
    writeLine(out, `Rules, first match wins (${rules.rules.length}, then the default):`);
    rules.rules.forEach((rule, index) => {
      writeLine(
        out,
        `  ${index + 1}. ${ruleLine(rule)}${rule.source === undefined ? '' : ` (${rule.source})`}`,
      );
      const channel = rule.requires.channel === undefined ? '' : `; cards to ${rule.requires.channel}`;
      writeLine(out, `     for ${describeMatch(rule.match)}${channel}`);
    });
    writeLine(out, `  -  ${ruleLine(rules.defaultRule)} (from the environment)`);
    return EXIT_OK;
  },
};

function accountLine(account: AccountConfig): string {
  const key = account.credentialVariables;
  return [
    `${account.name}: UIN ${account.uin}, APPID ${account.appId}, regions ${account.regions.join(', ')}`,
    `key from ${key.secretId} and ${key.secretKey}${key.securityToken === undefined ? '' : ` with ${key.securityToken}`}`,
    ...(account.channel === undefined ? [] : [`channel ${account.channel}`]),
  ].join('; ');
}

const explainCommand: CliCommand = {
  path: ['rules', 'explain'],
  summary: 'Read a job from COS and show which rule applies to it, and why (each match key).',
  usage: 'cosjob rules explain <JobId> [--account A] [--region R] [--file PATH] [--json]',
  flags: { account: 'string', region: 'string', file: 'string', json: 'boolean' },
  async run(context) {
    const [jobIdText, ...extra] = context.args.positionals;
    if (jobIdText === undefined || extra.length > 0) {
      writeLine(
        context.io.stderr,
        jobIdText === undefined
          ? 'cosjob: name the JobId.'
          : `cosjob: unexpected argument ${JSON.stringify(cell(extra[0]!, 40))}.`,
      );
      writeLine(context.io.stderr, `usage: ${explainCommand.usage}`);
      return EXIT_USAGE;
    }
    let jobId: string;
    try {
      jobId = validateJobId(jobIdText);
    } catch (error) {
      return reportFailure(context.io, error);
    }
    const loaded = loadOrReport(context);
    if (typeof loaded === 'number') return loaded;
    const targets = searchTargets(context, loaded.config.accounts);
    if (typeof targets === 'string') {
      writeLine(context.io.stderr, `cosjob: ${targets}`);
      return EXIT_USAGE;
    }
    const found = await findJob(context, jobId, targets, loaded.endpoint);
    if (typeof found === 'number') return found;
    const choice = chooseRule(loaded.config.rules, found);
    if (booleanFlag(context.args, 'json')) {
      writeLine(
        context.io.stdout,
        JSON.stringify(
          {
            job: found,
            rule: { ...choice.rule, hash: ruleHash(choice.rule), description: describeRule(choice.rule) },
            isDefault: choice.isDefault,
            why: choice.why,
          },
          null,
          2,
        ),
      );
      return EXIT_OK;
    }
    writeLine(context.io.stdout, explanationText(found, choice, loaded.config.rules.rules));
    return EXIT_OK;
  },
};

interface Target {
  account: AccountConfig;
  regions: string[];
}

/** The (account, regions) pairs to look in: --account and --region narrow them; both are checked. */
function searchTargets(context: CommandContext, accounts: readonly AccountConfig[]): Target[] | string {
  const accountName = stringFlag(context.args, 'account');
  const region = stringFlag(context.args, 'region');
  const chosen = accountName === undefined ? accounts : accounts.filter((a) => a.name === accountName);
  if (chosen.length === 0) {
    return `--account ${JSON.stringify(cell(accountName ?? '', 40))} is not a configured account: ${accounts.map((a) => a.name).join(', ')}.`;
  }
  const targets = chosen
    .map((account) => ({
      account,
      regions: region === undefined ? account.regions : account.regions.filter((r) => r === region),
    }))
    .filter((t) => t.regions.length > 0);
  if (targets.length === 0) {
    return `--region ${JSON.stringify(cell(region ?? '', 40))} is not watched by ${accountName === undefined ? 'any account' : `account ${accountName}`}.`;
  }
  return targets;
}

/** Describes the job in each target until one has it; a miss is expected while searching several. */
async function findJob(
  context: CommandContext,
  jobId: string,
  targets: readonly Target[],
  endpoint: string | undefined,
): Promise<JobFacts | number> {
  const logger = booleanFlag(context.args, 'verbose')
    ? createLogger({ level: 'debug', write: (line) => writeLine(context.io.stderr, line) })
    : silentLogger;
  const searched: string[] = [];
  const pairs = targets.reduce((n, t) => n + t.regions.length, 0);
  for (const { account, regions } of targets) {
    const clients = createCosClients(cosConfigOf({ ...account, regions }, endpoint), { logger });
    try {
      for (const region of regions) {
        try {
          const job = await clients.get(region)!.describeJob(jobId);
          return jobFacts(job, { account: account.name, region });
        } catch (error) {
          if (isNoSuchJob(error) && pairs > 1) {
            searched.push(`${account.name}/${region}`);
            continue;
          }
          return reportFailure(
            context.io,
            error,
            `describing ${jobId} in account ${account.name}, ${region} failed`,
          );
        }
      }
    } finally {
      await closeCosClients(clients);
    }
  }
  writeLine(context.io.stderr, `cosjob: job ${jobId} was not found in ${searched.join(', ')}.`);
  return EXIT_FAILURE;
}

function explanationText(
  job: JobFacts,
  choice: ReturnType<typeof chooseRule>,
  rules: readonly Rule[],
): string {
  const buckets = [
    ...(job.targetBucket === undefined ? [] : [`target bucket ${job.targetBucket}`]),
    ...(job.manifestBucket === undefined ? [] : [`manifest bucket ${job.manifestBucket}`]),
  ];
  const lines = [
    `Job ${job.jobId} (account ${job.account}, ${job.region}): ${job.operation ?? cell(job.rawOperation, 40)}${job.destructive ? ' (deletes objects)' : ''}, ${job.totalTasks} tasks${buckets.length === 0 ? '' : `, ${buckets.join(', ')}`}`,
  ];
  for (const [index, evaluation] of choice.why.entries()) {
    const rule = rules[index];
    lines.push(
      `Rule ${index + 1} ${JSON.stringify(evaluation.rule)}${rule?.source === undefined ? '' : ` (${rule.source})`}: ${evaluation.matched ? 'matches' : 'does not match'}`,
    );
    if (evaluation.keys.length === 0) lines.push('  (no match keys: every job)');
    for (const key of evaluation.keys) {
      lines.push(`  ${key.matched ? '✓' : '✗'} ${key.key}: wants ${key.wanted}; the job has ${key.actual}`);
    }
  }
  if (choice.isDefault) {
    lines.push(
      choice.why.length === 0
        ? 'No rules are configured: the default rule (from the environment) applies.'
        : 'No rule matches: the default rule (from the environment) applies.',
    );
  }
  lines.push(`Applies: ${ruleLine(choice.rule)}`);
  return lines.join('\n');
}

export const rulesCommands: readonly CliCommand[] = [checkCommand, explainCommand];
