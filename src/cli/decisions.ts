/**
 * `cosjob approve|cancel …`: decisions from a terminal, through the same core (policy, claims, re-check
 * and audit) as Slack.
 */
import { hostname, userInfo } from 'node:os';
import type { DecisionOutcome } from '../approvals/decision.js';
import type { ApproverDirectory } from '../approvals/ports.js';
import {
  type Env,
  EnvReader,
  environmentSource,
  readApprovalConfig,
  readRedisConfig,
} from '../config/index.js';
import { buildCore, type Core } from '../core.js';
import { validateJobId } from '../cos/validation.js';
import { outcomeText } from '../decision-text.js';
import { accountRegionLabel, type JobRef } from '../jobs/job-ref.js';
import { registerSecret, silentLogger } from '../logger.js';
import { accountFlag, readCliAccounts } from './accounts.js';
import { stringFlag, UsageError } from './args.js';
import {
  type CliCommand,
  type CliOutput,
  type CommandContext,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  reportFailure,
  writeLine,
} from './command.js';
import { cell } from './format.js';

/**
 * Who ran the command, as the OS sees it. `--as` is only a claim; this is recorded next to it so the
 * audit shows where a CLI decision physically came from.
 */
export function cliOrigin(env: Env): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the shell says.
    user = env.USER ?? env.USERNAME;
  }
  return `${user || 'unknown-user'}@${hostname() || 'unknown-host'}`;
}

export const GROUPS_NEED_SLACK_HINT =
  'note: APPROVER_USERGROUP_IDS is set but SLACK_BOT_TOKEN is not, so the CLI cannot check group membership. Members of approver groups must use Slack, or be listed in APPROVER_USER_IDS (or set SLACK_BOT_TOKEN here).';

/**
 * Approver groups are resolved with Slack's usergroups.users.list when a bot token is given (as the bot
 * does). Few retries and a short timeout: a person is waiting at the terminal.
 */
async function slackDirectory(botToken: string, apiUrl: string | undefined): Promise<ApproverDirectory> {
  const [{ terminalWebClient }, { SlackApproverDirectory }] = await Promise.all([
    import('../slack/terminal-client.js'),
    import('../slack/directory.js'),
  ]);
  return new SlackApproverDirectory(await terminalWebClient(botToken, apiUrl));
}

function decisionCommand(action: 'approve' | 'cancel'): CliCommand {
  return {
    path: [action],
    summary:
      action === 'approve'
        ? 'Approve a Suspended job (confirm it to COS) as an approver, through the same checks and audit as Slack.'
        : 'Cancel a job as an approver, with a reason, through the same checks and audit as Slack.',
    usage: `cosjob ${action} <JobId> --as <SlackUserId> [--name "Display Name"] ${action === 'cancel' ? '--reason TEXT' : '[--reason TEXT]'} [--account A] [--region R]`,
    flags: { as: 'string', name: 'string', reason: 'string', account: 'string', region: 'string' },
    run: async (context) => {
      const reader = new EnvReader(context.env);
      const redisConfig = readRedisConfig(reader);
      const approvals = readApprovalConfig(reader);
      const { accounts, rules, endpoint } = readCliAccounts(
        reader,
        environmentSource(context.env),
        approvals,
      );
      const botToken = reader.matching(
        'SLACK_BOT_TOKEN',
        /^xoxb-[A-Za-z0-9-]+$/,
        'a bot token starting with xoxb-',
        false,
      );
      const slackApiUrl = reader.url('SLACK_API_URL', ['http:', 'https:'], false);
      try {
        reader.throwIfProblems();
      } catch (error) {
        return reportFailure(context.io, error);
      }
      registerSecret(botToken);
      const groupsConfigured = approvals.approverUsergroupIds.length > 0;
      const actorId = stringFlag(context.args, 'as');
      if (actorId === undefined || !/^[UW][A-Z0-9]{2,}$/.test(actorId)) {
        writeLine(
          context.io.stderr,
          'cosjob: --as needs the Slack user id you act as (e.g. U0123ABCD); it must be an approver.',
        );
        return EXIT_USAGE;
      }
      let asked: { jobId: string; account: string | undefined; region: string | undefined };
      try {
        asked = jobAndPlace(context);
        asked.account = accountFlag(accounts, asked.account);
        const regions = accounts.filter((a) => asked.account === undefined || a.name === asked.account);
        if (asked.region !== undefined && !regions.some((a) => a.regions.includes(asked.region as string))) {
          throw new UsageError(
            `--region ${cell(asked.region, 40)} is not watched by ${asked.account === undefined ? 'any account' : `account ${asked.account}`} (${regions.map((a) => `${a.name}: ${a.regions.join(', ')}`).join('; ')}).`,
          );
        }
      } catch (error) {
        if (error instanceof UsageError) {
          writeLine(context.io.stderr, `cosjob: ${error.message}`);
          return EXIT_USAGE;
        }
        return reportFailure(context.io, error);
      }
      let core: Core;
      try {
        const directory =
          groupsConfigured && botToken !== undefined
            ? await slackDirectory(botToken, slackApiUrl)
            : undefined;
        core = await buildCore(
          {
            accounts,
            ...(endpoint === undefined ? {} : { cosEndpoint: endpoint }),
            redis: redisConfig,
            approvals,
            watcher: { pollIntervalSeconds: 60 },
            rules,
          },
          {
            logger: silentLogger,
            connectionName: 'cosjob-cli',
            readyTimeoutMs: 5_000,
            // Without a directory, group members cannot be recognised: say so rather than look them up.
            ...(directory ? { directory } : { engine: { approverUsergroupIds: [] } }),
          },
        );
      } catch (error) {
        return reportFailure(context.io, error);
      }
      try {
        const located = await locate(core, asked);
        if (typeof located === 'string') {
          writeLine(context.io.stderr, `cosjob: ${located}`);
          return EXIT_USAGE;
        }
        const target: JobRef = located;
        const reason = stringFlag(context.args, 'reason');
        const outcome = await core.engine.decide({
          ...target,
          action,
          actor: { id: actorId, name: stringFlag(context.args, 'name') ?? actorId },
          ...(reason !== undefined ? { reason } : {}),
          source: 'cli',
          origin: cliOrigin(context.env),
        });
        const out =
          outcome.kind === 'refused' || outcome.kind === 'failed' ? context.io.stderr : context.io.stdout;
        writeOutcome(out, { action, ...target }, outcome);
        if (
          outcome.kind === 'refused' &&
          outcome.code === 'not_approver' &&
          groupsConfigured &&
          botToken === undefined
        ) {
          writeLine(out, GROUPS_NEED_SLACK_HINT);
        }
        if (outcome.kind === 'refused')
          return outcome.code === 'invalid_input' || outcome.code === 'reason_required'
            ? EXIT_USAGE
            : EXIT_FAILURE;
        return outcome.kind === 'failed' ? EXIT_FAILURE : EXIT_OK;
      } catch (error) {
        return reportFailure(context.io, error);
      } finally {
        await core.close();
      }
    },
  };
}

