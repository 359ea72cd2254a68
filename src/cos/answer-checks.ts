/**
 * Checks of what COS answered, run after parsing and before anything acts on the answer. The parser
 * accepts any text where COS should send a status; these checks make sure a value that the engine is
 * about to record, compare or show is one COS documents, and one the audit trail will accept, so the
 * audit never refuses the record of something that was already done.
 *
 * The `…Problems` functions are pure and list every problem (empty when the answer is usable); the
 * `checked…` functions throw a CosError (code InvalidResponse) naming them, for the parsing path.
 */
import { hasControlCharacters, OPTIONAL_LIMITS } from '../audit/codec.js';
import { type CosApiName, CosError } from './errors.js';
import {
  isKnownJobStatus,
  JOB_STATUSES,
  type Job,
  type JobProgress,
  type JobSummary,
  type ListJobsBadMember,
  type ListJobsPage,
  type UpdateJobStatusResult,
} from './model.js';
import { isValidJobId, MAX_JOB_ID_BYTES, MAX_PRIORITY } from './validation.js';

/** How much of an unusable value an error message quotes. */
const QUOTED_CHARACTERS = 40;

/**
 * A value from an answer, quoted for an error message that may reach Slack, a log or the audit: JSON
 * string syntax (so control characters and lone surrogates show as `\u…` escapes), with `<`, `>` and `&`
 * (Slack's mrkdwn control characters) and the bidirectional controls U+202A–U+202E, U+2066–U+2069 also
 * written as `\u…`, at most 40 characters of the value, and its length when it was cut.
 */
