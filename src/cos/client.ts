/**
 * The COS Batch Operations job client over undici: one instance per region, implementing the CosJobsApi
 * port. Every attempt is signed afresh; reads retry with backoff; state changes are never repeated
 * blindly but reconciled by reading the job back.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, Pool } from 'undici';
import { type Clock, systemClock } from '../clock.js';
import type { CosConfig } from '../config.js';
import { type Logger, registerSecret, silentLogger } from '../logger.js';
import { type CosApiName, CosError, type CosErrorInit, CosValidationError } from './errors.js';
import type {
  CosJobsApi,
  CreateJobInput,
  Job,
  JobStatus,
  JobSummary,
  ListAllJobsOptions,
  ListJobsOptions,
  ListJobsPage,
  RequestedJobStatus,
  StatusUpdateOutcome,
  UpdateJobStatusResult,
} from './model.js';
import { statusUpdateTookEffect } from './model.js';
import { cosAuthorization, encodePath, encodeQuery } from './signing.js';
import {
  validateJobId,
  validateJobStatusFilter,
  validateMaxResults,
  validateNextToken,
  validatePriority,
  validateRegion,
  validateRequestedJobStatus,
  validateStatusUpdateReason,
} from './validation.js';
import {
  buildCreateJobRequest,
  headerValue,
  MAX_RESPONSE_BYTES,
  parseCosError,
  parseCreateJob,
  parseDescribeJob,
  parseListJobs,
  parseUpdateJobPriority,
  parseUpdateJobStatus,
  type ResponseHeaders,
  readLimitedText,
  responseTooLarge,
  type UpdateJobPriorityResult,
} from './xml.js';

export interface CosClientTimeouts {
  /** TCP/TLS connect. Default 3000. */
  connectMs?: number;
  /** Until the response headers are complete. Default 5000. */
  headersMs?: number;
  /** Idle time between body chunks. Default 5000. */
  bodyMs?: number;
  /** Whole call including retries and backoff. Default 10000. */
  deadlineMs?: number;
}

export interface CosRetryOptions {
  /** Attempts per read (ListJobs, DescribeJob), first one included. Default 4. */
  maxAttempts?: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. Default 200. */
  baseDelayMs?: number;
  /** Default 3000. */
  maxDelayMs?: number;
}

export interface CosClientOptions {
  region: string;
  appId: string;
  uin: string;
  credentials: { secretId: string; secretKey: string; securityToken?: string };
  /** Connect to this origin (emulator, tests) while sending and signing the real COS host name. */
  endpoint?: string;
  timeouts?: CosClientTimeouts;
  retry?: CosRetryOptions;
  clock?: Clock;
  logger?: Logger;
  /** Shared with other clients when given; the client then never closes it. */
  dispatcher?: Dispatcher;
  /** Source of jitter, injectable for deterministic tests. */
  random?: () => number;
  /** listAllJobs refuses to fetch more pages than this (guards against a server that never ends). Default 1000. */
  maxPages?: number;
  /** Connections of the client's own pool. Default 16. */
  connections?: number;
  /** Told about every HTTP attempt (retries and skew corrections included): metrics, doctor. */
  onAttempt?: (attempt: CosAttempt) => void;
}

/** One HTTP exchange with COS, as the client saw it. */
export interface CosAttempt {
  api: CosApiName;
  region: string;
  /** The HTTP status, when an answer arrived. */
  httpStatus?: number;
  /** The client's code when no answer arrived (NetworkError, Timeout…). */
  failure?: string;
  durationSeconds: number;
  /** The server's Date header, when it sent one (clock skew checks). */
  serverDate?: string;
}

export const DEFAULT_TIMEOUTS: Required<CosClientTimeouts> = {
  connectMs: 3000,
  headersMs: 5000,
  bodyMs: 5000,
  deadlineMs: 10_000,
};
export const DEFAULT_RETRY: Required<CosRetryOptions> = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 3000,
};
const DEFAULT_MAX_PAGES = 1000;
const DEFAULT_PAGE_SIZE = 1000;
/** The signature is valid from a minute before "now" (small skews) to ten minutes after. */
const KEY_TIME_BEFORE_SECONDS = 60;
const KEY_TIME_AFTER_SECONDS = 600;

