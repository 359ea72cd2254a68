/**
 * Errors from the COS job APIs, and from everything between us and them (network, timeouts, bodies that
 * are not COS XML). Every error carries a plain-language `explanation` a person can act on, and nothing
 * that could leak a credential: server text is sanitised before it is stored.
 */
import { redactText } from '../logger.js';

export type CosApiName = 'CreateJob' | 'DescribeJob' | 'ListJobs' | 'UpdateJobPriority' | 'UpdateJobStatus';

/** Codes COS documents for the batch job APIs: the common COS error codes and the job APIs' own. */
export const DOCUMENTED_COS_ERROR_CODES = [
  'InvalidArgument',
  'InvalidRequest',
  'NoSuchJob',
  'AccessDenied',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'RequestTimeTooSkewed',
  'ExpiredToken',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'MalformedXML',
  'TooManyJobs',
  'RequestTimeout',
  'MethodNotAllowed',
  'NotImplemented',
] as const;

/** Codes cosjob uses for failures that never produced a COS `<Error>` body. */
export const CLIENT_ERROR_CODES = ['NetworkError', 'Timeout', 'InvalidResponse', 'TooManyPages'] as const;

export type DocumentedCosErrorCode = (typeof DOCUMENTED_COS_ERROR_CODES)[number];
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];
/** A code COS may add later is kept as its text. */
export type CosErrorCode =
  | DocumentedCosErrorCode
  | ClientErrorCode
  | (string & { readonly otherCode?: true });

export interface CosErrorInit {
  code: CosErrorCode;
  /** What COS (or the failing layer) said; sanitised here, so raw server text may be passed in. */
  message: string;
  api?: CosApiName;
  httpStatus?: number;
  requestId?: string;
  traceId?: string;
  resource?: string;
  /** Overrides the default decision from code and status. */
  retryable?: boolean;
  /**
   * False only when the request certainly never reached COS (connection refused, DNS failure, connect
   * timeout): then a state-changing call is known not to have taken effect.
   */
  mayHaveReachedServer?: boolean;
  /**
   * True only for a complete HTTP error answer (a 4xx/5xx status line and its whole body): the server
   * finished with the request, so nothing is still in flight. Timeouts, resets, cut-short bodies and
   * unreadable 2xx answers leave this false: the request may still be processed after we gave up.
   */
  completeAnswer?: boolean;
  cause?: unknown;
}

const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'NetworkError',
  'Timeout',
]);

/**
 * Whether repeating the same request can reasonably succeed. This says nothing about whether a repeat is
 * *safe*: the client only repeats reads, and reconciles state-changing calls instead.
 */
export function isRetryableFailure(code: string, httpStatus: number | undefined): boolean {
  if (RETRYABLE_CODES.has(code)) return true;
  // A job quota is not going to free itself up within a retry window.
  if (code === 'TooManyJobs') return false;
  if (code === 'InvalidResponse') {
    // A 5xx from a proxy, or a 200 whose body was cut short: both are transient in practice.
    return httpStatus === undefined || httpStatus >= 500 || httpStatus === 200;
  }
  return httpStatus !== undefined && httpStatus >= 500;
}

export function isClockSkewFailure(code: string, message: string): boolean {
  return code === 'RequestTimeTooSkewed' || (code === 'AccessDenied' && /request has expired/i.test(message));
}

export class CosError extends Error {
  readonly code: CosErrorCode;
  readonly api: CosApiName | undefined;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly traceId: string | undefined;
  readonly resource: string | undefined;
  readonly retryable: boolean;
  readonly mayHaveReachedServer: boolean;
  /** See CosErrorInit.completeAnswer. */
  readonly completeAnswer: boolean;
  /** What happened and what to do, in plain language. */
  readonly explanation: string;

  constructor(init: CosErrorInit) {
    const message = sanitizeServerText(init.message) || `${init.code} without a message`;
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'CosError';
    this.code = init.code;
    this.api = init.api;
    this.httpStatus = init.httpStatus;
    this.requestId = optionalSanitized(init.requestId, 128);
    this.traceId = optionalSanitized(init.traceId, 256);
    this.resource = optionalSanitized(init.resource, 512);
    this.retryable = init.retryable ?? isRetryableFailure(init.code, init.httpStatus);
    this.mayHaveReachedServer = init.mayHaveReachedServer ?? true;
    this.completeAnswer = init.completeAnswer ?? false;
    this.explanation = explainCosError(init.code, message, init.api, init.httpStatus);
  }

  get isClockSkew(): boolean {
    return isClockSkewFailure(this.code, this.message);
  }