export function quoteAnswerValue(value: unknown): string {
  if (typeof value !== 'string') {
    if (value === undefined) return 'nothing';
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
    if (Array.isArray(value)) return 'a list';
    return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  }
  const characters = Array.from(value);
  const shown = characters.slice(0, QUOTED_CHARACTERS).join('');
  const quoted = JSON.stringify(shown).replace(
    /[<>&\u0080-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return characters.length > QUOTED_CHARACTERS ? `${quoted}… (${characters.length} characters)` : quoted;
}

/** The status must be one of the 13 COS documents; it is recorded in the audit as `cosStatus`. */
function statusProblem(status: unknown): string | undefined {
  if (typeof status === 'string' && isKnownJobStatus(status)) return undefined;
  const tooLong =
    typeof status === 'string' && status.length > OPTIONAL_LIMITS.cosStatus
      ? `, and at ${status.length} characters longer than the ${OPTIONAL_LIMITS.cosStatus} the audit trail records`
      : '';
  return `Status ${quoteAnswerValue(status)} is not a COS job status (COS documents ${JOB_STATUSES.join(', ')})${tooLong}`;
}

function jobIdProblem(id: unknown, expectedJobId: string | undefined): string | undefined {
  if (typeof id !== 'string' || !isValidJobId(id)) {
    return `JobId ${quoteAnswerValue(id)} is not a COS JobId (1 to ${MAX_JOB_ID_BYTES} bytes of letters, digits, - and _)`;
  }
  if (expectedJobId !== undefined && id !== expectedJobId) {
    return `JobId ${quoteAnswerValue(id)} is not the job that was asked about (${quoteAnswerValue(expectedJobId)})`;
  }
  return undefined;
}

function priorityProblem(priority: unknown): string | undefined {
  if (
    typeof priority === 'number' &&
    Number.isInteger(priority) &&
    priority >= 0 &&
    priority <= MAX_PRIORITY
  ) {
    return undefined;
  }
  return `Priority ${quoteAnswerValue(priority)} is not a whole number from 0 to ${MAX_PRIORITY}`;
}

/**
 * Each counter must be a whole number of tasks. Their sum is not compared with the total: COS does not
 * document that the three are consistent at every moment of a running job.
 */
function progressProblems(progress: JobProgress | undefined): string[] {
  if (progress === null || typeof progress !== 'object') return ['ProgressSummary is missing'];
  const counters: [string, unknown][] = [
    ['TotalNumberOfTasks', progress.totalTasks],
    ['NumberOfTasksSucceeded', progress.succeededTasks],
    ['NumberOfTasksFailed', progress.failedTasks],
  ];
  return counters
    .filter(([, value]) => !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0))
    .map(([name, value]) => `${name} ${quoteAnswerValue(value)} is not a whole number of tasks`);
}

/**
 * A text field that can reach the audit trail as `field`: at most the audit's limit for that field and
 * free of the control characters the audit refuses.
 */
function auditTextProblem(
  label: string,
  value: unknown,
  field: keyof typeof OPTIONAL_LIMITS,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return `${label} is ${quoteAnswerValue(value)}, not text`;
  const limit = OPTIONAL_LIMITS[field];
  if (value.length > limit) {
    return `${label} is ${value.length} characters long; the audit trail records at most ${limit}`;
  }
  if (hasControlCharacters(value)) return `${label} ${quoteAnswerValue(value)} contains control characters`;
  return undefined;
}

function present(problems: (string | undefined)[]): string[] {
  return problems.filter((problem): problem is string => problem !== undefined);
}

/**
 * Problems with a DescribeJob answer. `expectedJobId` is the JobId that was asked for. The
 * StatusUpdateReason is recorded in the audit as a `reason` when a job leaves Suspended outside cosjob,
 * so it must fit the audit too.
 */
export function jobProblems(job: Job, expectedJobId?: string): string[] {
  return present([
    jobIdProblem(job.id, expectedJobId),
    statusProblem(job.status),
    priorityProblem(job.priority),
    ...progressProblems(job.progress),
    auditTextProblem('StatusUpdateReason', job.statusUpdateReason, 'reason'),
  ]);
}

/** Problems with one ListJobs member. */
export function jobSummaryProblems(summary: JobSummary): string[] {
  return present([
    jobIdProblem(summary.id, undefined),
    statusProblem(summary.status),
    priorityProblem(summary.priority),
    ...progressProblems(summary.progress),
  ]);
}

/**
 * Problems with an UpdateJobStatus answer for `expectedJobId`: its status and request id are written to
 * the audit as the result of the change.
 */
export function updateJobStatusResultProblems(
  result: UpdateJobStatusResult,
  expectedJobId?: string,
): string[] {
  return present([
    jobIdProblem(result.jobId, expectedJobId),
    statusProblem(result.status),
    auditTextProblem('StatusUpdateReason', result.statusUpdateReason, 'reason'),
    auditTextProblem('The request id', result.requestId, 'cosRequestId'),
  ]);
}

/**
 * Problems with the code and request id of a COS `<Error>` answer, which the audit records as
 * `cosErrorCode` and `cosRequestId`.
 */
export function errorReferenceProblems(refs: { code?: string; requestId?: string }): string[] {
  return present([
    auditTextProblem('The error code', refs.code, 'cosErrorCode'),
    auditTextProblem('The request id', refs.requestId, 'cosRequestId'),
  ]);
}

export interface AnswerContext {
  api: CosApiName;
  /** The JobId that was asked about, when the answer is about one job. */
  expectedJobId?: string;
  httpStatus?: number;
  requestId?: string;
}

/**
 * The error for an answer that failed its checks. It says the answer was not acted on; whether the
 * request itself took effect is for the caller to find out (for UpdateJobStatus, by reading the job back).
 */
export function unusableAnswerError(context: AnswerContext, problems: readonly string[]): CosError {
  const about =
    context.expectedJobId === undefined ? '' : ` for job ${quoteAnswerValue(context.expectedJobId)}`;
  return new CosError({
    code: 'InvalidResponse',
    api: context.api,
    ...(context.httpStatus === undefined ? {} : { httpStatus: context.httpStatus }),
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    message: `The ${context.api} answer${about} is not usable: ${problems.join('; ')}. cosjob did not act on it.`,
  });
}

function checked<T>(value: T, problems: string[], context: AnswerContext): T {
  if (problems.length > 0) throw unusableAnswerError(context, problems);
  return value;
}

/** The job, or a CosError naming every problem (see jobProblems). */
export function checkedJob(job: Job, context: AnswerContext): Job {
  return checked(job, jobProblems(job, context.expectedJobId), context);
}

/** The ListJobs member, or a CosError naming every problem (see jobSummaryProblems). */
export function checkedJobSummary(summary: JobSummary, context: AnswerContext): JobSummary {
  return checked(summary, jobSummaryProblems(summary), context);
}

/** The UpdateJobStatus answer, or a CosError naming every problem (see updateJobStatusResultProblems). */
export function checkedUpdateJobStatusResult(
  result: UpdateJobStatusResult,
  context: AnswerContext,
): UpdateJobStatusResult {
  return checked(result, updateJobStatusResultProblems(result, context.expectedJobId), context);
}

/**
 * The page with every member that fails its checks moved from `jobs` to `badMembers`, as the parser does
 * with members it cannot read, so one odd job is skipped and reported without hiding the others. The
 * `index` of a moved member is its position among all the page's members, counting those the parser
 * already set aside.
 */
export function checkedListJobsPage(page: ListJobsPage): ListJobsPage {
  const alreadyBad = new Set((page.badMembers ?? []).map((bad) => bad.index));
  const jobs: JobSummary[] = [];
  const badMembers: ListJobsBadMember[] = [...(page.badMembers ?? [])];
  let index = 0;
  for (const summary of page.jobs) {
    while (alreadyBad.has(index)) index += 1;
    const problems = jobSummaryProblems(summary);
    if (problems.length === 0) {
      jobs.push(summary);
    } else {
      const listed = isValidJobId(summary.id) ? { jobId: summary.id } : {};
      badMembers.push({ index, ...listed, problem: `${problems.join('; ')}.` });
    }
    index += 1;
  }
  badMembers.sort((a, b) => a.index - b.index);
  return {
    jobs,
    ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
    ...(badMembers.length === 0 ? {} : { badMembers }),
  };
}
