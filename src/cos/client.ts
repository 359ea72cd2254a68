/**
 * The COS Batch Operations job client over undici: one instance per region, implementing the CosJobsApi
 * port. Every attempt is signed afresh; reads retry with backoff; state changes are never repeated
 * blindly but reconciled by reading the job back.
 *
 * Every call goes down one path in this file: `request()` (deadline, retries, skew correction, parsing)
 * → `send()` (undici, bounded body) → `signedRequest()` (headers and signature). Around it: backoff in
 * retry.ts, COS's clock in clock-skew.ts, the meaning of failures in transport-errors.ts, listing every
 * page in pagination.ts and the read-back after an ambiguous UpdateJobStatus in read-back.ts.
 */
import { createHash } from 'node:crypto';
import { type Dispatcher, Pool } from 'undici';
import { type Clock, systemClock } from '../clock.js';
import type { CosConfig } from '../config/index.js';
import { type Logger, registerSecret, silentLogger } from '../logger.js';
import { checkedJob, checkedListJobsPage, checkedUpdateJobStatusResult } from './answer-checks.js';
import { ClockSkew } from './clock-skew.js';
import { APPID_PATTERN, isWellFormedCredential, UIN_PATTERN } from './credentials.js';
import { Deadline } from './deadline.js';
import { type CosApiName, CosError, CosValidationError } from './errors.js';
import type {
  CosJobsApi,
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
import { listAllJobs } from './pagination.js';
import { readBackStatusUpdate } from './read-back.js';
import { backoffDelayMs, type CosRetryOptions, DEFAULT_RETRY } from './retry.js';
import { cosAuthorization, encodePath, encodeQuery } from './signing.js';
import {
  deadlineError,
  isAmbiguous,
  rewrap,
  type TransportTarget,
  transportError,
} from './transport-errors.js';
import {
  validateJobId,
  validateJobStatusFilter,
  validateMaxResults,
  validateNextToken,
  validateRegion,
  validateRequestedJobStatus,
  validateStatusUpdateReason,
} from './validation.js';
import { parseDescribeJob } from './xml/describe-job.js';
import { parseCosError } from './xml/error-response.js';
import { parseListJobsYielding } from './xml/list-jobs.js';
import {
  headerValue,
  MAX_RESPONSE_BYTES,
  type ResponseHeaders,
  readDeclaredBytes,
  readLimitedText,
  responseTooLarge,
} from './xml/response-body.js';
import { parseUpdateJobStatus } from './xml/update-job-status.js';

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
const DEFAULT_MAX_PAGES = 1000;
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

/** One COS API request, before signing. */
export interface CosRequest {
  api: CosApiName;
  method: 'GET' | 'POST';
  /** Raw path; JobIds are validated, so it needs no escaping beyond encodePath. */
  path: string;
  query?: Readonly<Record<string, string>>;
  /** An XML body, sent with its signed content-type and content-md5. */
  body?: string;
}

/** A complete answer, body read in full (and bounded). */
export interface CosResponse {
  status: number;
  headers: ResponseHeaders;
  /** The body as text (UTF-8). */
  readonly body: string;
  /** The body's bytes, when it was read whole by its declared length (a parser may compare them first). */
  readonly bytes?: Buffer;
  requestId: string | undefined;
}

/**
 * An answer whose text is decoded from its bytes the first time it is asked for: an unchanged ListJobs
 * page is recognised by its bytes (xml/list-jobs.ts), and decoding its 600 KB was the largest allocation
 * of a quiet poll cycle (a 1.3 MB two-byte string, as job descriptions are not ASCII).
 */
class BytesResponse implements CosResponse {
  #text: string | undefined;

  constructor(
    readonly status: number,
    readonly headers: ResponseHeaders,
    readonly bytes: Buffer,
    readonly requestId: string | undefined,
  ) {}

  get body(): string {
    this.#text ??= this.bytes.toString('utf8');
    return this.#text;
  }
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
  private readonly skew: ClockSkew;
  /** Origin and limits, for the messages of transport failures. */
  private readonly target: TransportTarget;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly onAttempt: ((attempt: CosAttempt) => void) | undefined;
  private readonly maxPages: number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private closed = false;

  constructor(options: CosClientOptions) {
    this.region = validateRegion(options.region);
    if (!UIN_PATTERN.test(options.uin ?? '')) {
      throw new CosValidationError(
        'uin',
        'The account UIN must be digits only, e.g. 100000000001 (COS_UIN).',
      );
    }
    if (!APPID_PATTERN.test(options.appId ?? '')) {
      throw new CosValidationError('appId', 'The APPID must be digits only, e.g. 1250000000 (COS_APPID).');
    }
    const { secretId, secretKey, securityToken } = options.credentials ?? {};
    if (typeof secretId !== 'string' || !isWellFormedCredential('secretId', secretId)) {
      throw new CosValidationError(
        'secretId',
        'The SecretId is missing or has spaces or control characters.',
      );
    }
    if (typeof secretKey !== 'string' || !isWellFormedCredential('secretKey', secretKey)) {
      throw new CosValidationError(
        'secretKey',
        'The SecretKey is missing or has spaces or control characters.',
      );
    }
    if (securityToken !== undefined && !isWellFormedCredential('securityToken', securityToken)) {
      throw new CosValidationError('securityToken', 'The security token has spaces or control characters.');
    }
    registerSecret(secretKey);
    registerSecret(securityToken);
    this.credentials = { secretId, secretKey, ...(securityToken === undefined ? {} : { securityToken }) };
    this.appId = options.appId;
    this.host = cosControlHost(options.uin, this.region);
    this.origin = options.endpoint === undefined ? `https://${this.host}` : endpointOrigin(options.endpoint);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...definedOnly(options.timeouts) };
    this.target = { origin: this.origin, timeouts: this.timeouts };
    this.retry = { ...DEFAULT_RETRY, ...definedOnly(options.retry) };
    if (!Number.isInteger(this.retry.maxAttempts) || this.retry.maxAttempts < 1) {
      throw new CosValidationError(
        'retry.maxAttempts',
        'retry.maxAttempts must be a whole number, 1 or more.',
      );
    }
    this.logger = options.logger ?? silentLogger;
    this.skew = new ClockSkew(options.clock ?? systemClock, this.logger, this.region);
    this.random = options.random ?? Math.random;
    this.onAttempt = options.onAttempt;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? createCosPool(this.origin, this.timeouts, options.connections);
  }

  /** Milliseconds COS's clock is ahead of ours, learnt from a skew error's Date header. */
  get clockOffset(): number {
    return this.skew.offsetMs;
  }

  async listJobs(options: ListJobsOptions = {}): Promise<ListJobsPage> {
    const query: Record<string, string> = {};
    if (options.status !== undefined) query.jobStatuses = validateJobStatusFilter(options.status);
    if (options.maxResults !== undefined) query.maxResults = String(validateMaxResults(options.maxResults));
    if (options.nextToken !== undefined) query.nextToken = validateNextToken(options.nextToken);
    return this.request({ api: 'ListJobs', method: 'GET', path: '/jobs', query }, true, async (response) =>
      checkedListJobsPage(await parseListJobsYielding(response)),
    );
  }

  /** See pagination.ts: every job, page after page, each yielded once. */
  listAllJobs(options: ListAllJobsOptions = {}): AsyncGenerator<JobSummary, void, undefined> {
    return listAllJobs(this, options, { maxPages: this.maxPages, logger: this.logger });
  }

  async describeJob(jobId: string): Promise<Job> {
    const id = validateJobId(jobId);
    return this.request({ api: 'DescribeJob', method: 'GET', path: `/jobs/${id}` }, true, (response) =>
      checkedJob(parseDescribeJob(response.body), { api: 'DescribeJob', expectedJobId: id }),
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
    // An empty reason is omitted rather than sent as `statusUpdateReason=` (the Go SDK omits it too).
    if (statusUpdateReason) query.statusUpdateReason = statusUpdateReason;
    let failure: CosError;
    try {
      const result = await this.request(
        { api: 'UpdateJobStatus', method: 'POST', path: `/jobs/${id}/status`, query },
        false,
        // A 2xx answer that fails its checks is InvalidResponse, which counts as ambiguous: the job is read
        // back (with a checked DescribeJob) rather than an unrecordable status being reported as applied.
        (response): UpdateJobStatusResult =>
          checkedUpdateJobStatusResult(
            {
              ...parseUpdateJobStatus(response.body),
              ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
            },
            { api: 'UpdateJobStatus', expectedJobId: id },
          ),
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
    return readBackStatusUpdate(this, this.logger, id, status, failure);
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

  private async peekStatus(jobId: string): Promise<JobStatus | undefined> {
    try {
      return (await this.describeJob(jobId)).status;
    } catch {
      return undefined;
    }
  }

  // ---- Transport ----

  /**
   * Runs one API call: signs and sends, retries reads on transient failures with full-jitter backoff,
   * corrects the clock once on a skew refusal (any API: the request was rejected before any effect),
   * and parses a 2xx answer. Always rejects with a CosError. Every call the client makes goes through
   * here; it is public so that tooling calling other COS APIs (tests creating jobs) shares the same
   * signing, transport and error handling instead of a copy. `retryable`: a read, safe to repeat.
   */
  async request<T>(
    spec: CosRequest,
    retryable: boolean,
    parse: (response: CosResponse) => T | Promise<T>,
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
    const deadline = new Deadline(this.timeouts.deadlineMs);
    try {
      return await this.attempts(spec, retryable, parse, deadline);
    } finally {
      deadline.clear();
    }
  }

  /** request()'s attempts, within the call's `deadline`. */
  private async attempts<T>(
    spec: CosRequest,
    retryable: boolean,
    parse: (response: CosResponse) => T | Promise<T>,
    deadline: Deadline,
  ): Promise<T> {
    let skewCorrected = false;
    for (let attempt = 1; ; attempt++) {
      let error: CosError;
      let serverDate: string | undefined;
      try {
        const response = await this.observedSend(spec, deadline);
        serverDate = headerValue(response.headers, 'date');
        if (response.status >= 200 && response.status < 300) {
          try {
            // Awaited here, so an asynchronous parse's refusal is rewrapped like a synchronous one's.
            return await parse(response);
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

      if (error.isClockSkew && !skewCorrected && this.skew.learnFrom(serverDate, error)) {
        skewCorrected = true;
        attempt--;
        continue;
      }
      if (!retryable || !error.retryable || attempt >= this.retry.maxAttempts || deadline.aborted)
        throw error;
      const delayMs = backoffDelayMs(this.retry, attempt, this.random);
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
        await deadline.sleep(delayMs);
      } catch {
        throw deadlineError(spec.api, this.timeouts.deadlineMs, error);
      }
    }
  }

  private signedRequest(spec: CosRequest): { path: string; headers: Record<string, string> } {
    const query = spec.query ?? {};
    const headers: Record<string, string> = { host: this.host, 'x-cos-appid': this.appId };
    if (this.credentials.securityToken !== undefined) {
      headers['x-cos-security-token'] = this.credentials.securityToken;
    }
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/xml';
      headers['content-md5'] = createHash('md5').update(spec.body, 'utf8').digest('base64');
    }
    const nowSeconds = Math.floor(this.skew.now() / 1000);
    const authorization = cosAuthorization(
      { method: spec.method, path: spec.path, query, headers },
      this.credentials,
      { start: nowSeconds - KEY_TIME_BEFORE_SECONDS, end: nowSeconds + KEY_TIME_AFTER_SECONDS },
    );
    // content-length is not signed: undici writes it itself (0 for a bodiless POST). Authorization is
    // added to the same object once the others are signed.
    headers.authorization = authorization;
    return { path: encodePath(spec.path) + encodeQuery(query), headers };
  }

  /** send(), told to onAttempt when one is set (no extra async step when none is). */
  private observedSend(spec: CosRequest, deadline: Deadline): Promise<CosResponse> {
    return this.onAttempt === undefined ? this.send(spec, deadline) : this.reportedSend(spec, deadline);
  }

  private async reportedSend(spec: CosRequest, deadline: Deadline): Promise<CosResponse> {
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
      const response = await this.send(spec, deadline);
      const serverDate = headerValue(response.headers, 'date');
      report({ httpStatus: response.status, ...(serverDate === undefined ? {} : { serverDate }) });
      return response;
    } catch (error) {
      report(
        error instanceof CosError && error.httpStatus !== undefined
          ? { httpStatus: error.httpStatus }
          : { failure: error instanceof CosError ? error.code : 'NetworkError' },
      );
      throw error;
    }
  }

  private async send(spec: CosRequest, deadline: Deadline): Promise<CosResponse> {
    const { path, headers } = this.signedRequest(spec);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: this.origin,
        path,
        method: spec.method,
        headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        signal: deadline,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
    } catch (error) {
      throw transportError(this.target, spec.api, error, deadline);
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
    try {
      if (declaredLength > MAX_RESPONSE_BYTES) {
        response.body.destroy();
        throw responseTooLarge(
          `COS announced a ${declaredLength}-byte body; cosjob refuses bodies over ${MAX_RESPONSE_BYTES} bytes.`,
        );
      }
      if (Number.isSafeInteger(declaredLength) && declaredLength >= 0) {
        const bytes = await readDeclaredBytes(response.body);
        return new BytesResponse(response.statusCode, responseHeaders, bytes, requestId);
      }
      const body = await readLimitedText(response.body);
      return { status: response.statusCode, headers: responseHeaders, body, requestId };
    } catch (error) {
      if (error instanceof CosError) {
        throw rewrap(error, {
          api: spec.api,
          httpStatus: response.statusCode,
          ...(requestId === undefined ? {} : { requestId }),
          cause: error,
        });
      }
      throw transportError(this.target, spec.api, error, deadline, response.statusCode);
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
