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
  readAccountsAndRules,
  readApprovalConfig,
  readCosConfig,
  readRedisConfig,
  readWatcherConfig,
} from '../config/index.js';
import { buildCore, type Core } from '../core.js';
import { outcomeText } from '../decision-text.js';
import { registerSecret, silentLogger } from '../logger.js';
import { stringFlag, UsageError } from './args.js';
import {
  type CliCommand,
  type CliOutput,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  jobArgs,
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
    usage: `cosjob ${action} <JobId> --as <SlackUserId> [--name "Display Name"] ${action === 'cancel' ? '--reason TEXT' : '[--reason TEXT]'} [--region R]`,
    flags: { as: 'string', name: 'string', reason: 'string', region: 'string' },
    run: async (context) => {
      const reader = new EnvReader(context.env);
      const cos = readCosConfig(reader);
      const redisConfig = readRedisConfig(reader);
      const approvals = readApprovalConfig(reader);
      // The same rules as the bot: a job's rule says who may act on it and how many must approve.
      const { rules } = readAccountsAndRules(reader, {
        source: environmentSource(context.env),
        approvals,
        watcher: readWatcherConfig(reader),
        cos: () => cos,
      });
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
      let target: { jobId: string; region: string };
      try {
        target = jobArgs(context, cos.regions);
      } catch (error) {
        if (error instanceof UsageError) {
          writeLine(context.io.stderr, `cosjob: ${error.message}`);
          return EXIT_USAGE;
        }
        return reportFailure(context.io, error);
      }
      if (!cos.regions.includes(target.region)) {
        writeLine(
          context.io.stderr,
          `cosjob: --region ${cell(target.region, 40)} is not in COS_REGIONS (${cos.regions.join(', ')}).`,
        );
        return EXIT_USAGE;
      }
      let core: Core;
      try {
        const directory =
          groupsConfigured && botToken !== undefined
            ? await slackDirectory(botToken, slackApiUrl)
            : undefined;
        core = await buildCore(
          { cos, redis: redisConfig, approvals, watcher: { pollIntervalSeconds: 60 }, rules },
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

/** `<kind>: <what happened>`, and the COS code and request id of a failure. */
function writeOutcome(
  out: CliOutput,
  subject: { action: 'approve' | 'cancel'; region: string; jobId: string },
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
