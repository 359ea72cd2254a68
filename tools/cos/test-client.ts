/**
 * The COS job APIs cosjob itself never calls (CreateJob, UpdateJobPriority), for tests that drive a
 * server over HTTP. They go through the product client's `request`, so signing, transport, clock-skew
 * correction and error mapping are the very code under test; only the body and the answer differ. Neither
 * is retried: both change state.
 */
import type { CosJobsClient } from '../../src/cos/client.js';
import { validateJobId, validatePriority } from '../../src/cos/validation.js';
import { parseXmlDocument } from '../../src/cos/xml/document.js';
import { count, required, root } from '../../src/cos/xml/tree.js';
import { buildCreateJobRequest, type CreateJobInput } from './create-job-xml.js';

export interface UpdateJobPriorityResult {
  jobId: string;
  priority: number;
}

export function parseCreateJob(xml: string): string {
  return required(root(parseXmlDocument(xml), 'CreateJobResult'), 'JobId', 'CreateJobResult');
}

export function parseUpdateJobPriority(xml: string): UpdateJobPriorityResult {
  const result = root(parseXmlDocument(xml), 'UpdateJobPriorityResult');
  return { jobId: required(result, 'JobId', 'UpdateJobPriorityResult'), priority: count(result, 'Priority') };
}

/** CreateJob; resolves with the new JobId. */
export async function createJob(client: CosJobsClient, input: CreateJobInput): Promise<string> {
  const body = buildCreateJobRequest(input);
  return client.request({ api: 'CreateJob', method: 'POST', path: '/jobs', body }, false, (response) =>
    parseCreateJob(response.body),
  );
}

export async function updateJobPriority(
  client: CosJobsClient,
  jobId: string,
  priority: number,
): Promise<UpdateJobPriorityResult> {
  const id = validateJobId(jobId);
  const query = { priority: String(validatePriority(priority)) };
  return client.request(
    { api: 'UpdateJobPriority', method: 'POST', path: `/jobs/${id}/priority`, query },
    false,
    (response) => parseUpdateJobPriority(response.body),
  );
}
