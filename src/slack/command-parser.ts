/**
 * Parses the text after `/cosjob`. Pure and strict: anything that does not parse is answered with what
 * was wrong and the correct usage, and never reaches COS or the audit trail as an act.
 */
import { JOB_STATUSES, type KnownJobStatus } from '../cos/model.js';
import { accountProblem, DEFAULT_ACCOUNT_NAME, jobIdProblem, regionProblem } from '../jobs/job-ref.js';
import { validateReasonBytes } from './blocks/cancel-modal.js';

/** Where a command points: `--account` and `--region`, each optional. */
interface Place {
  account?: string;
  region?: string;
}

export type CosjobCommand =
  | { kind: 'help' }
  | ({ kind: 'list'; status: KnownJobStatus | 'all' } & Place)
  | ({ kind: 'status'; jobId: string } & Place)
  | ({ kind: 'approve'; jobId: string; reason?: string } & Place)
  | ({ kind: 'cancel'; jobId: string; reason?: string } & Place)
  | ({ kind: 'audit'; jobId: string } & Place);

export type ParseResult = { ok: true; command: CosjobCommand } | { ok: false; error: string; usage: string };

export const USAGE: Record<CosjobCommand['kind'], string> = {
  help: '/cosjob help',
  list: '/cosjob list [status|all] [--account A] [--region R]',
  status: '/cosjob status <JobId> [--account A] [--region R]',
  approve: '/cosjob approve <JobId> [reason] [--account A] [--region R]',
  cancel: '/cosjob cancel <JobId> <reason> [--account A] [--region R]   (no reason: a dialog asks for one)',
  audit: '/cosjob audit <JobId> [--account A] [--region R]',
};

export const FULL_USAGE = Object.values(USAGE).join('\n');

const MAX_COMMAND_CHARS = 4000;

type Flag = { ok: true; value: string | undefined; rest: string } | { ok: false; error: string };

/**
 * Takes `--<name> V` (or `--<name>=V`) out of the text, wherever it is; the rest keeps its spacing so a
 * reason reads as typed. A bare `--<name>` at the end is caught too, so it is reported as missing its
 * value rather than as an unknown option.
 */
function takeFlag(text: string, name: string): Flag {
  const flag = new RegExp(`(^|\\s)--${name}(?:=(\\S*)|\\s+(\\S+)|(?=\\s*$))`);
  const match = flag.exec(text);
  if (!match) return { ok: true, value: undefined, rest: text };
  const value = match[2] ?? match[3] ?? '';
  const rest = `${text.slice(0, match.index)} ${text.slice(match.index + match[0].length)}`.trim();
  if (flag.test(rest)) return { ok: false, error: `Give --${name} only once.` };
  return { ok: true, value, rest };
}

/**
 * `configuredRegions`: every region of every account; `configuredAccounts`: the account names (one,
 * `default`, for environment-only configuration). Whether the region belongs to the named account is
 * checked where the command is run, which knows each account's regions.
 */
export function parseCosjobCommand(
  text: string,
  configuredRegions: readonly string[],
  configuredAccounts: readonly string[] = [DEFAULT_ACCOUNT_NAME],
): ParseResult {
  const fail = (error: string, kind?: CosjobCommand['kind']): ParseResult => ({
    ok: false,
    error,
    usage: kind ? USAGE[kind] : FULL_USAGE,
  });
  if (text.length > MAX_COMMAND_CHARS) return fail(`The command is too long (${text.length} characters).`);

  const regionFlag = takeFlag(text.trim(), 'region');
  if (!regionFlag.ok) return fail(regionFlag.error);
  const accountFlag = takeFlag(regionFlag.rest, 'account');
  if (!accountFlag.ok) return fail(accountFlag.error);
  const { rest } = accountFlag;
  const region = regionFlag.value;
  const account = accountFlag.value;
  if (region !== undefined) {
    const problem = regionProblem(region);
    if (region === '' || problem)
      return fail(`--region needs a region name such as ap-guangzhou${problem ? `: ${problem}` : ''}.`);
    if (!configuredRegions.includes(region)) {
      return fail(`Region ${region} is not one cosjob watches. Configured: ${configuredRegions.join(', ')}.`);
    }
  }
  if (account !== undefined) {
    const problem = accountProblem(account);
    if (account === '' || problem)
      return fail(`--account needs an account name such as prod${problem ? `: ${problem}` : ''}.`);
    if (!configuredAccounts.includes(account)) {
      return fail(
        `Account ${account} is not one cosjob watches. Configured: ${configuredAccounts.join(', ')}.`,
      );
    }
  }
  const flags = rest.split(/\s+/).filter((t) => t.startsWith('--'));
  if (flags.length > 0) {
    return fail(`Unknown option ${flags[0]}. The only options are --account A and --region R.`);
  }

  const [sub = '', ...words] = rest === '' ? [] : rest.split(/\s+/);
  const subcommand = sub.toLowerCase();
  const afterSub = rest.slice(sub.length).trim();
  const regionPart = {
    ...(account !== undefined ? { account } : {}),
    ...(region !== undefined ? { region } : {}),
  };

  switch (subcommand) {
    case '':
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'list': {
      if (words.length > 1) return fail('`list` takes at most one status.', 'list');
      const wanted = words[0];
      if (wanted === undefined)
        return { ok: true, command: { kind: 'list', status: 'Suspended', ...regionPart } };
      if (wanted.toLowerCase() === 'all')
        return { ok: true, command: { kind: 'list', status: 'all', ...regionPart } };
      const status = JOB_STATUSES.find((s) => s.toLowerCase() === wanted.toLowerCase());
      if (!status)
        return fail(
          `Unknown status "${wanted.slice(0, 40)}". Use one of: all, ${JOB_STATUSES.join(', ')}.`,
          'list',
        );
      return { ok: true, command: { kind: 'list', status, ...regionPart } };
    }
    case 'status':
    case 'audit':
    case 'approve':
    case 'cancel': {
      const jobId = words[0];
      if (jobId === undefined) return fail(`\`${subcommand}\` needs a JobId.`, subcommand);
      const problem = jobIdProblem(jobId);
      if (problem) return fail(`"${jobId.slice(0, 80)}" is not a valid JobId: ${problem}`, subcommand);
      const reason = afterSub.slice(jobId.length).trim();
      if ((subcommand === 'status' || subcommand === 'audit') && reason !== '') {
        return fail(`\`${subcommand}\` takes only a JobId.`, subcommand);
      }
      if (subcommand === 'status' || subcommand === 'audit') {
        return { ok: true, command: { kind: subcommand, jobId, ...regionPart } };
      }
      const tooLong = validateReasonBytes(reason);
      if (tooLong) return fail(tooLong, subcommand);
      return { ok: true, command: { kind: subcommand, jobId, ...(reason ? { reason } : {}), ...regionPart } };
    }
    default:
      return fail(`Unknown subcommand "${sub.slice(0, 40)}".`);
  }
}
