/**
 * Which job a Slack button or modal refers to. Button values come back from Slack inside a request anyone
 * with the signing secret could forge, so decoding treats them as untrusted input and accepts only what
 * the COS client would accept itself.
 */
import { isValidRegion } from '../cos/region.js';
import { isValidJobId, MAX_JOB_ID_BYTES } from '../cos/validation.js';

export interface JobRef {
  region: string;
  jobId: string;
}

export type JobRefResult = { ok: true; ref: JobRef } | { ok: false; error: string };

const SEPARATOR = '|';
/** Longest legal region (40) + separator + longest JobId (64); anything longer is junk. */
const MAX_ENCODED_LENGTH = 40 + 1 + MAX_JOB_ID_BYTES;

export { isValidJobId, MAX_JOB_ID_BYTES };

/** Why a JobId is not acceptable, or undefined when it is. */
export function jobIdProblem(jobId: unknown): string | undefined {
  if (typeof jobId !== 'string') return `the JobId must be text, not ${describeType(jobId)}`;
  if (jobId.length === 0) return 'the JobId is empty';
  if (Buffer.byteLength(jobId, 'utf8') > MAX_JOB_ID_BYTES) {
    return `the JobId is longer than ${MAX_JOB_ID_BYTES} bytes`;
  }
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

/** Compact and unambiguous: neither a region nor a JobId can contain the separator. */
export function encodeJobRef(ref: JobRef): string {
  const problem = regionProblem(ref.region) ?? jobIdProblem(ref.jobId);
  if (problem !== undefined) throw new Error(`Cannot reference this job in a button: ${problem}.`);
  return `${ref.region}${SEPARATOR}${ref.jobId}`;
}

export function decodeJobRef(value: unknown): JobRefResult {
  if (typeof value !== 'string') {
    return { ok: false, error: `The button value must be text, not ${describeType(value)}.` };
  }
  if (value.length > MAX_ENCODED_LENGTH) {
    return {
      ok: false,
      error: `The button value is ${value.length} characters long; a job reference is at most ${MAX_ENCODED_LENGTH}.`,
    };
  }
  const parts = value.split(SEPARATOR);
  if (parts.length !== 2) {
    return { ok: false, error: 'The button value is not a job reference of the form "<region>|<JobId>".' };
  }
  const [region, jobId] = parts as [string, string];
  const problem = regionProblem(region) ?? jobIdProblem(jobId);
  if (problem !== undefined) return { ok: false, error: `The button value is not usable: ${problem}.` };
  return { ok: true, ref: { region, jobId } };
}

export function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
