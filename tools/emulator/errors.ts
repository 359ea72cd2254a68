/**
 * Errors the emulator answers with, in the COS `<Error>` shape. Codes and HTTP statuses follow COS's batch
 * job error table (InvalidArgument/InvalidRequest 400, NoSuchJob 404) and its generic codes (AccessDenied,
 * InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed 403; SlowDown, ServiceUnavailable 503).
 * Where COS answers in Chinese, the message carries the Chinese text after the English so both kinds of
 * client see it.
 */
export class CosApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CosApiError';
  }
}

export const invalidArgument = (message: string) => new CosApiError(400, 'InvalidArgument', message);
export const invalidRequest = (message: string) => new CosApiError(400, 'InvalidRequest', message);
export const malformedXml = (message: string) => new CosApiError(400, 'MalformedXML', message);
export const accessDenied = (message: string) => new CosApiError(403, 'AccessDenied', message);
export const noSuchJob = (jobId: string, finished = false) =>
  new CosApiError(
    404,
    'NoSuchJob',
    finished
      ? `job ${jobId} does not exist or is finished (指定作业已完成)`
      : `job ${jobId} does not exist (指定作业不存在)`,
  );

/** The message real clients match on to correct their clock (Node SDK `allowRetry`). */
export const REQUEST_EXPIRED_MESSAGE = 'Request has expired';
