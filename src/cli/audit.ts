/** `cosjob audit show|verify|export`: the audit trail from a terminal, read from the bot's Redis. */
import { ChainReads } from '../audit/chain-reads.js';
import {
  checkpointReportLines,
  readCheckpointFile,
  verifyAgainstCheckpoints,
} from '../audit/checkpoint-verify.js';
import { CheckpointSigner } from '../audit/checkpoints.js';
import { AuditVerifier } from '../audit/cross-check.js';
import type { RedisAuditTrail } from '../audit/trail.js';
import type { AuditEntry, VerifyResult } from '../audit/types.js';
import { EnvReader, environmentSource, readApprovalConfig, readRedisConfig } from '../config/index.js';
import { openAuditStore } from '../core.js';
import { accountProblem, DEFAULT_ACCOUNT_NAME, type JobRef, jobRefLabel } from '../jobs/job-ref.js';
import { silentLogger } from '../logger.js';
import { readCliAccounts } from './accounts.js';
import { booleanFlag, stringFlag, UsageError } from './args.js';
import {
  type CliCommand,
  type CommandContext,
  configuredRegions,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  jobArgs,
  reportFailure,
  writeLine,
} from './command.js';
import { cell, table } from './format.js';

interface AuditSession {
  audit: RedisAuditTrail;
  /** Verification with the cross-checks between chains, the index and the engine's records. */
  verifier: AuditVerifier;
  checkpoints: { reads: ChainReads; signer: CheckpointSigner; trail: string };
  /** Whether AUDIT_HMAC_KEY was given: without it a keyed chain reads as edited. */
  keyed: boolean;
  close(): Promise<void>;
}

async function openAudit(context: CommandContext): Promise<AuditSession> {
  const reader = new EnvReader(context.env);
  const redisConfig = readRedisConfig(reader);
  const hmacKey = reader.optional('AUDIT_HMAC_KEY');
  reader.throwIfProblems();
  const { redis, keys, audit, close } = await openAuditStore(redisConfig, {
    logger: silentLogger,
    role: 'background',
    connectionName: 'cosjob-cli',
    readyTimeoutMs: 5_000,
    ...(hmacKey ? { hmacKey } : {}),
  });
  return {
    audit,
    verifier: new AuditVerifier(redis, { keys, trail: audit }),
    checkpoints: {
      reads: new ChainReads(redis, keys),
      signer: new CheckpointSigner(hmacKey),
      trail: redisConfig.keyPrefix,
    },
    keyed: hmacKey !== undefined,
    close,
  };
}

/**
 * The regions an account is configured with: COSJOB_CONFIG's `accounts:` when the file declares it, else
 * COS_REGIONS for the default account. The audit commands need no COS credentials: an account the file
 * declares but whose keys are not in this environment is not found, and then --region is asked for.
 */
function regionsOfAccount(env: CommandContext['env'], account: string): string[] {
  if (env.COSJOB_CONFIG !== undefined) {
    // Problems (no COS keys here, no approvers) are not this command's: it only wants the regions.
    const { accounts } = readCliAccounts(
      new EnvReader(env),
      environmentSource(env),
      readApprovalConfig(new EnvReader(env)),
    );
    const found = accounts.find((a) => a.name === account);
    if (found) return found.regions;
  }
  return account === DEFAULT_ACCOUNT_NAME ? configuredRegions(env) : [];
}

/**
 * `<JobId> [--account A] [--region R]`: the account is `default` unless named, and the region may be
 * left out when the account is configured with one region.
 */
function auditJobArgs(context: CommandContext): JobRef {
  const account = stringFlag(context.args, 'account') ?? DEFAULT_ACCOUNT_NAME;
  const problem = accountProblem(account);
  if (problem !== undefined) throw new UsageError(`--account: ${problem}.`);
  if (account === DEFAULT_ACCOUNT_NAME || stringFlag(context.args, 'region') !== undefined) {
    return { account, ...jobArgs(context, regionsOfAccount(context.env, account)) };
  }
  const regions = regionsOfAccount(context.env, account);
  if (regions.length !== 1) {
    throw new UsageError(
      regions.length === 0
        ? `Add --region R: account ${account} is not in COSJOB_CONFIG (or its keys are not set here), so its regions are unknown.`
        : `Add --region R: account ${account} watches several regions (${regions.join(', ')}).`,
    );
  }
  return { account, ...jobArgs(context, regions) };
}

