import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../../src/clock.js';
import { isValidRegion } from '../../src/config.js';
import { isFinished, isKnownJobStatus } from '../../src/cos/model.js';
import type { Logger } from '../../src/logger.js';
import { silentLogger } from '../../src/logger.js';
import { AccountDirectory, type EmulatorAccount, resolveAccount, verifySignature } from './auth.js';
import { CosApiError, invalidArgument, invalidRequest, noSuchJob } from './errors.js';
import { type ChosenFailure, FaultInjector } from './faults.js';
import {
  renderCreateJob,
  renderDescribeJob,
  renderListJobs,
  renderUpdateJobPriority,
  renderUpdateJobStatus,
} from './render.js';
import { API_NAMES, type ApiName, parseQuery, type Route, resolveRoute } from './routes.js';
import { applySeed, type SeedJob } from './seed.js';
import { DEFAULT_LIFECYCLE, JobStore, JobStoreError, type LifecycleOptions } from './store.js';
import { parseCreateJobRequest, renderError, XML_DECLARATION } from './xml.js';

/**
 * A local COS Batch Operations endpoint: the five job APIs over real HTTP, with COS signing, errors,
 * a clock-driven job lifecycle and fault injection.
 *
 * Choices where the COS documentation is silent (cos-batch-jobs.md sections 2.3, 3.2, 12):
 * - ListJobs lists in creation order, oldest first, as the Go SDK's recorded sample does; NextToken is the
 *   page's last JobId and empty when no further matching job exists. `jobStatuses` takes one status.
 * - Ready is accepted from Suspended and Preparing only; Ready on a Ready job is InvalidRequest
 *   "status change error". Cancelled is accepted from any unfinished status and leads to Cancelling.
 * - A ConfirmationRequired job created over the API goes Preparing → Suspended.
 * - `+` in the query decodes as a space. DeleteJob (Go SDK only) answers 405.
 * - Request order: route (404/405) → faults → x-cos-appid/Host → signature → parameters → job.
 */

export type { EmulatorAccount } from './auth.js';
export type { ChosenFailure, FaultHandle, FaultKind, FaultRule } from './faults.js';
export { FaultInjector, FaultRuleError } from './faults.js';
export type { ApiName } from './routes.js';
export type { SeedJob } from './seed.js';
export { loadSeedFile, parseSeed, SeedError } from './seed.js';
export type { CreateJobOptions, EmulatedJob, LifecycleOptions, RegionScope } from './store.js';
export { DEFAULT_LIFECYCLE, JobStore, JobStoreError } from './store.js';

export interface EmulatorOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  accounts: EmulatorAccount[];
  /** Default 'ap-guangzhou'; used when Host is not <uin>.cos-control.<region>.myqcloud.com. */
  defaultRegion?: string;
  /** Default systemClock. */
  clock?: Clock;
  /** The emulator's clock runs this far ahead of `clock` (clock-skew tests). */
  clockOffsetMs?: number;
  lifecycle?: Partial<LifecycleOptions>;
  /** true: a timer runs tick() every lifecycle.tickMs; false (default): callers tick(). */
  autoAdvance?: boolean;
  seed?: SeedJob[];
  logger?: Logger;
  /** Seed of the fault injector's PRNG (default 1), so rate-based faults repeat run to run. */
  faultSeed?: number;
}

export interface HookContext {
  api: ApiName;
  region: string;
  jobId?: string;
}

export type EmulatorHook = (ctx: HookContext) => Promise<void>;

/** One UpdateJobStatus call that passed authentication, whatever its outcome. */
export interface StatusUpdateRecord {
  uin: string;
  region: string;
  jobId: string;
  /** The requestedJobStatus value as sent ('' when missing). */
  requested: string;
  reason: string | undefined;
  /** Emulator-clock milliseconds. */
  at: number;
  httpStatus: number;
  errorCode?: string;
  /** The job's status right after the call (when the job exists). */
  resultingStatus?: string;
}

/** Keeps memory bounded under benchmark load; tests never get near it. */
const MAX_STATUS_UPDATE_RECORDS = 100_000;

