import { CosApiError, invalidArgument, invalidRequest, noSuchJob } from '../errors.js';
import { renderUpdateJobStatus } from '../render.js';
import type { ReasonParameter } from '../stats.js';
import type { ApiHandler, ApiRequest, EmulatorState } from './context.js';

/** statusUpdateReason is 0 to 256 bytes of UTF-8 (COS counts bytes, not characters). */
const MAX_REASON_BYTES = 256;

function reasonParameter(reason: string | undefined): ReasonParameter {
  if (reason === undefined) return 'absent';
  return reason === '' ? 'empty' : 'value';
}

function apply({ scope, jobId, query }: ApiRequest, { store }: EmulatorState): string {
  const requested = query.get('requestedJobStatus');
  const reason = query.get('statusUpdateReason');
  if (requested !== 'Ready' && requested !== 'Cancelled') {
    throw invalidArgument(
      `requestedJobStatus must be Cancelled or Ready (requestedJobStatus 只能为 Cancelled 或 Ready); got "${requested ?? ''}"`,
    );
  }
  if (reason !== undefined && Buffer.byteLength(reason, 'utf8') > MAX_REASON_BYTES) {
    throw invalidArgument(
      `statusUpdateReason must be at most 256 bytes of UTF-8; it was ${Buffer.byteLength(reason, 'utf8')} bytes`,
    );
  }
  const record = store.record(scope, jobId);
  if (record === undefined) throw noSuchJob(jobId);
  const before = record.status;
  const result = store.requestStatus(record, requested, reason);
  if (result === 'finished') {
    throw invalidRequest(`job already completed (指定任务已完成): job ${jobId} is ${before}`);
  }
  if (result === 'transition') {
    throw invalidRequest(
      `status change error (任务状态变更错误): job ${jobId} cannot go from ${before} to ${requested}`,
    );
  }
  return renderUpdateJobStatus(record);
}

/**
 * POST /jobs/<JobId>/status: Ready from Suspended or Preparing, Cancelled from any unfinished status.
 * Every authenticated call is logged in stats.statusUpdates, refused or not.
 */
export const updateJobStatus: ApiHandler = (request, state) => {
  let httpStatus = 200;
  let errorCode: string | undefined;
  try {
    return apply(request, state);
  } catch (error) {
    if (error instanceof CosApiError) {
      httpStatus = error.httpStatus;
      errorCode = error.code;
    }
    throw error;
  } finally {
    const { scope, jobId, query } = request;
    const reason = query.get('statusUpdateReason');
    const after = state.store.record(scope, jobId)?.status;
    state.stats.recordStatusUpdate({
      uin: scope.uin,
      region: scope.region,
      jobId,
      requested: query.get('requestedJobStatus') ?? '',
      reason,
      reasonParameter: reasonParameter(reason),
      at: state.now(),
      httpStatus,
      ...(errorCode !== undefined ? { errorCode } : {}),
      ...(after !== undefined ? { resultingStatus: after } : {}),
    });
  }
};