/** `ap-guangzhou/<JobId>`, or `prod/ap-guangzhou/<JobId>` for another account than the default. */
function jobScope(ref: JobRef): string {
  return ref.account === DEFAULT_ACCOUNT_NAME ? ref.jobId : jobRefLabel(ref);
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

/** The account column is shown only when an entry belongs to another account than the default. */
function entryTable(entries: readonly AuditEntry[]): string {
  const headers = ['seq', 'time', 'actor', 'action', 'outcome', 'COS', 'reason'];
  if (entries.every((e) => e.account === DEFAULT_ACCOUNT_NAME)) return table(headers, entryRows(entries));
  const rows = entryRows(entries).map((row, i) => [...row.slice(0, 2), entries[i]!.account, ...row.slice(2)]);
  return table([...headers.slice(0, 2), 'account', ...headers.slice(2)], rows);
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
  usage: 'cosjob audit show <JobId> [--account A] [--region R] [--json]',
  flags: { account: 'string', region: 'string', json: 'boolean' },
  run: (context) =>
    withAudit(context, async (session) => {
      const { audit } = session;
      const ref = auditJobArgs(context);
      const { account, region, jobId } = ref;
      const [entries, verify] = await Promise.all([
        audit.history(ref),
        audit.verify({ kind: 'job', ...ref }),
      ]);
      if (booleanFlag(context.args, 'json')) {
        const hint = verifyHint(session, verify);
        writeLine(
          context.io.stdout,
          JSON.stringify(
            { account, region, jobId, entries, verify, ...(hint === undefined ? {} : { hint }) },
            null,
            2,
          ),
        );
      } else {
        writeLine(context.io.stdout, entryTable(entries));
        writeVerify(context, session, `job ${jobScope(ref)}`, verify);
      }
      return verify.ok ? EXIT_OK : EXIT_FAILURE;
    }),
};

const verifyCommand: CliCommand = {
  path: ['audit', 'verify'],
  summary:
    "Verify the whole audit chain (or one job's); exit 1 and name the first problem if it was tampered with.",
  usage: 'cosjob audit verify [<JobId> [--account A] [--region R]] [--checkpoints FILE|slack]',
  flags: { account: 'string', region: 'string', checkpoints: 'string' },
  run: (context) =>
    withAudit(context, async (session) => {
      const { verifier } = session;
      const source = stringFlag(context.args, 'checkpoints');
      if (context.args.positionals.length > 0) {
        if (source !== undefined)
          throw new UsageError('--checkpoints checks the global chain: drop the JobId.');
        const ref = auditJobArgs(context);
        const result = await verifier.verify({ kind: 'job', ...ref });
        writeVerify(context, session, `job ${jobScope(ref)}`, result);
        return result.ok ? EXIT_OK : EXIT_FAILURE;
      }
      const result = await verifier.verify({ kind: 'global' });
      writeVerify(context, session, 'global chain', result);
      if (source === undefined) return result.ok ? EXIT_OK : EXIT_FAILURE;
      const set =
        source === 'slack'
          ? await (await import('../slack/audit-checkpoints.js')).loadSlackCheckpoints(context.env)
          : await readCheckpointFile(source);
      const report = await verifyAgainstCheckpoints(session.checkpoints.reads, set, session.checkpoints);
      const label = source === 'slack' ? 'Slack' : source;
      for (const line of checkpointReportLines(label, report)) writeLine(context.io.stdout, line);
      return result.ok && report.ok ? EXIT_OK : EXIT_FAILURE;
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

export const auditCommands: readonly CliCommand[] = [showCommand, verifyCommand, exportCommand];