export function cosControlHost(uin: string, region: string): string {
  return `${uin}.cos-control.${region}.myqcloud.com`;
}

/** A keep-alive pool with the client's timeouts, for sharing between clients of one origin. */
export function createCosPool(origin: string, timeouts: CosClientTimeouts = {}, connections = 16): Pool {
  const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
  return new Pool(origin, {
    connections,
    connect: { timeout: t.connectMs },
    headersTimeout: t.headersMs,
    bodyTimeout: t.bodyMs,
    keepAliveTimeout: 4000,
  });
}

export type { ListAllJobsOptions };
export { statusUpdateTookEffect };

interface RequestSpec {
  api: CosApiName;
  method: 'GET' | 'POST';
  /** Raw path; JobIds are validated, so it needs no escaping beyond encodePath. */
  path: string;
  query?: Readonly<Record<string, string>>;
  body?: string;
}

interface CosResponse {
  status: number;
  headers: ResponseHeaders;
  body: string;
  requestId: string | undefined;
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

function describeThrown(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Same error, with more context and the cause chain kept. */
function rewrap(error: CosError, changes: Partial<CosErrorInit>): CosError {
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
function isAmbiguous(error: CosError): boolean {
  if (!error.mayHaveReachedServer) return false;
  if (error.code === 'NetworkError' || error.code === 'Timeout' || error.code === 'InvalidResponse')
    return true;
  return error.httpStatus !== undefined && error.httpStatus >= 500;
}

// Module-private: clients built by createCosClients release their shared pool through this.
const sharedPoolRelease = new WeakMap<CosJobsClient, () => Promise<void>>();

export class CosJobsClient implements CosJobsApi {
  readonly region: string;
  /** The COS host name sent and signed, e.g. `100000000001.cos-control.ap-guangzhou.myqcloud.com`. */
  readonly host: string;
  /** Where connections go: the real host, or the `endpoint` override. */
  readonly origin: string;

  private readonly appId: string;
  private readonly credentials: { secretId: string; secretKey: string; securityToken?: string };
  private readonly timeouts: Required<CosClientTimeouts>;
  private readonly retry: Required<CosRetryOptions>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly onAttempt: ((attempt: CosAttempt) => void) | undefined;
  private readonly maxPages: number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private clockOffsetMs = 0;
  private closed = false;

  constructor(options: CosClientOptions) {
    this.region = validateRegion(options.region);
    if (!/^\d{1,20}$/.test(options.uin ?? '')) {
      throw new CosValidationError(
        'uin',
        'The account UIN must be digits only, e.g. 100000000001 (COS_UIN).',
      );
    }
    if (!/^\d{1,64}$/.test(options.appId ?? '')) {
      throw new CosValidationError('appId', 'The APPID must be digits only, e.g. 1250000000 (COS_APPID).');
    }
    const { secretId, secretKey, securityToken } = options.credentials ?? {};
    if (typeof secretId !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(secretId)) {
      throw new CosValidationError(
        'secretId',
        'The SecretId is missing or has spaces or control characters.',
      );
    }
    if (typeof secretKey !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(secretKey)) {
      throw new CosValidationError(
        'secretKey',
        'The SecretKey is missing or has spaces or control characters.',
      );
    }
    if (securityToken !== undefined && !/^[\x21-\x7e]{1,8192}$/.test(securityToken)) {
      throw new CosValidationError('securityToken', 'The security token has spaces or control characters.');
    }
    registerSecret(secretKey);
    registerSecret(securityToken);
    this.credentials = { secretId, secretKey, ...(securityToken === undefined ? {} : { securityToken }) };
    this.appId = options.appId;
    this.host = cosControlHost(options.uin, this.region);
    this.origin = options.endpoint === undefined ? `https://${this.host}` : endpointOrigin(options.endpoint);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...definedOnly(options.timeouts) };
    this.retry = { ...DEFAULT_RETRY, ...definedOnly(options.retry) };
    if (!Number.isInteger(this.retry.maxAttempts) || this.retry.maxAttempts < 1) {
      throw new CosValidationError(
        'retry.maxAttempts',
        'retry.maxAttempts must be a whole number, 1 or more.',
      );
    }
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.onAttempt = options.onAttempt;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? createCosPool(this.origin, this.timeouts, options.connections);
  }

  /** Milliseconds COS's clock is ahead of ours, learnt from a skew error's Date header. */
  get clockOffset(): number {
    return this.clockOffsetMs;
  }

  async listJobs(options: ListJobsOptions = {}): Promise<ListJobsPage> {
    const query: Record<string, string> = {};
    if (options.status !== undefined) query.jobStatuses = validateJobStatusFilter(options.status);
    if (options.maxResults !== undefined) query.maxResults = String(validateMaxResults(options.maxResults));
    if (options.nextToken !== undefined) query.nextToken = validateNextToken(options.nextToken);
    return this.execute({ api: 'ListJobs', method: 'GET', path: '/jobs', query }, true, (response) =>
      parseListJobs(response.body),
    );
  }

  /**
   * Every job, page after page. Stops on an empty page, a short page, an empty NextToken or one seen
   * before (the end condition is UNCONFIRMED, so all four are honoured); a job listed twice is yielded
   * once; more than `maxPages` pages is an error rather than an endless loop. A member that cannot be
   * read is skipped with a warning and reported to `onBadMember`; it still counts towards the page size.
   */
  async *listAllJobs(options: ListAllJobsOptions = {}): AsyncGenerator<JobSummary, void, undefined> {
    const pageSize =
      options.maxResults === undefined ? DEFAULT_PAGE_SIZE : validateMaxResults(options.maxResults);
    const status = options.status === undefined ? undefined : validateJobStatusFilter(options.status);
    const maxPages = options.maxPages ?? this.maxPages;
    const seenTokens = new Set<string>();
    const seenJobs = new Set<string>();
    let nextToken: string | undefined;
    for (let page = 1; ; page++) {
      if (page > maxPages) {
        throw new CosError({
          code: 'TooManyPages',
          api: 'ListJobs',
          message: `Listing jobs in ${this.region} stopped after ${maxPages} pages of ${pageSize}.`,
          retryable: false,
        });
      }
      const result = await this.listJobs({
        maxResults: pageSize,
        ...(status === undefined ? {} : { status }),
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      for (const bad of result.badMembers ?? []) {
        this.logger.warn('ListJobs listed a job cosjob cannot read; skipping it', {
          region: this.region,
          page,
          index: bad.index,
          jobId: bad.jobId,
          problem: bad.problem,
        });
        options.onBadMember?.({ ...bad, region: this.region, page });
      }
      for (const job of result.jobs) {
        if (seenJobs.has(job.id)) continue;
        seenJobs.add(job.id);
        yield job;
      }
      const token = result.nextToken;
      // Skipped members were still listed: counting them keeps a full page from looking like the last.
      const listed = result.jobs.length + (result.badMembers?.length ?? 0);
      if (listed === 0 || listed < pageSize || token === undefined) return;
      if (seenTokens.has(token)) {
        this.logger.warn('ListJobs returned a NextToken it returned before; stopping', {
          region: this.region,
          page,
        });
        return;
      }
      try {
        validateNextToken(token);
      } catch (error) {
        throw new CosError({
          code: 'InvalidResponse',
          api: 'ListJobs',
          message: `ListJobs returned a NextToken that cannot be sent back: ${describeThrown(error)}`,
          cause: error,
        });
      }
      seenTokens.add(token);
      nextToken = token;
    }
  }

  async describeJob(jobId: string): Promise<Job> {
    const id = validateJobId(jobId);
    return this.execute({ api: 'DescribeJob', method: 'GET', path: `/jobs/${id}` }, true, (response) =>
      parseDescribeJob(response.body),
    );
  }

  /**
   * Approve (Ready) or cancel (Cancelled). Bad input throws CosValidationError before anything is
   * sent; everything after that is an outcome:
   * - applied: COS answered, or the call failed ambiguously and the job read back shows the change;
   * - not_applied: COS refused (4xx), the request never left (connection refused), or COS answered a
   *   complete 5xx and the job read back shows the change did not happen (see statusUpdateTookEffect);
   * - unknown: the call failed ambiguously and the job could not be read back, or shows a status cosjob
   *   cannot interpret, or the failure left the request possibly still in flight (timeout, reset,
   *   unreadable 2xx) while the job does not show the change yet: it may still take effect, so the
   *   caller must check again later rather than treat it as refused.
   * The POST is never repeated, except once after a clock-skew refusal (COS rejected it unapplied).
   */
  async updateJobStatus(
    jobId: string,
    requested: RequestedJobStatus,
    reason?: string,
  ): Promise<StatusUpdateOutcome> {
    const id = validateJobId(jobId);
    const status = validateRequestedJobStatus(requested);
    const statusUpdateReason = validateStatusUpdateReason(reason);
    const query: Record<string, string> = { requestedJobStatus: status };
    if (statusUpdateReason !== undefined) query.statusUpdateReason = statusUpdateReason;
    let failure: CosError;
    try {
      const result = await this.execute(
        { api: 'UpdateJobStatus', method: 'POST', path: `/jobs/${id}/status`, query },
        false,
        (response): UpdateJobStatusResult => ({
          ...parseUpdateJobStatus(response.body),
          ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
        }),
      );
      return { kind: 'applied', result, reconciled: false };
    } catch (error) {
      if (!(error instanceof CosError)) throw error;
      failure = error;
    }
    if (!isAmbiguous(failure)) {
      // A refusal because of the job's state: say which state, so the caller can explain it.
      const observedStatus = failure.code === 'InvalidRequest' ? await this.peekStatus(id) : undefined;
      return {
        kind: 'not_applied',
        error: failure,
        ...(observedStatus === undefined ? {} : { observedStatus }),
      };
    }
    return this.reconcileStatusUpdate(id, status, failure);
  }

  async createJob(input: CreateJobInput): Promise<string> {
    const body = buildCreateJobRequest(input);
    return this.execute({ api: 'CreateJob', method: 'POST', path: '/jobs', body }, false, (response) =>
      parseCreateJob(response.body),
    );
  }

  async updateJobPriority(jobId: string, priority: number): Promise<UpdateJobPriorityResult> {
    const id = validateJobId(jobId);
    const query = { priority: String(validatePriority(priority)) };
    return this.execute(
      { api: 'UpdateJobPriority', method: 'POST', path: `/jobs/${id}/priority`, query },
      false,
      (response) => parseUpdateJobPriority(response.body),
    );
  }

  /** Closes the client's own pool, or releases its share of a pool from createCosClients. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDispatcher) {
      await this.dispatcher.close();
      return;
    }
    await sharedPoolRelease.get(this)?.();
  }

  // ---- Reconciliation ----

  private async reconcileStatusUpdate(
    jobId: string,
    requested: RequestedJobStatus,
    failure: CosError,
  ): Promise<StatusUpdateOutcome> {
    this.logger.warn('UpdateJobStatus failed ambiguously; reading the job back', {
      region: this.region,
      jobId,
      requested,
      code: failure.code,
      httpStatus: failure.httpStatus,
      requestId: failure.requestId,
    });
    let job: Job;
    try {
      job = await this.describeJob(jobId);
    } catch (describeError) {
      const detail =
        describeError instanceof CosError ? describeError.summary : describeThrown(describeError);
      return {
        kind: 'unknown',
        error: rewrap(failure, {
          message: `${failure.message} (reading the job back also failed: ${detail})`,
          cause: describeError,
        }),
      };
    }
    const verdict = statusUpdateTookEffect(requested, job.status);
    this.logger.info('UpdateJobStatus reconciled', {
      region: this.region,
      jobId,
      requested,
      observedStatus: job.status,
      verdict,
      completeAnswer: failure.completeAnswer,
    });
    if (verdict === 'applied') {
      return {
        kind: 'applied',
        reconciled: true,
        result: {
          jobId: job.id,
          status: job.status,
          ...(job.statusUpdateReason === undefined ? {} : { statusUpdateReason: job.statusUpdateReason }),
        },
      };
    }
    if (verdict === 'not_applied') {
      if (failure.completeAnswer) return { kind: 'not_applied', error: failure, observedStatus: job.status };
      // We stopped waiting, COS may not have: the request can still be queued or running there and apply
      // after this read-back. Only a finished answer proves it will not.
      return {
        kind: 'unknown',
        observedStatus: job.status,
        error: rewrap(failure, {
          message: `${failure.message} (the job still shows status ${job.status}, but the request may still reach COS and take effect; check the job again before repeating it)`,
        }),
      };
    }
    return {
      kind: 'unknown',
      error: rewrap(failure, {
        message: `${failure.message} (the job now shows status ${job.status}, which cosjob cannot interpret)`,
      }),
      observedStatus: job.status,
    };
  }

  private async peekStatus(jobId: string): Promise<JobStatus | undefined> {
    try {
      return (await this.describeJob(jobId)).status;
    } catch {
      return undefined;
    }
  }

  // ---- Transport ----

  private now(): number {
    return this.clock.now() + this.clockOffsetMs;
  }

  /**
   * Runs one API call: signs and sends, retries reads on transient failures with full-jitter backoff,
   * corrects the clock once on a skew refusal (any API: the request was rejected before any effect),
   * and parses a 2xx answer. Always rejects with a CosError.
   */
  private async execute<T>(
    spec: RequestSpec,
    retryable: boolean,
    parse: (response: CosResponse) => T,
  ): Promise<T> {
    if (this.closed) {
      throw new CosError({
        code: 'NetworkError',
        api: spec.api,
        message: 'The COS client has been closed.',
        retryable: false,
        mayHaveReachedServer: false,
      });
    }
    const signal = AbortSignal.timeout(this.timeouts.deadlineMs);
    let skewCorrected = false;
    for (let attempt = 1; ; attempt++) {
      let error: CosError;
      let serverDate: string | undefined;
      try {
        const response = await this.observedSend(spec, signal);
        serverDate = headerValue(response.headers, 'date');
        if (response.status >= 200 && response.status < 300) {
          try {
            return parse(response);
          } catch (parseError) {
            if (!(parseError instanceof CosError)) throw parseError;
            throw rewrap(parseError, {
              api: spec.api,
              httpStatus: response.status,
              ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
              cause: parseError,
            });
          }
        }
        throw parseCosError(response.body, response.status, response.headers, spec.api);
      } catch (caught) {
        if (!(caught instanceof CosError)) throw caught;
        error = caught;
      }

      if (error.isClockSkew && !skewCorrected && this.correctClock(serverDate, error)) {
        skewCorrected = true;
        attempt--;
        continue;
      }
      if (!retryable || !error.retryable || attempt >= this.retry.maxAttempts || signal.aborted) throw error;
      const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.floor(this.random() * ceiling);
      this.logger.warn('COS read failed; retrying', {
        api: spec.api,
        region: this.region,
        attempt,
        code: error.code,
        httpStatus: error.httpStatus,
        requestId: error.requestId,
        delayMs,
      });
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        throw this.deadlineError(spec.api, error);
      }
    }
  }

  private correctClock(serverDate: string | undefined, error: CosError): boolean {
    const serverMs = serverDate === undefined ? Number.NaN : Date.parse(serverDate);
    if (Number.isNaN(serverMs)) {
      this.logger.warn('COS reports clock skew but sent no usable Date header; cannot correct', {
        region: this.region,
        code: error.code,
        requestId: error.requestId,
      });
      return false;
    }
    this.clockOffsetMs = serverMs - this.clock.now();
    this.logger.warn('Corrected clock skew from the COS Date header', {
      region: this.region,
      offsetMs: this.clockOffsetMs,
      code: error.code,
    });
    return true;
  }

  private deadlineError(api: CosApiName, last?: CosError): CosError {
    return new CosError({
      code: 'Timeout',
      api,
      message: `No complete answer from COS within the ${this.timeouts.deadlineMs} ms deadline${
        last === undefined ? '' : ` (last failure: ${last.summary})`
      }.`,
      ...(last?.httpStatus === undefined ? {} : { httpStatus: last.httpStatus }),
      ...(last?.requestId === undefined ? {} : { requestId: last.requestId }),
      ...(last === undefined ? {} : { cause: last }),
    });
  }

  private signedRequest(spec: RequestSpec): { path: string; headers: Record<string, string> } {
    const query = spec.query ?? {};
    const signed: Record<string, string> = { host: this.host, 'x-cos-appid': this.appId };
    if (this.credentials.securityToken !== undefined) {
      signed['x-cos-security-token'] = this.credentials.securityToken;
    }
    if (spec.body !== undefined) {
      signed['content-type'] = 'application/xml';
      signed['content-md5'] = createHash('md5').update(spec.body, 'utf8').digest('base64');
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    const authorization = cosAuthorization(
      { method: spec.method, path: spec.path, query, headers: signed },
      this.credentials,
      { start: nowSeconds - KEY_TIME_BEFORE_SECONDS, end: nowSeconds + KEY_TIME_AFTER_SECONDS },
    );
    // content-length is not signed: undici writes it itself (0 for a bodiless POST).
    return { path: encodePath(spec.path) + encodeQuery(query), headers: { ...signed, authorization } };
  }

  private async observedSend(spec: RequestSpec, signal: AbortSignal): Promise<CosResponse> {
    if (this.onAttempt === undefined) return this.send(spec, signal);
    const started = performance.now();
    const report = (outcome: { httpStatus?: number; failure?: string; serverDate?: string }) => {
      try {
        this.onAttempt?.({
          api: spec.api,
          region: this.region,
          durationSeconds: (performance.now() - started) / 1000,
          ...outcome,
        });
      } catch {
        // An observer must never change what a COS call returns.
      }
    };
    try {
      const response = await this.send(spec, signal);
      const serverDate = headerValue(response.headers, 'date');
      report({ httpStatus: response.status, ...(serverDate === undefined ? {} : { serverDate }) });
      return response;
    } catch (error) {
      const e = error as { httpStatus?: unknown; code?: unknown };
      report(
        typeof e.httpStatus === 'number'
          ? { httpStatus: e.httpStatus }
          : { failure: typeof e.code === 'string' ? e.code : 'NetworkError' },
      );
      throw error;
    }
  }

  private async send(spec: RequestSpec, signal: AbortSignal): Promise<CosResponse> {
    const { path, headers } = this.signedRequest(spec);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: this.origin,
        path,
        method: spec.method,
        headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        signal,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
    } catch (error) {
      throw this.transportError(spec.api, error, signal);
    }
    const responseHeaders = response.headers as ResponseHeaders;
    const requestId = headerValue(responseHeaders, 'x-cos-request-id');
    this.logger.debug('COS response', {
      api: spec.api,
      region: this.region,
      status: response.statusCode,
      requestId,
    });
    const declaredLength = Number(headerValue(responseHeaders, 'content-length'));
    let body: string;
    try {
      if (declaredLength > MAX_RESPONSE_BYTES) {
        response.body.destroy();
        throw responseTooLarge(
          `COS announced a ${declaredLength}-byte body; cosjob refuses bodies over ${MAX_RESPONSE_BYTES} bytes.`,
        );
      }
      body = await readLimitedText(response.body);
    } catch (error) {
      if (error instanceof CosError) {
        throw rewrap(error, {
          api: spec.api,
          httpStatus: response.statusCode,
          ...(requestId === undefined ? {} : { requestId }),
          cause: error,
        });
      }
      throw this.transportError(spec.api, error, signal, response.statusCode);
    }
    return { status: response.statusCode, headers: responseHeaders, body, requestId };
  }

  private transportError(
    api: CosApiName,
    error: unknown,
    signal: AbortSignal,
    httpStatus?: number,
  ): CosError {
    const status = httpStatus === undefined ? {} : { httpStatus };
    if (signal.aborted) return rewrap(this.deadlineError(api), { ...status, cause: error });
    const code = errorCode(error);
    const notSent = code !== undefined && NOT_SENT_CODES.has(code);
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return new CosError({
          code: 'Timeout',
          api,
          message: `Could not connect to ${this.origin} within ${this.timeouts.connectMs} ms.`,
          mayHaveReachedServer: false,
          cause: error,
        });
      case 'UND_ERR_HEADERS_TIMEOUT':
        return new CosError({
          code: 'Timeout',
          api,
          message: `COS sent no response headers within ${this.timeouts.headersMs} ms.`,
          cause: error,
        });
      case 'UND_ERR_BODY_TIMEOUT':
        return new CosError({
          code: 'Timeout',
          api,
          ...status,
          message: `The COS response body stalled for more than ${this.timeouts.bodyMs} ms.`,
          cause: error,
        });
      default:
        return new CosError({
          code: 'NetworkError',
          api,
          ...status,
          message: `${notSent ? 'Could not connect to' : 'The connection failed while talking to'} ${this.origin}: ${
            code ?? 'error'
          } (${describeThrown(error)}).`,
          mayHaveReachedServer: !notSent,
          cause: error,
        });
    }
  }
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function endpointOrigin(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CosValidationError('endpoint', `The endpoint must be a URL such as http://127.0.0.1:9800.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CosValidationError('endpoint', 'The endpoint must start with http:// or https://.');
  }
  return url.origin;
}

export type CosClientOverrides = Partial<
  Omit<CosClientOptions, 'region' | 'appId' | 'uin' | 'credentials' | 'endpoint'>
>;

/**
 * One client per configured region. Regions that connect to the same origin (all of them when
 * COS_ENDPOINT points at an emulator) share one keep-alive Pool, closed when the last client closes.
 */
export function createCosClients(
  config: CosConfig,
  overrides: CosClientOverrides = {},
): Map<string, CosJobsClient> {
  const pools = new Map<string, { pool: Pool; users: number }>();
  const clients = new Map<string, CosJobsClient>();
  for (const region of config.regions) {
    const origin =
      config.endpoint === undefined
        ? `https://${cosControlHost(config.uin, validateRegion(region))}`
        : endpointOrigin(config.endpoint);
    let shared = pools.get(origin);
    if (overrides.dispatcher === undefined && shared === undefined) {
      shared = { pool: createCosPool(origin, overrides.timeouts, overrides.connections), users: 0 };
      pools.set(origin, shared);
    }
    const client = new CosJobsClient({
      ...overrides,
      region,
      appId: config.appId,
      uin: config.uin,
      credentials: {
        secretId: config.secretId,
        secretKey: config.secretKey,
        ...(config.securityToken === undefined ? {} : { securityToken: config.securityToken }),
      },
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      dispatcher: overrides.dispatcher ?? shared!.pool,
    });
    if (overrides.dispatcher === undefined && shared !== undefined) {
      const pool = shared;
      pool.users++;
      sharedPoolRelease.set(client, async () => {
        pool.users--;
        if (pool.users === 0) await pool.pool.close();
      });
    }
    clients.set(region, client);
  }
  return clients;
}

export async function closeCosClients(
  clients: Iterable<CosJobsClient> | Map<string, CosJobsClient>,
): Promise<void> {
  const list = clients instanceof Map ? [...clients.values()] : [...clients];
  await Promise.all(list.map((client) => client.close()));
}
