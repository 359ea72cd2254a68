/**
 * Which job: a COS region and a JobId, and the `region|jobId` text that names one job in the tracked-jobs
 * set in Redis, in the card queue and in Slack button values.
 *
 * The key text must stay exactly as it is: members written by earlier versions are still in Redis and
 * must parse. It is unambiguous because neither a region nor a JobId can contain `|`.
 */
import { isValidRegion } from '../cos/region.js';
import { isValidJobId, MAX_JOB_ID_BYTES, utf8Length } from '../cos/validation.js';

export interface JobRef {
  region: string;
  jobId: string;
}

const SEPARATOR = '|';
/** The longest region the region rule allows. */
const MAX_REGION_LENGTH = 40;
/** Longest legal region + separator + longest JobId; anything longer is not a job key. */
export const MAX_JOB_REF_KEY_LENGTH = MAX_REGION_LENGTH + SEPARATOR.length + MAX_JOB_ID_BYTES;

/** What a value is, for a message about it ("a number", "nothing", "a list"). */
export function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Why a JobId is not acceptable, or undefined when it is. */
export function jobIdProblem(jobId: unknown): string | undefined {
  if (typeof jobId !== 'string') return `the JobId must be text, not ${describeType(jobId)}`;
  if (jobId.length === 0) return 'the JobId is empty';
  if (utf8Length(jobId) > MAX_JOB_ID_BYTES) return `the JobId is longer than ${MAX_JOB_ID_BYTES} bytes`;
  if (!isValidJobId(jobId)) {
    return 'the JobId may contain only letters, digits, "-" and "_", and must start with a letter or digit';
  }
  return undefined;
}

/** Why a region is not acceptable, or undefined when it is. */
export function regionProblem(region: unknown): string | undefined {
  if (typeof region !== 'string') return `the region must be text, not ${describeType(region)}`;
  if (!isValidRegion(region))
    return 'the region must look like "ap-guangzhou" (lowercase letters, digits, "-")';
  return undefined;
}

/** Why a reference is not acceptable (the region first), or undefined when it is. */
export function jobRefProblem(ref: { region: unknown; jobId: unknown }): string | undefined {
  return regionProblem(ref.region) ?? jobIdProblem(ref.jobId);
}

/**
 * The key text of a job, `region|jobId`. It does not validate: every region and JobId is checked where it
 * enters cosjob (configuration, COS listings, Slack values, the CLI), and a key is also built from
 * records read back from Redis, where one odd record must not stop the others from being followed.
 * Whatever does not meet the rules is refused again when the key is parsed.
 */
export function jobRefKey(ref: JobRef): string {
  return `${ref.region}${SEPARATOR}${ref.jobId}`;
}

/** `ref` is absent on failure, so `const { ref } = parseJobRefKey(text)` reads as "the job, if any". */
export type ParsedJobRefKey = { ok: true; ref: JobRef } | { ok: false; ref?: undefined; problem: string };

/**
 * Reads a key text back, accepting only a region and a JobId that meet the rules. The problem reads
 * after "… is not a job reference: ", e.g. 'it is not of the form "<region>|<JobId>"'.
 */
export function parseJobRefKey(text: unknown): ParsedJobRefKey {
  if (typeof text !== 'string') return { ok: false, problem: `it must be text, not ${describeType(text)}` };
  if (text.length > MAX_JOB_REF_KEY_LENGTH) {
    return {
      ok: false,
      problem: `it is ${text.length} characters long; a job reference is at most ${MAX_JOB_REF_KEY_LENGTH}`,
    };
  }
  const parts = text.split(SEPARATOR);
  if (parts.length !== 2) return { ok: false, problem: 'it is not of the form "<region>|<JobId>"' };
  const [region, jobId] = parts as [string, string];
  const problem = jobRefProblem({ region, jobId });
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, ref: { region, jobId } };
}
