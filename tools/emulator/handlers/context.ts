import type { IncomingMessage } from 'node:http';
import type { ResolvedPaging } from '../options.js';
import type { EmulatorStats } from '../stats.js';
import type { JobStore } from '../store.js';

/** What every API handler gets: an authenticated request, and the emulator's state. */

export interface Scope {
  uin: string;
  region: string;
}

export interface ApiRequest {
  req: IncomingMessage;
  /** The account and region the request was authenticated for. */
  scope: Scope;
  /** The path's JobId ('' for /jobs). */
  jobId: string;
  query: ReadonlyMap<string, string>;
}

export interface EmulatorState {
  store: JobStore;
  stats: EmulatorStats;
  paging: ResolvedPaging;
  /** Emulator-clock milliseconds. */
  now: () => number;
}

/** Returns the success body, or throws a CosApiError the pipeline renders as `<Error>`. */
export type ApiHandler = (request: ApiRequest, state: EmulatorState) => string | Promise<string>;
