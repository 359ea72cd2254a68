/** The COS Batch Operations job client: the one import the rest of cosjob needs. */
export {
  type CosClientOptions,
  type CosClientOverrides,
  type CosClientTimeouts,
  CosJobsClient,
  type CosRetryOptions,
  closeCosClients,
  cosControlHost,
  createCosClients,
  createCosPool,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  statusUpdateTookEffect,
} from './client.js';
export {
  type ClientErrorCode,
  type CosApiName,
  CosError,
  type CosErrorCode,
  type CosErrorDetails,
  type CosErrorInit,
  CosValidationError,
  cosErrorDetails,
  type DocumentedCosErrorCode,
  explainCosError,
  isCosError,
  isNoSuchJob,
  isRegionWide,
  sanitizeServerText,
} from './errors.js';
export * from './model.js';
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
export {
  buildCreateJobRequest,
  MAX_RESPONSE_BYTES,
  parseCosError,
  parseDescribeJob,
  parseListJobs,
  type UpdateJobPriorityResult,
} from './xml.js';
