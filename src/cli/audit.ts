/**
 * `cosjob audit …` and `cosjob approve|cancel …`: the audit trail and decisions from a terminal, through the
 * same engine (and the same policy, claims and audit) as Slack.
 */
import { hostname, userInfo } from 'node:os';
import { ApprovalEngine } from '../approvals/engine.js';
import type { ApproverDirectory } from '../approvals/ports.js';
import { RedisAuditTrail } from '../audit/trail.js';
import type { AuditEntry, VerifyResult } from '../audit/types.js';
import { systemClock } from '../clock.js';
import { type Env, EnvReader, readApprovalConfig, readCosConfig, readRedisConfig } from '../config/index.js';
import { type CosJobsClient, closeCosClients, createCosClients } from '../cos/client.js';
import { validateJobId } from '../cos/validation.js';
import { registerSecret, silentLogger } from '../logger.js';
import { closeRedis, createRedis, type RedisClient, waitForReady } from '../redis/connection.js';
import { KeySpace } from '../redis/keys.js';
import { booleanFlag, stringFlag, UsageError } from './args.js';
import {
  type CliCommand,
  type CommandContext,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  reportFailure,
  writeLine,
} from './command.js';
import { cell, table } from './format.js';

interface AuditSession {
  redis: RedisClient;
  audit: RedisAuditTrail;
  regions: string[];
  /** Whether AUDIT_HMAC_KEY was given: without it a keyed chain reads as edited. */
  keyed: boolean;
  close(): Promise<void>;
}

async function openAudit(context: CommandContext): Promise<AuditSession> {
  const reader = new EnvReader(context.env);
  const redisConfig = readRedisConfig(reader);
  const regionsText = context.env.COS_REGIONS ?? '';
  const approvals = { auditHmacKey: reader.optional('AUDIT_HMAC_KEY') };
  reader.throwIfProblems();
  const redis = createRedis(redisConfig, {
    role: 'background',
    logger: silentLogger,
    lazy: true,
    connectionName: 'cosjob-cli',
  });
  try {
    await waitForReady(redis, 5_000);
  } catch (error) {
    await closeRedis(redis);
    throw error;
  }
  const audit = new RedisAuditTrail(redis, {
    keys: new KeySpace(redisConfig.keyPrefix),
    clock: systemClock,
    ...(approvals.auditHmacKey ? { hmacKey: approvals.auditHmacKey } : {}),
  });
  return {
    redis,
    audit,
    regions: regionsText
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    keyed: approvals.auditHmacKey !== undefined,
    close: () => closeRedis(redis),
  };
}

