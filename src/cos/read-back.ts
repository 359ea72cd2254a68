/**
 * After an UpdateJobStatus that failed ambiguously (timeout, reset, 5xx, unreadable 2xx), the job is read
 * back to say whether the change took effect. The POST itself is never repeated.
 */
import type { Logger } from '../logger.js';
import { CosError } from './errors.js';
import {
  type CosJobsApi,
  type Job,
  type RequestedJobStatus,
  type StatusUpdateOutcome,
  statusUpdateTookEffect,
} from './model.js';
import { describeThrown, rewrap } from './transport-errors.js';

export async function readBackStatusUpdate(
  source: Pick<CosJobsApi, 'region' | 'describeJob'>,
  logger: Logger,
  jobId: string,
  requested: RequestedJobStatus,
  failure: CosError,
): Promise<StatusUpdateOutcome> {
  logger.warn('UpdateJobStatus failed ambiguously; reading the job back', {
    region: source.region,
    jobId,
    requested,
    code: failure.code,
    httpStatus: failure.httpStatus,
    requestId: failure.requestId,
  });
  let job: Job;
  try {
    job = await source.describeJob(jobId);
  } catch (describeError) {
    const detail = describeError instanceof CosError ? describeError.summary : describeThrown(describeError);
    return {
      kind: 'unknown',
      error: rewrap(failure, {
        message: `${failure.message} (reading the job back also failed: ${detail})`,
        cause: describeError,
      }),
    };
  }
  const verdict = statusUpdateTookEffect(requested, job.status);
  logger.info('UpdateJobStatus reconciled', {
    region: source.region,
    jobId,
    requested,
    observedStatus: job.status,
    verdict,
    completeAnswer: failure.completeAnswer,
  });
  if (verdict === 'applied') {
    return {
      kind: 'applied',
      reconciled: true,
      result: {
        jobId: job.id,
        status: job.status,
        ...(job.statusUpdateReason === undefined ? {} : { statusUpdateReason: job.statusUpdateReason }),
      },
    };
  }
  if (verdict === 'not_applied') {
    if (failure.completeAnswer) return { kind: 'not_applied', error: failure, observedStatus: job.status };
    // We stopped waiting, COS may not have: the request can still be queued or running there and apply
    // after this read-back. Only a finished answer proves it will not.
    return {
      kind: 'unknown',
      observedStatus: job.status,
      error: rewrap(failure, {
        message: `${failure.message} (the job still shows status ${job.status}, but the request may still reach COS and take effect; check the job again before repeating it)`,
      }),
    };
  }
  return {
    kind: 'unknown',
    error: rewrap(failure, {
      message: `${failure.message} (the job now shows status ${job.status}, which cosjob cannot interpret)`,
    }),
    observedStatus: job.status,
  };
}
