/**
 * Job references in Slack button values. A value comes back from Slack inside a request anyone with the
 * signing secret could forge, so decoding treats it as untrusted input and accepts only a reference the
 * COS client would accept itself. The reference and its text are defined in src/jobs/job-ref.ts; this
 * module adds only what is Slack's: refusing to put an unusable reference on a button, and the wording
 * of a refusal.
 */
import { type JobRef, jobRefKey, jobRefProblem, parseJobRefKey } from '../jobs/job-ref.js';
import { parseCancelModalMetadata } from './blocks/cancel-modal.js';

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

/**
 * The job an interactivity payload points at, if any: a button's value or a cancel dialog's
 * private_metadata. For auditing refused requests only; the listeners decode and check their own.
 */
export function jobRefOfPayload(body: Record<string, unknown>): JobRef | undefined {
  const actions = Array.isArray(body.actions) ? (body.actions as unknown[]) : [];
  const first = actions[0];
  if (first !== null && typeof first === 'object') {
    const ref = decodeJobRef((first as { value?: unknown }).value);
    if (ref.ok) return ref.ref;
  }
  const view = body.view;
  if (view !== null && typeof view === 'object') {
    const metadata = parseCancelModalMetadata((view as { private_metadata?: unknown }).private_metadata);
    if (metadata.ok) {
      const { account, region, jobId } = metadata.metadata;
      return { account, region, jobId };
    }
  }
  return undefined;
}
