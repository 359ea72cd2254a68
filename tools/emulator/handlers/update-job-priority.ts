import { isFinished } from '../../../src/cos/model.js';
import { invalidArgument, invalidRequest, noSuchJob } from '../errors.js';
import { renderUpdateJobPriority } from '../render.js';
import type { ApiHandler } from './context.js';

/** POST /jobs/<JobId>/priority?priority=<0..2147483647>; a finished job is NoSuchJob "is finished". */
export const updateJobPriority: ApiHandler = ({ scope, jobId, query }, { store }) => {
  const text = query.get('priority');
  if (text === undefined)
    throw invalidRequest('priority is missing (缺少 priority 参数): add ?priority=<0..2147483647>');
  if (!/^\d{1,10}$/.test(text) || Number(text) > 2_147_483_647) {
    throw invalidArgument(`priority must be an integer from 0 to 2147483647; got "${text}"`);
  }
  const record = store.record(scope, jobId);
  if (record === undefined) throw noSuchJob(jobId);
  if (isFinished(record.status)) throw noSuchJob(jobId, true);
  record.priority = Number(text);
  return renderUpdateJobPriority(record);
};
