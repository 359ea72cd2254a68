/**
 * What a failed exchange with COS means, as a CosError: whether the request may have reached COS, whether
 * it is worth repeating, and the deadline and timeout failures named by the limit that ran out.
 */
import { type CosApiName, CosError, type CosErrorInit } from './errors.js';

/** Where requests went and the limits they ran under, for messages naming them. */
export interface TransportTarget {
  origin: string;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number; deadlineMs: number };
}

const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause === error ? undefined : errorCode(cause);
}

export function describeThrown(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Same error, with more context and the cause chain kept. */
export function rewrap(error: CosError, changes: Partial<CosErrorInit>): CosError {
  return new CosError({
    code: error.code,
    message: error.message,
    ...(error.api === undefined ? {} : { api: error.api }),
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    ...(error.traceId === undefined ? {} : { traceId: error.traceId }),
    ...(error.resource === undefined ? {} : { resource: error.resource }),
    mayHaveReachedServer: error.mayHaveReachedServer,
    completeAnswer: error.completeAnswer,
    // Context does not make a failure worth repeating (e.g. an oversize body stays oversize).
    ...(error.retryable ? {} : { retryable: false }),
    cause: error.cause ?? error,
    ...changes,
  });
}

/** Failures after which nobody can say whether COS applied a state change. */
export function isAmbiguous(error: CosError): boolean {
  if (!error.mayHaveReachedServer) return false;
  if (error.code === 'NetworkError' || error.code === 'Timeout' || error.code === 'InvalidResponse')
    return true;
  return error.httpStatus !== undefined && error.httpStatus >= 500;
}

export function deadlineError(api: CosApiName, deadlineMs: number, last?: CosError): CosError {
  return new CosError({
    code: 'Timeout',
    api,
    message: `No complete answer from COS within the ${deadlineMs} ms deadline${
      last === undefined ? '' : ` (last failure: ${last.summary})`
    }.`,
    ...(last?.httpStatus === undefined ? {} : { httpStatus: last.httpStatus }),
    ...(last?.requestId === undefined ? {} : { requestId: last.requestId }),
    ...(last === undefined ? {} : { cause: last }),
  });
}

export function transportError(
  target: TransportTarget,
  api: CosApiName,
  error: unknown,
  deadline: { readonly aborted: boolean },
  httpStatus?: number,
): CosError {
  const status = httpStatus === undefined ? {} : { httpStatus };
  if (deadline.aborted)
    return rewrap(deadlineError(api, target.timeouts.deadlineMs), { ...status, cause: error });
  const code = errorCode(error);
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new CosError({
        code: 'Timeout',
        api,
        message: `Could not connect to ${target.origin} within ${target.timeouts.connectMs} ms.`,
        mayHaveReachedServer: false,
        cause: error,
      });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new CosError({
        code: 'Timeout',
        api,
        message: `COS sent no response headers within ${target.timeouts.headersMs} ms.`,
        cause: error,
      });
    case 'UND_ERR_BODY_TIMEOUT':
      return new CosError({
        code: 'Timeout',
        api,
        ...status,
        message: `The COS response body stalled for more than ${target.timeouts.bodyMs} ms.`,
        cause: error,
      });
    default:
      return new CosError({
        code: 'NetworkError',
        api,
        ...status,
        message: `${notSent ? 'Could not connect to' : 'The connection failed while talking to'} ${target.origin}: ${
          code ?? 'error'
        } (${describeThrown(error)}).`,
        mayHaveReachedServer: !notSent,
        cause: error,
      });
  }
}
