/** The COS Batch Operations job client: the one import the rest of cosjob needs. */
export {
  type CosClientOptions,
  type CosClientOverrides,
  type CosClientTimeouts,
  CosJobsClient,
  type CosRequest,
  type CosResponse,
  closeCosClients,
  cosControlHost,
  createCosClients,
  createCosPool,
  DEFAULT_TIMEOUTS,
  statusUpdateTookEffect,
} from './client.js';
export {
  type ClientErrorCode,
  type CosApiName,
  CosError,
  type CosErrorCode,
  type CosErrorInit,
  CosValidationError,
  type DocumentedCosErrorCode,
  explainCosError,
  isCosError,
  sanitizeServerText,
} from './errors.js';
export * from './model.js';
export { type CosRetryOptions, DEFAULT_RETRY } from './retry.js';
export {
  MAX_JOB_ID_BYTES,
  MAX_PRIORITY,
  MAX_STATUS_UPDATE_REASON_BYTES,
  truncateUtf8,
  utf8Length,
  validateJobId,
  validatePriority,
  validateRegion,
  validateRequestedJobStatus,
  validateStatusUpdateReason,
} from './validation.js';
export { parseDescribeJob } from './xml/describe-job.js';
export { parseCosError } from './xml/error-response.js';
export { parseListJobs } from './xml/list-jobs.js';
export { MAX_RESPONSE_BYTES } from './xml/response-body.js';