  /** One line for logs and terminals: code, status, request id, message. */
  get summary(): string {
    const where = [
      this.api,
      this.httpStatus === undefined ? undefined : `HTTP ${this.httpStatus}`,
      this.requestId === undefined ? undefined : `request id ${this.requestId}`,
    ]
      .filter((part) => part !== undefined)
      .join(', ');
    return `${this.code}${where ? ` (${where})` : ''}: ${this.message}`;
  }

  /** A plain object for structured logs and JSON output (no stack, no cause chain). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      api: this.api,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      traceId: this.traceId,
      resource: this.resource,
      retryable: this.retryable,
      explanation: this.explanation,
    };
  }
}

/** Bad input caught before any request is sent. */
export class CosValidationError extends Error {
  readonly code = 'ValidationError';
  /** The input that was wrong, e.g. `jobId`, `statusUpdateReason`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'CosValidationError';
    this.field = field;
  }
}

export function isCosError(value: unknown): value is CosError {
  return value instanceof CosError;
}

/** COS has no such job in that region (or, for a status change, it has already finished). */
export function isNoSuchJob(error: unknown): error is CosError {
  return error instanceof CosError && error.code === 'NoSuchJob';
}

const REGION_WIDE_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'NetworkError',
  'Timeout',
]);

/**
 * Whether a failure says the region (or our credentials) is unwell rather than that one job is odd: a
 * poll stops and backs off on these. Anything that is not a CosError (a bug, a malformed answer caught
 * elsewhere) is about the job.
 */
export function isRegionWide(error: unknown): boolean {
  if (!(error instanceof CosError)) return false;
  // A body that does not parse is about that job's answer, even when reading it again might help.
  if (error.code === 'InvalidResponse') return false;
  if (error.retryable || REGION_WIDE_CODES.has(error.code)) return true;
  return error.httpStatus !== undefined && error.httpStatus >= 500;
}

/** What a person or an audit entry needs from a failure: the COS code and request id when there are any. */
export interface CosErrorDetails {
  message: string;
  code?: string;
  requestId?: string;
  /** Plain language for COS errors; absent for anything else. */
  explanation?: string;
}

export function cosErrorDetails(error: unknown): CosErrorDetails {
  if (error instanceof CosError) {
    return {
      message: error.message,
      code: error.code,
      ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
      explanation: error.explanation,
    };
  }
  if (error instanceof CosValidationError) return { message: error.message, code: error.code };
  return { message: error instanceof Error ? error.message : String(error) };
}

// ---- Sanitising server text ----

