import { API_NAMES, type ApiName } from './routes.js';

/** Request counters and the UpdateJobStatus log, read by tests and the bench. */

/** How an UpdateJobStatus call carried `statusUpdateReason`: a client that sends `statusUpdateReason=` differs from one that omits it. */
export type ReasonParameter = 'absent' | 'empty' | 'value';

/** One UpdateJobStatus call that passed authentication, whatever its outcome. */
export interface StatusUpdateRecord {
  uin: string;
  region: string;
  jobId: string;
  /** The requestedJobStatus value as sent ('' when missing). */
  requested: string;
  /** The decoded statusUpdateReason ('' when sent empty, undefined when not sent). */
  reason: string | undefined;
  reasonParameter: ReasonParameter;
  /** Emulator-clock milliseconds. */
  at: number;
  httpStatus: number;
  errorCode?: string;
  /** The job's status right after the call (when the job exists). */
  resultingStatus?: string;
}

/**
 * What a routed request was answered with: an HTTP status code as text ('200', '404', '503'), or
 * 'reset' / 'hang' for injected faults that never answer.
 */
export type ResponseKind = `${number}` | 'reset' | 'hang';

/** Keeps memory bounded under benchmark load; tests never get near it. */
const MAX_STATUS_UPDATE_RECORDS = 100_000;

function emptyPerApi<T>(make: () => T): Record<ApiName, T> {
  return {
    CreateJob: make(),
    DescribeJob: make(),
    ListJobs: make(),
    UpdateJobPriority: make(),
    UpdateJobStatus: make(),
  };
}

export class EmulatorStats {
  /** Requests routed to each API (counted before faults and authentication). */
  readonly requests: Record<ApiName, number> = emptyPerApi(() => 0);
  /** Answers per API by status code (or 'reset' / 'hang'); a request still hanging is not counted yet. */
  readonly responses: Record<ApiName, Partial<Record<ResponseKind, number>>> = emptyPerApi(() => ({}));
  /** Every authenticated UpdateJobStatus call, oldest first (the oldest are dropped past 100,000). */
  readonly statusUpdates: StatusUpdateRecord[] = [];
  /** Faults that fired (latency included). */
  faultsFired = 0;

  get totalRequests(): number {
    return API_NAMES.reduce((sum, api) => sum + this.requests[api], 0);
  }

  /** How many answers `api` gave with this status code (or kind). */
  responseCount(api: ApiName, kind: number | ResponseKind): number {
    return this.responses[api][String(kind) as ResponseKind] ?? 0;
  }

  /** A plain, JSON-ready copy of the counters (for a bench report or a test's failure message). */
  snapshot(): {
    requests: Record<ApiName, number>;
    responses: Record<ApiName, Partial<Record<ResponseKind, number>>>;
    faultsFired: number;
  } {
    return structuredClone({
      requests: this.requests,
      responses: this.responses,
      faultsFired: this.faultsFired,
    });
  }

  /** Zeroes the counters in place, so references held by tests stay valid. */
  reset(): void {
    for (const api of API_NAMES) {
      this.requests[api] = 0;
      const byKind = this.responses[api];
      for (const kind of Object.keys(byKind)) delete byKind[kind as ResponseKind];
    }
    this.statusUpdates.length = 0;
    this.faultsFired = 0;
  }

  /** @internal */
  recordResponse(api: ApiName, kind: number | ResponseKind): void {
    const key = String(kind) as ResponseKind;
    const byKind = this.responses[api];
    byKind[key] = (byKind[key] ?? 0) + 1;
  }

  /** @internal */
  recordStatusUpdate(record: StatusUpdateRecord): void {
    if (this.statusUpdates.length >= MAX_STATUS_UPDATE_RECORDS) {
      this.statusUpdates.splice(0, MAX_STATUS_UPDATE_RECORDS / 2);
    }
    this.statusUpdates.push(record);
  }
}
