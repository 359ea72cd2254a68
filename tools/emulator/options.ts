import type { Clock } from '../../src/clock.js';
import { isValidRegion } from '../../src/cos/region.js';
import type { Logger } from '../../src/logger.js';
import type { EmulatorAccount } from './auth.js';
import type { SeedJob } from './seed.js';
import { DEFAULT_LIFECYCLE, type LifecycleOptions } from './store.js';

/** What startEmulator accepts, and the check that turns it into settings or one error listing every problem. */

/**
 * How ListJobs pages. Tencent's ListJobs documentation only promises "no more than maxResults" members per
 * page and a NextToken that is the page's last JobId; it does not promise that a short page is the last
 * one, nor that the last page's token is empty. These let a test serve both.
 */
export interface PagingOptions {
  /** Serve at most this many jobs per page whatever maxResults asks (short pages that still carry a NextToken). */
  maxJobsPerPage?: number;
  /**
   * 'empty' (default): the last page's NextToken is empty. 'lastJobId': it is the page's last JobId, as in
   * the Go SDK's recorded ListJobs sample; passing it back yields an empty page with an empty token.
   */
  lastPageToken?: 'empty' | 'lastJobId';
}

export interface EmulatorOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Every account (UIN, APPID, key pair) the endpoint serves; requests are checked against their own keys. */
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
  paging?: PagingOptions;
  logger?: Logger;
  /** Seed of the fault injector's PRNG (default 1), so rate-based faults repeat run to run. */
  faultSeed?: number;
}

export interface ResolvedPaging {
  maxJobsPerPage: number;
  tokenOnLastPage: boolean;
}

export interface ResolvedSettings {
  lifecycle: LifecycleOptions;
  paging: ResolvedPaging;
}

/** ListJobs' own cap: maxResults is 1 to 1000. */
export const MAX_LIST_RESULTS = 1000;

export function validateOptions(options: EmulatorOptions): ResolvedSettings {
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
  const paging = resolvePaging(options.paging, problems);
  if (problems.length > 0) {
    throw new Error(`Invalid emulator options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { lifecycle, paging };
}

function resolvePaging(paging: PagingOptions | undefined, problems: string[]): ResolvedPaging {
  const size = paging?.maxJobsPerPage ?? MAX_LIST_RESULTS;
  if (!Number.isInteger(size) || size < 1 || size > MAX_LIST_RESULTS) {
    problems.push(`paging.maxJobsPerPage must be a whole number from 1 to ${MAX_LIST_RESULTS}, got ${size}`);
  }
  const last = paging?.lastPageToken ?? 'empty';
  if (last !== 'empty' && last !== 'lastJobId') {
    problems.push(`paging.lastPageToken must be "empty" or "lastJobId", got "${String(last)}"`);
  }
  return { maxJobsPerPage: size, tokenOnLastPage: last === 'lastJobId' };
}
