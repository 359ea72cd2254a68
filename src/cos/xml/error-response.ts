/**
 * Error answers: a COS `<Error>` document, or whatever else came back with a non-2xx status.
 */
import { bodySnippet, type CosApiName, CosError } from '../errors.js';
import { parseXmlDocument } from './document.js';
import { headerValue, type ResponseHeaders } from './response-body.js';
import { isRecord, leaf, optional, token } from './tree.js';

/**
 * An error answer as a CosError. Bodies that are not a COS `<Error>` document (HTML from a gateway,
 * truncated XML, nothing) become `InvalidResponse` with the status and the start of the body.
 * The request id comes from the body, else from the `x-cos-request-id` header. `xml` must be the whole
 * body as received, so the result is marked `completeAnswer`.
 */
export function parseCosError(
  xml: string,
  httpStatus: number,
  headers: ResponseHeaders,
  api?: CosApiName,
): CosError {
  const headerRequestId = headerValue(headers, 'x-cos-request-id');
  const headerTraceId = headerValue(headers, 'x-cos-trace-id');
  const context = {
    httpStatus,
    ...optional('api', api),
    ...optional('requestId', headerRequestId),
    ...optional('traceId', headerTraceId),
  };
  let error: unknown;
  try {
    const document = parseXmlDocument(xml);
    const body = document.Error;
    const code = token(body, 'Code');
    if (isRecord(body) && code !== undefined) {
      return new CosError({
        ...context,
        completeAnswer: true,
        code,
        message: leaf(body, 'Message') ?? '',
        ...optional('requestId', token(body, 'RequestId') ?? headerRequestId),
        ...optional('traceId', token(body, 'TraceId') ?? headerTraceId),
        ...optional('resource', token(body, 'Resource')),
      });
    }
  } catch (caught) {
    error = caught;
  }
  const why =
    xml.trim() === ''
      ? 'an empty body'
      : error instanceof CosError && /larger than/.test(error.message)
        ? 'a body too large to read'
        : `a body that is not a COS <Error> document, starting ${bodySnippet(xml)}`;
  return new CosError({
    ...context,
    // The status line and the whole body arrived: a gateway's error page is still a finished answer.
    completeAnswer: true,
    code: 'InvalidResponse',
    message: `COS answered HTTP ${httpStatus} with ${why}.`,
    ...optional('cause', error),
  });
}
