/** `cosjob jobs list` and `cosjob jobs describe`: read-only views of COS batch jobs. */
import {
  type AccountConfig,
  cosConfigOf,
  EnvReader,
  environmentSource,
  readApprovalConfig,
} from '../config/index.js';
import { type CosJobsClient, closeCosClients, createCosClients } from '../cos/client.js';
import { CosError, isNoSuchJob } from '../cos/errors.js';
import type { Job, JobSummary, KnownJobStatus } from '../cos/model.js';
import { validateJobId, validateJobStatusFilter } from '../cos/validation.js';
import { DEFAULT_ACCOUNT_NAME } from '../jobs/job-ref.js';
import { createLogger, silentLogger } from '../logger.js';
import { accountFlag, readCliAccounts } from './accounts.js';
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
import { cell, keyValues, table } from './format.js';

interface Session {
  /** The account the command reads: the one `--account` names, or the only one. */
  account: AccountConfig;
  clients: Map<string, CosJobsClient>;
  regions: string[];
}

/**
 * Reads the accounts as `npm start` does (COSJOB_CONFIG's `accounts:`, else COS_*), picks the one
 * `--account` names (optional when there is one), checks --region against its regions, and builds its
 * clients.
 */
function openSession(context: CommandContext): Session {
  const reader = new EnvReader(context.env);
  // Listing and describing apply no rule, so no approver is needed: the approval settings only shape the
  // default rule here, and their problems (none configured) are not this command's.
  const approvals = readApprovalConfig(new EnvReader(context.env));
  const { accounts, endpoint } = readCliAccounts(reader, environmentSource(context.env), approvals);
  reader.throwIfProblems();
  const name = accountFlag(accounts, stringFlag(context.args, 'account'));
  if (name === undefined) {
    throw new UsageError(
      `Add --account NAME: COSJOB_CONFIG names several accounts (${accounts.map((a) => a.name).join(', ')}).`,
    );
  }
  const account = accounts.find((a) => a.name === name)!;
  const region = stringFlag(context.args, 'region');
  if (region !== undefined && !account.regions.includes(region)) {
    const where =
      account.name === DEFAULT_ACCOUNT_NAME && accounts.length === 1
        ? 'the configured regions (COS_REGIONS)'
        : `account ${account.name}'s regions`;
    throw new UsageError(
      `--region ${JSON.stringify(cell(region, 40))} is not one of ${where}: ${account.regions.join(', ')}.`,
    );
  }
  const logger = booleanFlag(context.args, 'verbose')
    ? createLogger({ level: 'debug', write: (line) => writeLine(context.io.stderr, line) })
    : silentLogger;
  const regions = region === undefined ? account.regions : [region];
  const config = { ...cosConfigOf(account, endpoint), regions };
  return { account, clients: createCosClients(config, { logger }), regions };
}

async function withSession(
  context: CommandContext,
  run: (session: Session) => Promise<number>,
): Promise<number> {
  let session: Session;
  try {
    session = openSession(context);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(context.io.stderr, `cosjob: ${error.message}`);
      return EXIT_USAGE;
    }
    return reportFailure(context.io, error);
  }
  try {
    return await run(session);
  } finally {
    await closeCosClients(session.clients);
  }
}

function progressText(progress: JobSummary['progress']): string {
  return `${progress.succeededTasks}/${progress.failedTasks}/${progress.totalTasks}`;
}

const listCommand: CliCommand = {
  path: ['jobs', 'list'],
  summary: 'List batch jobs in every region of the account (--account when there are several), or one.',
  usage: 'cosjob jobs list [--account A] [--region R] [--status S] [--json]',
  flags: { account: 'string', region: 'string', status: 'string', json: 'boolean' },
  async run(context) {
    const statusText = stringFlag(context.args, 'status');
    let status: KnownJobStatus | undefined;
    try {
      status = statusText === undefined ? undefined : validateJobStatusFilter(statusText);
    } catch (error) {
      return reportFailure(context.io, error);
    }
    if (context.args.positionals.length > 0) {
      writeLine(
        context.io.stderr,
        `cosjob: unexpected argument ${JSON.stringify(cell(context.args.positionals[0]!, 40))}.`,
      );
      return EXIT_USAGE;
    }
    return withSession(context, async ({ clients, regions }) => {
      const found: (JobSummary & { region: string })[] = [];
      const failures: { region: string; code?: string; requestId?: string; message: string; fix?: string }[] =
        [];
      let failed = false;
      for (const region of regions) {
        try {
          const listing = clients.get(region)!.listAllJobs({
            ...(status === undefined ? {} : { status }),
            // A job COS lists in a shape cosjob cannot read is left out, but never silently.
            onBadMember: (bad) =>
              writeLine(
                context.io.stderr,
                `cosjob: skipped a job listed in ${region}${bad.jobId === undefined ? '' : ` (${cell(bad.jobId, 70)})`}: ${bad.problem}`,
              ),
          });
          for await (const job of listing) found.push({ region, ...job });
        } catch (error) {
          failed = true;
          reportFailure(context.io, error, `listing jobs in ${region} failed`);
          failures.push({
            region,
            message: error instanceof Error ? error.message : String(error),
            ...(error instanceof CosError
              ? {
                  code: error.code,
                  ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
                  fix: error.explanation,
                }
              : {}),
          });
        }
      }
      if (booleanFlag(context.args, 'json')) {
        // A failed region must never read as "no jobs there": the error object says what was not listed.
        const body = failed
          ? { error: { message: 'listing jobs failed in some regions', failures }, jobs: found }
          : found;
        writeLine(context.io.stdout, JSON.stringify(body, null, 2));
      } else if (found.length === 0 && failed) {
        // Nothing on stdout: the failures are on stderr, and "No jobs" would be a false statement.
      } else if (found.length === 0) {
        writeLine(
          context.io.stdout,
          `No jobs${status === undefined ? '' : ` with status ${status}`} in ${regions.join(', ')}.`,
        );
      } else {
        writeLine(
          context.io.stdout,
          table(
            [
              'REGION',
              'JOB ID',
              'STATUS',
              'PRIORITY',
              'OPERATION',
              'TASKS OK/FAILED/TOTAL',
              'CREATED',
              'DESCRIPTION',
            ],
            found.map((job) => [
              job.region,
              job.id,
              cell(job.status, 20),
              String(job.priority),
              cell(job.operation, 28),
              progressText(job.progress),
              cell(job.creationTime ?? '-', 24),
              cell(job.description, 50),
            ]),
          ),
        );
        writeLine(context.io.stdout, `${found.length} job${found.length === 1 ? '' : 's'}.`);
      }
      return failed ? EXIT_FAILURE : EXIT_OK;
    });
  },
};

