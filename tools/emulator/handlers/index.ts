import type { ApiName } from '../routes.js';
import type { ApiHandler } from './context.js';
import { createJob } from './create-job.js';
import { describeJob } from './describe-job.js';
import { listJobs } from './list-jobs.js';
import { updateJobPriority } from './update-job-priority.js';
import { updateJobStatus } from './update-job-status.js';

export type { ApiHandler, ApiRequest, EmulatorState, Scope } from './context.js';

/** One handler per job API; to emulate another API, add a route in routes.ts and a handler here. */
export const HANDLERS: Readonly<Record<ApiName, ApiHandler>> = {
  CreateJob: createJob,
  DescribeJob: describeJob,
  ListJobs: listJobs,
  UpdateJobPriority: updateJobPriority,
  UpdateJobStatus: updateJobStatus,
};
