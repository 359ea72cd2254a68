import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/logger.js';
import { AccountDirectory, resolveAccount, verifySignature } from './auth.js';
import { answerWithFault } from './fault-answers.js';
import { type ChosenFailure, FaultInjector } from './faults.js';
import { type EmulatorState, HANDLERS } from './handlers/index.js';
import { type EmulatorOptions, validateOptions } from './options.js';
import { type Outcome, Responder } from './responder.js';
import { type ApiName, parseQuery, type Route, resolveRoute } from './routes.js';
import { applySeed } from './seed.js';
import { EmulatorStats } from './stats.js';
import { JobStore } from './store.js';

/**
 * A local COS Batch Operations endpoint: the five job APIs over real HTTP, with COS signing, errors,
 * a clock-driven job lifecycle and fault injection. This file is the request pipeline and the server's
 * life; each API is a handler in handlers/.
 *
 * Choices where the COS documentation is silent:
 * - ListJobs lists in creation order, oldest first, as the Go SDK's recorded sample does; NextToken is the
 *   page's last JobId and empty when no further matching job exists (both adjustable with `paging`).
 *   `jobStatuses` takes one status.
 * - Ready is accepted from Suspended and Preparing only; Ready on a Ready job is InvalidRequest
 *   "status change error". Cancelled is accepted from any unfinished status and leads to Cancelling.
 * - A ConfirmationRequired job created over the API goes Preparing → Suspended.
 * - `+` in the query decodes as a space. DeleteJob (Go SDK only) answers 405.
 * - Request order: route (404/405) → faults → x-cos-appid/Host → signature → parameters → job.
 */

export type { EmulatorAccount } from './auth.js';
export type { ChosenFailure, FaultHandle, FaultKind, FaultRule } from './faults.js';
export { FaultInjector, FaultRuleError } from './faults.js';
export type { EmulatorOptions, PagingOptions } from './options.js';
export type { ApiName } from './routes.js';
export type { SeedDocument, SeedJob, SyntheticJobsOptions } from './seed.js';
export {
  loadSeedDocument,
  loadSeedFile,
  parseSeed,
  parseSeedDocument,
  SeedError,
  syntheticJobs,
} from './seed.js';
export type { ReasonParameter, ResponseKind, StatusUpdateRecord } from './stats.js';
export { EmulatorStats } from './stats.js';
export type { CreateJobOptions, EmulatedJob, LifecycleOptions, RegionScope } from './store.js';
export { DEFAULT_LIFECYCLE, JobStore, JobStoreError } from './store.js';

export interface HookContext {
  api: ApiName;
  region: string;
  jobId?: string;
}

/**
 * `answer` is the body the emulator is about to send; a hook may return a replacement (a hostile COS
 * answer), the status code stays.
 */
export type EmulatorHook = (
  ctx: HookContext,
  answer: { body: string },
  // biome-ignore lint/suspicious/noConfusingVoidType: existing hooks are `async () => {}` and return nothing.
) => Promise<void | { body: string }>;

export interface RunningEmulator {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  port: number;
  /** Direct, synchronous access for tests and the demo. */
  store: JobStore;
  faults: FaultInjector;
  /** Per-API request and response counts, and the UpdateJobStatus log. */
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

interface ServedOutcome extends Outcome {
  /** Set once the request is authenticated; the hook only runs then. */
  hook?: HookContext;
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const { lifecycle, paging } = validateOptions(options);
  const directory = new AccountDirectory(options.accounts);
  const clock = options.clock ?? systemClock;
  const offset = options.clockOffsetMs ?? 0;
  const now = () => clock.now() + offset;
  const defaultRegion = options.defaultRegion ?? 'ap-guangzhou';
  const logger = options.logger ?? silentLogger;
  const store = new JobStore({ now, lifecycle, defaultUin: directory.first.uin });
  const faults = new FaultInjector(options.faultSeed ?? 1);
  const stats = new EmulatorStats();
  const responder = new Responder(now, stats, logger);
  const state: EmulatorState = { store, stats, paging, now };
  let hook: EmulatorHook | undefined;
  let closed = false;

  if (options.seed) applySeed(options.seed, { store, accounts: directory, defaultRegion, now: now() });

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

  /** Authenticates, then runs the API's handler; every refusal becomes an `<Error>` outcome. */
  async function serve(
    req: IncomingMessage,
    route: Route,
    rawQuery: string,
    resource: string,
    requestId: string,
  ): Promise<ServedOutcome> {
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
      hookContext = { api: route.api, region, ...(route.jobId !== undefined ? { jobId: route.jobId } : {}) };
      const body = await HANDLERS[route.api](
        { req, scope: { uin: account.uin, region }, jobId: route.jobId ?? '', query },
        state,
      );
      return { status: 200, body, hook: hookContext };
    } catch (error) {
      const outcome = responder.errorOutcome(responder.toCosError(error), resource, requestId);
      return hookContext ? { ...outcome, hook: hookContext } : outcome;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = responder.nextRequestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const resource = `${req.headers.host ?? ''}${rawPath}`;
    let route: Route;
    try {
      route = resolveRoute(req.method ?? 'GET', rawPath);
    } catch (error) {
      const outcome = responder.errorOutcome(responder.toCosError(error), resource, requestId);
      responder.sendOutcome(res, undefined, outcome, requestId);
      return;
    }
    const api = route.api;
    stats.requests[api] += 1;
    const decision = faults.decide(api);
    stats.faultsFired += decision.fired;
    if (decision.latencyMs > 0 && !(await sleep(decision.latencyMs))) return;
    const failure = decision.failure;
    const injectFault = (chosen: ChosenFailure, body: string | undefined) => {
      logger.debug('emulator injected a fault', { api, kind: chosen.kind, afterEffect: chosen.afterEffect });
      answerWithFault({ req, res, failure: chosen, api, resource, requestId, body }, responder, stats);
    };
    if (failure && !failure.afterEffect) {
      injectFault(failure, undefined);
      return;
    }
    let outcome = await serve(req, route, rawQuery, resource, requestId);
    const currentHook = hook;
    if (currentHook && outcome.hook) {
      try {
        const replaced = await currentHook(outcome.hook, { body: outcome.body });
        if (replaced) outcome = { ...outcome, body: replaced.body };
      } catch (error) {
        logger.warn('emulator hook threw; answering anyway', { error });
      }
    }
    if (closed) return;
    if (failure) {
      injectFault(failure, outcome.error ? undefined : outcome.body);
      return;
    }
    responder.sendOutcome(res, api, outcome, requestId);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('emulator could not answer a request', { error });
      if (!res.headersSent && !res.destroyed) {
        const requestId = responder.nextRequestId();
        const outcome = responder.errorOutcome(responder.toCosError(error), req.url ?? '', requestId);
        responder.sendOutcome(res, undefined, outcome, requestId);
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