function jobArgs(context: CommandContext, regions: readonly string[]): { jobId: string; region: string } {
  const [jobId, ...extra] = context.args.positionals;
  if (jobId === undefined) throw new UsageError('Name the JobId.');
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${JSON.stringify(cell(extra[0]!, 40))}.`);
  validateJobId(jobId);
  const region = stringFlag(context.args, 'region') ?? (regions.length === 1 ? regions[0] : undefined);
  if (region === undefined)
    throw new UsageError('Add --region R (COS_REGIONS names several regions, or none).');
  return { jobId, region };
}

function entryRows(entries: readonly AuditEntry[]): string[][] {
  return entries.map((e) => [
    String(e.seq),
    e.time,
    cell(`${e.actor.name} (${e.actor.id})`, 40),
    e.action,
    cell(e.outcome ?? '', 30),
    cell(e.cosStatus ?? '', 12),
    cell(e.reason ?? '', 60),
  ]);
}

function verifyLine(scope: string, result: VerifyResult): string {
  if (result.ok)
    return `✔ ${scope}: ${result.entries} entries, chain intact (head ${result.headHash?.slice(0, 16) ?? 'none'}…)`;
  const problem = result.problem!;
  return `✘ ${scope}: ${problem.kind} — ${problem.detail} (${result.entries} intact entries before it)`;
}

export const MISSING_KEY_HINT = 'hint: if the bot runs with AUDIT_HMAC_KEY, set the same key here';

/**
 * A chain written with AUDIT_HMAC_KEY and checked without it fails as "edited" at its first entry, which
 * looks like tampering. Without a key that is the likelier explanation, so say so.
 */
function verifyHint(session: AuditSession, result: VerifyResult): string | undefined {
  return !session.keyed && result.problem?.kind === 'edited' ? MISSING_KEY_HINT : undefined;
}

function writeVerify(context: CommandContext, session: AuditSession, scope: string, result: VerifyResult) {
  writeLine(context.io.stdout, verifyLine(scope, result));
  const hint = verifyHint(session, result);
  if (hint !== undefined) writeLine(context.io.stdout, hint);
}

async function withAudit(
  context: CommandContext,
  run: (session: AuditSession) => Promise<number>,
): Promise<number> {
  let session: AuditSession;
  try {
    session = await openAudit(context);
  } catch (error) {
    return reportFailure(context.io, error, 'cannot reach the audit store');
  }
  try {
    return await run(session);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(context.io.stderr, `cosjob: ${error.message}`);
      return EXIT_USAGE;
    }
    return reportFailure(context.io, error);
  } finally {
    await session.close();
  }
}

const showCommand: CliCommand = {
  path: ['audit', 'show'],
  summary: "Print a job's audit trail and verify its chain.",
  usage: 'cosjob audit show <JobId> [--region R] [--json]',
  flags: { region: 'string', json: 'boolean' },
  run: (context) =>
    withAudit(context, async (session) => {
      const { audit, regions } = session;
      const { jobId, region } = jobArgs(context, regions);
      const [entries, verify] = await Promise.all([
        audit.history(region, jobId),
        audit.verify({ kind: 'job', region, jobId }),
      ]);
      if (booleanFlag(context.args, 'json')) {
        const hint = verifyHint(session, verify);
        writeLine(
          context.io.stdout,
          JSON.stringify(
            { region, jobId, entries, verify, ...(hint === undefined ? {} : { hint }) },
            null,
            2,
          ),
        );
      } else {
        writeLine(
          context.io.stdout,
          table(['seq', 'time', 'actor', 'action', 'outcome', 'COS', 'reason'], entryRows(entries)),
        );
        writeVerify(context, session, `job ${jobId}`, verify);
      }
      return verify.ok ? EXIT_OK : EXIT_FAILURE;
    }),
};

const verifyCommand: CliCommand = {
  path: ['audit', 'verify'],
  summary:
    "Verify the whole audit chain (or one job's); exit 1 and name the first problem if it was tampered with.",
  usage: 'cosjob audit verify [<JobId> [--region R]]',
  flags: { region: 'string' },
  run: (context) =>
    withAudit(context, async (session) => {
      const { audit, regions } = session;
      if (context.args.positionals.length > 0) {
        const { jobId, region } = jobArgs(context, regions);
        const result = await audit.verify({ kind: 'job', region, jobId });
        writeVerify(context, session, `job ${jobId}`, result);
        return result.ok ? EXIT_OK : EXIT_FAILURE;
      }
      const result = await audit.verify({ kind: 'global' });
      writeVerify(context, session, 'global chain', result);
      return result.ok ? EXIT_OK : EXIT_FAILURE;
    }),
};

function parseTime(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--${name} must be an ISO-8601 time (e.g. 2026-11-01T00:00:00Z) or epoch milliseconds.`,
    );
  return ms;
}