// A whole Authorization value (starts with q-sign-algorithm) and any bare signature or key time pair.
const AUTHORIZATION_VALUE = /q-sign-algorithm=[^\s<>"']*/gi;
const SIGNATURE_FIELD = /q-signature=[^\s&<>"']*/gi;
// Some S3-style services echo the StringToSign; its SHA1 line is derived from the signed request.
const STRING_TO_SIGN = /sha1\s*\n?\s*\d{9,12};\d{9,12}\s*\n?\s*[0-9a-f]{40}/gi;
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * Makes server-provided text safe to show and log: no signature material, no registered secrets
 * (see registerSecret in logger.ts), no control characters, bounded length.
 */
export function sanitizeServerText(text: string, maxLength = 500): string {
  let out = text
    .replace(AUTHORIZATION_VALUE, '[authorization redacted]')
    .replace(SIGNATURE_FIELD, 'q-signature=[redacted]')
    .replace(STRING_TO_SIGN, '[string-to-sign redacted]')
    .replace(CONTROL_CHARACTERS, '');
  out = redactText(out).replace(/\s+/g, ' ').trim();
  if (out.length > maxLength) out = `${out.slice(0, maxLength)}…`;
  return out;
}

function optionalSanitized(value: string | undefined, maxLength: number): string | undefined {
  if (value === undefined) return undefined;
  const clean = sanitizeServerText(value, maxLength);
  return clean === '' ? undefined : clean;
}

/** The first bytes of an unexpected body, made safe for an error message. */
export function bodySnippet(body: string, maxLength = 120): string {
  const clean = sanitizeServerText(body, maxLength);
  return clean === '' ? '(empty body)' : JSON.stringify(clean);
}

// ---- Explanations ----

const CHECK_KEY =
  'Check COS_SECRET_ID and COS_SECRET_KEY (and COS_SECURITY_TOKEN for temporary keys) in the environment.';

/** What happened and what to do, for every documented code and for cosjob's own codes. */
export function explainCosError(
  code: string,
  message: string,
  api: CosApiName | undefined,
  httpStatus?: number,
): string {
  switch (code) {
    case 'InvalidArgument':
      if (/appid/i.test(message))
        return 'COS did not accept the x-cos-appid header. Check COS_APPID: it must be the numeric APPID (e.g. 1250000000), not the UIN.';
      if (api === 'ListJobs')
        return 'COS rejected a ListJobs parameter (status filter, page size or page token). Use one of the 13 job statuses, a page size from 1 to 1000, and the NextToken exactly as COS returned it.';
      if (api === 'UpdateJobStatus')
        return 'COS rejected the status change parameters: only Ready (approve) or Cancelled (cancel) can be requested, with a reason of at most 256 bytes.';
      return 'COS rejected a parameter of the request as empty or invalid. Check the values sent; the message says which one.';
    case 'InvalidRequest':
      if (api === 'UpdateJobStatus' || api === 'UpdateJobPriority')
        return "COS refused the change because of the job's current state: it has already finished, or its status does not allow this transition (for example approving a job that is no longer Suspended). Look at the job's current status before trying again.";
      if (api === 'CreateJob')
        return 'COS refused to create the job: the ClientRequestToken was already used (a duplicate request) or a required value is missing. Use a new ClientRequestToken only if you really want another job.';
      return 'COS considered the request illegal (for example a missing job id or an empty body). This is usually a bug in the caller; report it with the request id.';
    case 'NoSuchJob':
      if (api === 'UpdateJobStatus' || api === 'UpdateJobPriority')
        return 'COS says the job does not exist or has already finished, so it can no longer be changed. Check the job id and region, and whether the job has completed.';
      return 'COS has no job with this id in this region. Check the job id and the region; ListJobs only covers jobs created in the last 90 days.';
    case 'AccessDenied':
      if (/request has expired/i.test(message))
        return "COS says the request signature has expired. The machine's clock is probably wrong; cosjob corrects for skew once using the server's Date header. Synchronise the clock (NTP) if this persists.";
      return 'COS denied access. The CAM key needs cos:ListJobs, cos:DescribeJob and cos:UpdateJobStatus on this account, and COS_APPID and COS_UIN must belong to the same account.';
    case 'SignatureDoesNotMatch':
      return `COS computed a different request signature. The secret key is probably wrong or has stray characters. ${CHECK_KEY}`;
    case 'InvalidAccessKeyId':
      return `COS does not know this SecretId. It may be mistyped, deleted or disabled. ${CHECK_KEY}`;
    case 'RequestTimeTooSkewed':
      return "The machine's clock differs too much from COS's clock. cosjob corrects for skew once using the server's Date header; synchronise the clock (NTP) if this persists.";
    case 'ExpiredToken':
      return 'The temporary credentials (COS_SECURITY_TOKEN) have expired. Fetch new temporary keys from STS and restart cosjob with them.';
    case 'SlowDown':
      return 'COS is throttling requests. Reads are retried automatically with backoff; wait a moment and try again.';
    case 'ServiceUnavailable':
      return 'COS is temporarily unable to serve the request. Reads are retried automatically; try again in a minute. If it persists, check the Tencent Cloud status page.';
    case 'InternalError':
      return 'COS had an internal error. Reads are retried automatically; a status change is checked with DescribeJob before anything is repeated. Try again; if it persists, contact Tencent Cloud support with the request id.';
    case 'MalformedXML':
      return 'COS could not read the XML that was sent (manifest, operation or report settings). Check the job definition.';
    case 'TooManyJobs':
      return 'The account has reached its COS batch job quota. Wait for running jobs to finish or ask Tencent Cloud to raise the quota.';
    case 'RequestTimeout':
      return 'COS timed out waiting for the request to arrive. This is usually a slow network; try again.';
    case 'MethodNotAllowed':
    case 'NotImplemented':
      return 'COS does not support this request. This is a bug in cosjob; report it with the request id.';
    case 'NetworkError':
      return 'cosjob could not talk to COS (connection refused, reset or name lookup failed). Check network access to the cos-control endpoint, or COS_ENDPOINT if set.';
    case 'Timeout':
      return 'COS did not answer in time. Reads are retried automatically; for a status change cosjob checks the job before anything is repeated. Check the network or try again later.';
    case 'InvalidResponse':
      return httpStatus !== undefined && httpStatus >= 500
        ? 'Something between cosjob and COS (a proxy or gateway) answered with an error page instead of COS XML. This is usually temporary; try again later.'
        : 'The answer did not look like a COS response (not XML, cut short, or unexpected). Check COS_ENDPOINT and any proxy between cosjob and COS.';
    case 'TooManyPages':
      return 'Listing jobs returned more pages than cosjob allows, which suggests COS keeps returning new page tokens. Filter by status to list fewer jobs.';
    default:
      return 'COS returned an error code cosjob does not know. See the message, and contact Tencent Cloud support with the request id if it is unclear.';
  }
}