function describeText(region: string, job: Job): string {
  const operation = job.operation;
  const parameters = Object.entries(operation.parameters).map(
    ([key, value]) => [`  ${key}`, cell(value, 100)] as const,
  );
  const lines = [
    `Job ${job.id} (${region})`,
    keyValues([
      ['Status', cell(job.status, 30)],
      ['Priority', String(job.priority)],
      ['Description', job.description === '' ? undefined : cell(job.description, 256)],
      [
        'Operation',
        `${cell(operation.rawKind || 'unknown', 40)}${operation.destructive ? ' (DESTRUCTIVE: deletes data)' : ''}`,
      ],
      ...parameters,
      [
        'Progress',
        `${job.progress.succeededTasks} succeeded, ${job.progress.failedTasks} failed, of ${job.progress.totalTasks} tasks`,
      ],
      ['Confirmation', job.confirmationRequired ? 'required' : 'not required'],
      ['Created', job.creationTime],
      ['Terminated', job.terminationDate],
      ['Suspended since', job.suspendedDate],
      ['Suspended cause', job.suspendedCause === undefined ? undefined : cell(job.suspendedCause, 200)],
      ['Status reason', job.statusUpdateReason === undefined ? undefined : cell(job.statusUpdateReason, 256)],
      [
        'Manifest',
        job.manifest === undefined
          ? undefined
          : `${cell(job.manifest.location.objectArn, 120)} (${job.manifest.format}, ETag ${cell(job.manifest.location.etag, 80)})`,
      ],
      [
        'Report',
        job.report === undefined
          ? undefined
          : job.report.enabled
            ? `${cell(job.report.bucket, 120)}/${cell(job.report.prefix, 60)} (${job.report.reportScope})`
            : 'disabled',
      ],
      ['Role', job.roleArn === undefined ? undefined : cell(job.roleArn, 120)],
    ]),
  ];
  if (job.failureReasons.length > 0) {
    lines.push('  Failures:');
    for (const failure of job.failureReasons) {
      lines.push(`    - ${cell(failure.code || '(no code)', 60)}: ${cell(failure.reason, 200)}`);
    }
  }
  return lines.join('\n');
}

const describeCommand: CliCommand = {
  path: ['jobs', 'describe'],
  summary:
    'Show one job in full. Without --region, every region of the account (--account when there are several) is searched.',
  usage: 'cosjob jobs describe <JobId> [--account A] [--region R] [--json]',
  flags: { account: 'string', region: 'string', json: 'boolean' },
  async run(context) {
    const [jobIdText, ...extra] = context.args.positionals;
    if (jobIdText === undefined) {
      writeLine(context.io.stderr, 'cosjob: jobs describe needs a JobId.');
      writeLine(context.io.stderr, `usage: ${describeCommand.usage}`);
      return EXIT_USAGE;
    }
    if (extra.length > 0) {
      writeLine(context.io.stderr, `cosjob: unexpected argument ${JSON.stringify(cell(extra[0]!, 40))}.`);
      return EXIT_USAGE;
    }
    let jobId: string;
    try {
      jobId = validateJobId(jobIdText);
    } catch (error) {
      return reportFailure(context.io, error);
    }
    return withSession(context, async ({ clients, regions }) => {
      const misses: CosError[] = [];
      for (const region of regions) {
        try {
          const job = await clients.get(region)!.describeJob(jobId);
          writeLine(
            context.io.stdout,
            booleanFlag(context.args, 'json')
              ? JSON.stringify({ region, ...job }, null, 2)
              : describeText(region, job),
          );
          return EXIT_OK;
        } catch (error) {
          // Searching several regions: a miss in one is expected, anything else is reported.
          if (isNoSuchJob(error) && regions.length > 1) {
            misses.push(error);
            continue;
          }
          return reportFailure(context.io, error, `describing ${jobId} in ${region} failed`);
        }
      }
      writeLine(context.io.stderr, `cosjob: job ${jobId} was not found in any configured region:`);
      misses.forEach((miss, index) => {
        writeLine(
          context.io.stderr,
          `  ${regions[index]}: COS error ${miss.code} (HTTP ${miss.httpStatus ?? '?'}), request id ${miss.requestId ?? '(none)'}`,
        );
      });
      return EXIT_FAILURE;
    });
  },
};

export const jobsCommands: readonly CliCommand[] = [listCommand, describeCommand];