export class EmulatorStats {
  /** Requests routed to each API (counted before faults and authentication). */
  readonly requests: Record<ApiName, number> = {
    CreateJob: 0,
    DescribeJob: 0,
    ListJobs: 0,
    UpdateJobPriority: 0,
    UpdateJobStatus: 0,
  };
  /** Every authenticated UpdateJobStatus call, oldest first (the oldest are dropped past 100,000). */
  readonly statusUpdates: StatusUpdateRecord[] = [];
  /** Faults that fired (latency included). */
  faultsFired = 0;

  get totalRequests(): number {
    return API_NAMES.reduce((sum, api) => sum + this.requests[api], 0);
  }

  /** Zeroes the counters in place, so references held by tests stay valid. */
  reset(): void {
    for (const api of API_NAMES) this.requests[api] = 0;
    this.statusUpdates.length = 0;
    this.faultsFired = 0;
  }

  /** @internal */
  recordStatusUpdate(record: StatusUpdateRecord): void {
    if (this.statusUpdates.length >= MAX_STATUS_UPDATE_RECORDS) {
      this.statusUpdates.splice(0, MAX_STATUS_UPDATE_RECORDS / 2);
    }
    this.statusUpdates.push(record);
  }
}

export interface RunningEmulator {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  port: number;
  /** Direct, synchronous access for tests and the demo. */
  store: JobStore;
  faults: FaultInjector;
  stats: EmulatorStats;
  /**
   * Awaited after the request's effect is applied and before the response is written (only for
   * requests that passed authentication): lets a test act "between the COS call and its result".
   */
  setHook(hook: EmulatorHook | undefined): void;
  /** Rotates an account's secret key: requests signed with the old one are refused (SignatureDoesNotMatch). */
  replaceSecretKey(secretId: string, secretKey: string): void;
  /** Advances every job's lifecycle by what the clock says has elapsed. */
  tick(): void;
  /** The emulator's current time (clock + clockOffsetMs), in milliseconds. */
  now(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const RESULT_ROOTS: Record<ApiName, string> = {
  CreateJob: 'CreateJobResult',
  DescribeJob: 'DescribeJobResult',
  ListJobs: 'ListJobsResult',
  UpdateJobPriority: 'UpdateJobPriorityResult',
  UpdateJobStatus: 'UpdateJobStatusResult',
};

interface Outcome {
  status: number;
  body: string;
  error?: CosApiError;
  traceId?: string;
  /** Set once the request is authenticated; the hook only runs then. */
  hook?: HookContext;
}

interface Scope {
  uin: string;
  region: string;
}

function validateOptions(options: EmulatorOptions): LifecycleOptions {
  const problems: string[] = [];
  if (!Array.isArray(options.accounts) || options.accounts.length === 0) {
    problems.push('accounts must list at least one { uin, appId, secretId, secretKey }');
  }
  if (
    options.port !== undefined &&
    !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535)
  ) {
    problems.push(`port must be a whole number from 0 to 65535, got ${options.port}`);
  }
  if (options.defaultRegion !== undefined && !isValidRegion(options.defaultRegion)) {
    problems.push(`defaultRegion must be a COS region such as ap-guangzhou, got "${options.defaultRegion}"`);
  }
  if (options.clockOffsetMs !== undefined && !Number.isFinite(options.clockOffsetMs)) {
    problems.push('clockOffsetMs must be a finite number of milliseconds');
  }
  const lifecycle: LifecycleOptions = { ...DEFAULT_LIFECYCLE, ...options.lifecycle };
  for (const [name, value] of Object.entries(lifecycle)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push(`lifecycle.${name} must be a number >= 0, got ${String(value)}`);
    }
  }
  if (!(lifecycle.tickMs > 0)) problems.push('lifecycle.tickMs must be above 0');
  if (lifecycle.failedTaskShare > 1) problems.push('lifecycle.failedTaskShare must be between 0 and 1');
  if (!Number.isInteger(lifecycle.defaultTotalTasks))
    problems.push('lifecycle.defaultTotalTasks must be a whole number');
  if (problems.length > 0) {
    throw new Error(`Invalid emulator options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return lifecycle;
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const lifecycle = validateOptions(options);
  const directory = new AccountDirectory(options.accounts);
  const clock = options.clock ?? systemClock;
  const offset = options.clockOffsetMs ?? 0;
  const now = () => clock.now() + offset;
  const defaultRegion = options.defaultRegion ?? 'ap-guangzhou';
  const logger = options.logger ?? silentLogger;
  const store = new JobStore({ now, lifecycle, defaultUin: directory.first.uin });
  const faults = new FaultInjector(options.faultSeed ?? 1);
  const stats = new EmulatorStats();
  let hook: EmulatorHook | undefined;
  let closed = false;

  if (options.seed) applySeed(options.seed, { store, accounts: directory, defaultRegion, now: now() });

  // Request ids: unique per emulator, cheap to make (no randomness per request).
  const idPrefix = randomBytes(4).toString('hex');
  let requestSeq = 0;
  const nextRequestId = () => Buffer.from(`${idPrefix}_${(++requestSeq).toString(16)}`).toString('base64');

  let dateSecond = -1;
  let dateText = '';
  const dateHeader = (ms: number) => {
    const second = Math.floor(ms / 1000);
    if (second !== dateSecond) {
      dateSecond = second;
      dateText = new Date(second * 1000).toUTCString();
    }
    return dateText;
  };

  const pendingSleeps = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        pendingSleeps.delete(wake);
        resolve(false);
      };
      const timer = setTimeout(() => {
        pendingSleeps.delete(wake);
        resolve(!closed);
      }, ms);
      pendingSleeps.add(wake);
    });

  function send(
    res: ServerResponse,
    status: number,
    body: string,
    requestId: string | undefined,
    extra?: Record<string, string>,
    contentType = 'application/xml',
  ): void {
    if (res.destroyed || res.headersSent) return;
    const headers: Record<string, string | number> = {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      date: dateHeader(now()),
      server: 'tencent-cos',
      ...extra,
    };
    if (requestId !== undefined) headers['x-cos-request-id'] = requestId;
    res.writeHead(status, headers);
    res.end(body);
  }

  function sendOutcome(res: ServerResponse, outcome: Outcome, requestId: string): void {
    const extra = outcome.traceId === undefined ? undefined : { 'x-cos-trace-id': outcome.traceId };
    send(res, outcome.status, outcome.body, requestId, extra);
  }

  function errorOutcome(error: CosApiError, resource: string, requestId: string): Outcome {
    const traceId = randomBytes(18).toString('base64');
    return {
      status: error.httpStatus,
      body: renderError(error.code, error.message, resource, requestId, traceId),
      error,
      traceId,
    };
  }

  function toCosError(error: unknown): CosApiError {
    if (error instanceof CosApiError) return error;
    logger.error('emulator request failed unexpectedly', { error });
    return new CosApiError(500, 'InternalError', 'We encountered an internal error. Please try again.');
  }

  function readBody(req: IncomingMessage): Promise<string> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      return Promise.reject(invalidRequest(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(invalidRequest(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  // ---- the five APIs (called after authentication) ----

  async function createJob(req: IncomingMessage, scope: Scope): Promise<string> {
    const { input, operationXml } = parseCreateJobRequest(await readBody(req));
    try {
      return renderCreateJob(store.insert(scope.uin, scope.region, input, { operationXml }));
    } catch (error) {
      if (error instanceof JobStoreError && error.code === 'DuplicateClientRequestToken') {
        throw invalidRequest(error.message);
      }
      throw error;
    }
  }

  function describeJob(scope: Scope, jobId: string): string {
    const record = store.record(scope, jobId);
    if (record === undefined) throw noSuchJob(jobId);
    return renderDescribeJob(record);
  }

  function listJobs(scope: Scope, query: ReadonlyMap<string, string>): string {
    const status = query.get('jobStatuses');
    if (status !== undefined && !isKnownJobStatus(status)) {
      throw invalidArgument(
        `jobStatuses is invalid (jobStatuses 参数无效): give one status, e.g. Suspended; got "${status}"`,
      );
    }
    const maxText = query.get('maxResults');
    let maxResults = 1000;
    if (maxText !== undefined) {
      if (!/^\d{1,4}$/.test(maxText) || Number(maxText) < 1 || Number(maxText) > 1000) {
        throw invalidArgument(
          `maxResults must be a positive integer from 1 to 1000 (maxResults 参数必须为正整数); got "${maxText}"`,
        );
      }
      maxResults = Number(maxText);
    }
    const nextToken = query.get('nextToken');
    const invalidToken = () =>
      invalidArgument(
        'nextToken is invalid (nextToken 参数无效): pass back the NextToken of the previous page',
      );
    if (nextToken !== undefined && (nextToken === '' || Buffer.byteLength(nextToken) > 64))
      throw invalidToken();
    const page = store.page(scope.uin, scope.region, {
      maxResults,
      ...(status !== undefined ? { status } : {}),
      ...(nextToken !== undefined ? { nextToken } : {}),
    });
    if (page === undefined) throw invalidToken();
    return renderListJobs(page);
  }

  function updateJobPriority(scope: Scope, jobId: string, query: ReadonlyMap<string, string>): string {
    const text = query.get('priority');
    if (text === undefined)
      throw invalidRequest('priority is missing (缺少 priority 参数): add ?priority=<0..2147483647>');
    if (!/^\d{1,10}$/.test(text) || Number(text) > 2_147_483_647) {
      throw invalidArgument(`priority must be an integer from 0 to 2147483647; got "${text}"`);
    }
    const record = store.record(scope, jobId);
    if (record === undefined) throw noSuchJob(jobId);
    if (isFinished(record.status)) throw noSuchJob(jobId, true);
    record.priority = Number(text);
    return renderUpdateJobPriority(record);
  }

  function updateJobStatus(scope: Scope, jobId: string, query: ReadonlyMap<string, string>): string {
    const requested = query.get('requestedJobStatus');
    const reason = query.get('statusUpdateReason');
    let httpStatus = 200;
    let errorCode: string | undefined;
    try {
      if (requested !== 'Ready' && requested !== 'Cancelled') {
        throw invalidArgument(
          `requestedJobStatus must be Cancelled or Ready (requestedJobStatus 只能为 Cancelled 或 Ready); got "${requested ?? ''}"`,
        );
      }
      if (reason !== undefined && Buffer.byteLength(reason, 'utf8') > 256) {
        throw invalidArgument(
          `statusUpdateReason must be at most 256 bytes of UTF-8; it was ${Buffer.byteLength(reason, 'utf8')} bytes`,
        );
      }
      const record = store.record(scope, jobId);
      if (record === undefined) throw noSuchJob(jobId);
      const before = record.status;
      const result = store.requestStatus(record, requested, reason);
      if (result === 'finished') {
        throw invalidRequest(`job already completed (指定任务已完成): job ${jobId} is ${before}`);
      }
      if (result === 'transition') {
        throw invalidRequest(
          `status change error (任务状态变更错误): job ${jobId} cannot go from ${before} to ${requested}`,
        );
      }
      return renderUpdateJobStatus(record);
    } catch (error) {
      if (error instanceof CosApiError) {
        httpStatus = error.httpStatus;
        errorCode = error.code;
      }
      throw error;
    } finally {
      const after = store.record(scope, jobId)?.status;
      stats.recordStatusUpdate({
        uin: scope.uin,
        region: scope.region,
        jobId,
        requested: requested ?? '',
        reason,
        at: now(),
        httpStatus,
        ...(errorCode !== undefined ? { errorCode } : {}),
        ...(after !== undefined ? { resultingStatus: after } : {}),
      });
    }
  }

  async function serve(
    req: IncomingMessage,
    route: Route,
    rawQuery: string,
    resource: string,
    requestId: string,
  ): Promise<Outcome> {
    let hookContext: HookContext | undefined;
    try {
      const query = parseQuery(rawQuery);
      const { account, region } = resolveAccount(directory, req.headers, defaultRegion);
      verifySignature(directory, account, {
        method: req.method ?? 'GET',
        path: route.path,
        query,
        headers: req.headers,
        nowSeconds: Math.floor(now() / 1000),
        defaultRegion,
      });
      const scope: Scope = { uin: account.uin, region };
      hookContext = { api: route.api, region, ...(route.jobId !== undefined ? { jobId: route.jobId } : {}) };
      const jobId = route.jobId ?? '';
      let body: string;
      switch (route.api) {
        case 'CreateJob':
          body = await createJob(req, scope);
          break;
        case 'DescribeJob':
          body = describeJob(scope, jobId);
          break;
        case 'ListJobs':
          body = listJobs(scope, query);
          break;
        case 'UpdateJobPriority':
          body = updateJobPriority(scope, jobId, query);
          break;
        case 'UpdateJobStatus':
          body = updateJobStatus(scope, jobId, query);
          break;
      }
      return { status: 200, body, hook: hookContext };
    } catch (error) {
      const outcome = errorOutcome(toCosError(error), resource, requestId);
      return hookContext ? { ...outcome, hook: hookContext } : outcome;
    }
  }

  function fail(
    req: IncomingMessage,
    res: ServerResponse,
    failure: ChosenFailure,
    api: ApiName,
    resource: string,
    requestId: string,
    body: string | undefined,
  ): void {
    logger.debug('emulator injected a fault', { api, kind: failure.kind, afterEffect: failure.afterEffect });
    switch (failure.kind) {
      case 'reset': {
        const socket = req.socket;
        // An RST (not a FIN), so the client sees ECONNRESET as after a real connection reset.
        if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      case 'hang':
        // Never answered; close() destroys the socket.
        return;
      case 'status5xx': {
        const error =
          failure.statusCode === 503
            ? new CosApiError(503, 'ServiceUnavailable', 'Service is unavailable. Please retry.')
            : new CosApiError(
                failure.statusCode,
                'InternalError',
                'We encountered an internal error. Please try again.',
              );
        sendOutcome(res, errorOutcome(error, resource, requestId), requestId);
        return;
      }
      case 'slowDown': {
        const error = new CosApiError(503, 'SlowDown', 'Please reduce your request rate.');
        sendOutcome(res, errorOutcome(error, resource, requestId), requestId);
        return;
      }
      case 'malformedXml': {
        const whole = body ?? `${XML_DECLARATION}<${RESULT_ROOTS[api]}>\n    <JobId>`;
        send(res, 200, whole.slice(0, Math.max(1, Math.floor(whole.length / 2))), requestId);
        return;
      }
      case 'htmlError':
        // A proxy in front of COS answered: HTML, and no x-cos-request-id.
        send(res, 502, HTML_502, undefined, undefined, 'text/html');
        return;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = nextRequestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const resource = `${req.headers.host ?? ''}${rawPath}`;
    let route: Route;
    try {
      route = resolveRoute(req.method ?? 'GET', rawPath);
    } catch (error) {
      sendOutcome(res, errorOutcome(toCosError(error), resource, requestId), requestId);
      return;
    }
    stats.requests[route.api] += 1;
    const decision = faults.decide(route.api);
    stats.faultsFired += decision.fired;
    if (decision.latencyMs > 0 && !(await sleep(decision.latencyMs))) return;
    const failure = decision.failure;
    if (failure && !failure.afterEffect) {
      fail(req, res, failure, route.api, resource, requestId, undefined);
      return;
    }
    const outcome = await serve(req, route, rawQuery, resource, requestId);
    const currentHook = hook;
    if (currentHook && outcome.hook) {
      try {
        await currentHook(outcome.hook);
      } catch (error) {
        logger.warn('emulator hook threw; answering anyway', { error });
      }
    }
    if (closed) return;
    if (failure) {
      fail(req, res, failure, route.api, resource, requestId, outcome.error ? undefined : outcome.body);
      return;
    }
    sendOutcome(res, outcome, requestId);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('emulator could not answer a request', { error });
      if (!res.headersSent && !res.destroyed) {
        const requestId = nextRequestId();
        sendOutcome(res, errorOutcome(toCosError(error), req.url ?? '', requestId), requestId);
      } else {
        res.destroy();
      }
    });
  });
  // Keep-alive friendly for benchmarks: idle sockets stay open longer than undici's default 4 s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;

  const ticker = options.autoAdvance ? setInterval(() => store.tick(), lifecycle.tickMs) : undefined;
  ticker?.unref();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      closed = true;
      if (ticker) clearInterval(ticker);
      for (const wake of [...pendingSleeps]) wake();
      server.close(() => resolve());
      // Idle keep-alive sockets, requests in flight and hanging requests all go now.
      server.closeAllConnections();
    });
    return closing;
  };

  logger.info('COS emulator listening', { url, accounts: options.accounts.length, defaultRegion });

  return {
    url,
    port: address.port,
    store,
    faults,
    stats,
    setHook(next) {
      hook = next;
    },
    replaceSecretKey: (secretId, secretKey) => directory.replaceSecretKey(secretId, secretKey),
    tick: () => store.tick(),
    now,
    close,
  };
}