const exportCommand: CliCommand = {
  path: ['audit', 'export'],
  summary: 'Write audit entries in a time range as JSON lines (for archiving or a SIEM).',
  usage: 'cosjob audit export [--from TIME] [--to TIME]',
  flags: { from: 'string', to: 'string' },
  run: (context) =>
    withAudit(context, async ({ audit }) => {
      const from = parseTime('from', stringFlag(context.args, 'from'), 0);
      const to = parseTime('to', stringFlag(context.args, 'to'), Date.now() + 1);
      if (to <= from) throw new UsageError('--to must be later than --from.');
      const entries = await audit.range(from, to);
      for (const entry of entries) writeLine(context.io.stdout, JSON.stringify(entry));
      writeLine(context.io.stderr, `${entries.length} entries.`);
      return EXIT_OK;
    }),
};

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
  const [{ WebClient, LogLevel }, { SlackApproverDirectory }] = await Promise.all([
    import('@slack/web-api'),
    import('../slack/directory.js'),
  ]);
  const quiet = () => undefined;
  const client = new WebClient(botToken, {
    ...(apiUrl === undefined ? {} : { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` }),
    retryConfig: { retries: 1, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    timeout: 10_000,
    // Failures surface through the policy's refusal message; the client's own console logs would not.
    logger: {
      debug: quiet,
      info: quiet,
      warn: quiet,
      error: quiet,
      setLevel: quiet,
      getLevel: () => LogLevel.ERROR,
      setName: quiet,
    },
  });
  return new SlackApproverDirectory(client);
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
      const redis = createRedis(redisConfig, {
        role: 'decision',
        logger: silentLogger,
        lazy: true,
        connectionName: 'cosjob-cli',
      });
      const clients: Map<string, CosJobsClient> = createCosClients(cos, { logger: silentLogger });
      try {
        await waitForReady(redis, 5_000);
        const audit = new RedisAuditTrail(redis, {
          keys: new KeySpace(redisConfig.keyPrefix),
          clock: systemClock,
          ...(approvals.auditHmacKey ? { hmacKey: approvals.auditHmacKey } : {}),
        });
        const directory =
          groupsConfigured && botToken !== undefined
            ? await slackDirectory(botToken, slackApiUrl)
            : undefined;
        const engine = new ApprovalEngine({
          redis,
          audit,
          clients,
          keyPrefix: redisConfig.keyPrefix,
          approverUserIds: approvals.approverUserIds,
          approverUsergroupIds: directory === undefined ? [] : approvals.approverUsergroupIds,
          ...(directory === undefined ? {} : { directory }),
          requiredApprovals: approvals.requiredApprovals,
          requireCancelReason: approvals.requireCancelReason,
          pollIntervalMs: 60_000,
          clock: systemClock,
          logger: silentLogger,
        });
        const reason = stringFlag(context.args, 'reason');
        const outcome = await engine.decide({
          ...target,
          action,
          actor: { id: actorId, name: stringFlag(context.args, 'name') ?? actorId },
          ...(reason !== undefined ? { reason } : {}),
          source: 'cli',
          origin: cliOrigin(context.env),
        });
        const out =
          outcome.kind === 'refused' || outcome.kind === 'failed' ? context.io.stderr : context.io.stdout;
        writeLine(out, `${outcome.kind}: ${outcome.message}`);
        if (
          outcome.kind === 'refused' &&
          outcome.code === 'not_approver' &&
          groupsConfigured &&
          directory === undefined
        ) {
          writeLine(out, GROUPS_NEED_SLACK_HINT);
        }
        if (outcome.kind === 'failed' && (outcome.cosCode || outcome.requestId)) {
          writeLine(
            out,
            `  COS code: ${outcome.cosCode ?? '(none)'}, request id: ${outcome.requestId ?? '(none)'}`,
          );
        }
        if (outcome.kind === 'refused')
          return outcome.code === 'invalid_input' || outcome.code === 'reason_required'
            ? EXIT_USAGE
            : EXIT_FAILURE;
        return outcome.kind === 'failed' ? EXIT_FAILURE : EXIT_OK;
      } catch (error) {
        return reportFailure(context.io, error);
      } finally {
        await closeCosClients(clients);
        await closeRedis(redis);
      }
    },
  };
}

export const auditCommands: readonly CliCommand[] = [
  showCommand,
  verifyCommand,
  exportCommand,
  decisionCommand('approve'),
  decisionCommand('cancel'),
];