/** `<JobId> [--account A] [--region R]` as typed (checked against the configuration afterwards). */
function jobAndPlace(context: CommandContext): {
  jobId: string;
  account: string | undefined;
  region: string | undefined;
} {
  const [jobId, ...extra] = context.args.positionals;
  if (jobId === undefined) throw new UsageError('Name the JobId.');
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${JSON.stringify(cell(extra[0]!, 40))}.`);
  validateJobId(jobId);
  return { jobId, account: stringFlag(context.args, 'account'), region: stringFlag(context.args, 'region') };
}

/**
 * The job the arguments name: the (account, region) given, else where cosjob's records or COS find the
 * JobId. A JobId is unique only within one account and region, so one found in several is refused with
 * where it is, naming the flag that tells them apart.
 */
async function locate(
  core: Core,
  asked: { jobId: string; account: string | undefined; region: string | undefined },
): Promise<JobRef | string> {
  const { jobId, account, region } = asked;
  const { engine } = core;
  const candidates = engine.targets.filter(
    (t) => (account === undefined || t.account === account) && (region === undefined || t.region === region),
  );
  if (candidates.length === 1) return { ...candidates[0]!, jobId };
  const location = await engine.locateJob(jobId, true, account);
  switch (location.kind) {
    case 'found':
      if (region === undefined || location.ref.region === region) return location.ref;
      return `job ${jobId} was not found in ${region}.`;
    case 'several': {
      const places = location.places.filter((p) => region === undefined || p.region === region);
      if (places.length === 1) return { ...places[0]!, jobId };
      const accounts = [...new Set(places.map((p) => p.account))];
      return accounts.length > 1
        ? `job ${jobId} exists in several accounts (${places.map(accountRegionLabel).join(', ')}): add --account A.`
        : `job ${jobId} exists in several regions (${places.map(accountRegionLabel).join(', ')}): add --region R.`;
    }
    case 'unknown_account':
      return `--account ${account} is not a configured account (configured: ${location.accounts.join(', ')}).`;
    case 'unreachable':
      return `COS could not be asked in ${accountRegionLabel(location.place)}; name the account and region with --account A --region R.`;
    case 'not_found':
    case 'not_tracked':
      return `job ${jobId} was not found in ${candidates.map(accountRegionLabel).join(', ')}.`;
  }
}

/** `<kind>: <what happened>`, and the COS code and request id of a failure. */
function writeOutcome(
  out: CliOutput,
  subject: { action: 'approve' | 'cancel'; account: string; region: string; jobId: string },
  outcome: DecisionOutcome,
): void {
  writeLine(out, `${outcome.kind}: ${outcomeText(subject, outcome)}`);
  if (outcome.kind === 'failed' && (outcome.cos?.code || outcome.cos?.requestId)) {
    writeLine(
      out,
      `  COS code: ${outcome.cos.code ?? '(none)'}, request id: ${outcome.cos.requestId ?? '(none)'}`,
    );
  }
}

export const decisionCommands: readonly CliCommand[] = [
  decisionCommand('approve'),
  decisionCommand('cancel'),
];
