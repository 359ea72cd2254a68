/**
 * Parses the text after `/cosjob`. Pure and strict: anything that does not parse is answered with what
 * was wrong and the correct usage, and never reaches COS or the audit trail as an act.
 */
import { JOB_STATUSES, type KnownJobStatus } from '../cos/model.js';
import { jobIdProblem, regionProblem } from '../jobs/job-ref.js';
import { validateReasonBytes } from './blocks/cancel-modal.js';

export type CosjobCommand =
  | { kind: 'help' }
  | { kind: 'list'; status: KnownJobStatus | 'all'; region?: string }
  | { kind: 'status'; jobId: string; region?: string }
  | { kind: 'approve'; jobId: string; reason?: string; region?: string }
  | { kind: 'cancel'; jobId: string; reason?: string; region?: string }
  | { kind: 'audit'; jobId: string; region?: string };

export type ParseResult = { ok: true; command: CosjobCommand } | { ok: false; error: string; usage: string };

export const USAGE: Record<CosjobCommand['kind'], string> = {
  help: '/cosjob help',
  list: '/cosjob list [status|all] [--region R]',
  status: '/cosjob status <JobId> [--region R]',
  approve: '/cosjob approve <JobId> [reason] [--region R]',
  cancel: '/cosjob cancel <JobId> <reason> [--region R]   (no reason: a dialog asks for one)',
  audit: '/cosjob audit <JobId> [--region R]',
};

export const FULL_USAGE = Object.values(USAGE).join('\n');

const MAX_COMMAND_CHARS = 4000;

export function parseCosjobCommand(text: string, configuredRegions: readonly string[]): ParseResult {
  const fail = (error: string, kind?: CosjobCommand['kind']): ParseResult => ({
    ok: false,
    error,
    usage: kind ? USAGE[kind] : FULL_USAGE,
  });
  if (text.length > MAX_COMMAND_CHARS) return fail(`The command is too long (${text.length} characters).`);

  // `--region R` may appear anywhere; the rest keeps its spacing so a reason reads as typed.
  let region: string | undefined;
  let rest = text.trim();
  // A bare `--region` at the end is caught here too, so it is reported as missing its value rather
  // than as an unknown option.
  const regionFlag = /(^|\s)--region(?:=(\S*)|\s+(\S+)|(?=\s*$))/;
  const match = regionFlag.exec(rest);
  if (match) {
    region = match[2] ?? match[3] ?? '';
    rest = `${rest.slice(0, match.index)} ${rest.slice(match.index + match[0].length)}`.trim();
    if (regionFlag.test(rest)) return fail('Give --region only once.');
    const problem = regionProblem(region);
    if (region === '' || problem)
      return fail(`--region needs a region name such as ap-guangzhou${problem ? `: ${problem}` : ''}.`);
    if (!configuredRegions.includes(region)) {
      return fail(`Region ${region} is not one cosjob watches. Configured: ${configuredRegions.join(', ')}.`);
    }
  }
  const flags = rest.split(/\s+/).filter((t) => t.startsWith('--'));
  if (flags.length > 0) return fail(`Unknown option ${flags[0]}. The only option is --region R.`);

  const [sub = '', ...words] = rest === '' ? [] : rest.split(/\s+/);
  const subcommand = sub.toLowerCase();
  const afterSub = rest.slice(sub.length).trim();
  const regionPart = region !== undefined ? { region } : {};

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
