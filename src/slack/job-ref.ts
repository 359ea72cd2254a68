/**
 * Job references in Slack button values. A value comes back from Slack inside a request anyone with the
 * signing secret could forge, so decoding treats it as untrusted input and accepts only a reference the
 * COS client would accept itself. The reference and its text are defined in src/jobs/job-ref.ts; this
 * module adds only what is Slack's: refusing to put an unusable reference on a button, and the wording
 * of a refusal.
 */
import { type JobRef, jobRefKey, jobRefProblem, parseJobRefKey } from '../jobs/job-ref.js';

export type JobRefResult = { ok: true; ref: JobRef } | { ok: false; error: string };

export function encodeJobRef(ref: JobRef): string {
  const problem = jobRefProblem(ref);
  if (problem !== undefined) throw new Error(`Cannot reference this job in a button: ${problem}.`);
  return jobRefKey(ref);
}

export function decodeJobRef(value: unknown): JobRefResult {
  const parsed = parseJobRefKey(value);
  if (!parsed.ok) return { ok: false, error: `The button value is not a job reference: ${parsed.problem}.` };
  return parsed;
}
