import { noSuchJob } from '../errors.js';
import { renderDescribeJob } from '../render.js';
import type { ApiHandler } from './context.js';

/** GET /jobs/<JobId>. */
export const describeJob: ApiHandler = ({ scope, jobId }, { store }) => {
  const record = store.record(scope, jobId);
  if (record === undefined) throw noSuchJob(jobId);
  return renderDescribeJob(record);
};
