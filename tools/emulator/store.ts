import { randomUUID } from 'node:crypto';
import type {
  Job,
  JobFailure,
  JobOperation,
  JobProgress,
  JobStatus,
  OperationKind,
} from '../../src/cos/model.js';
import { isFinished } from '../../src/cos/model.js';
import type { CreateJobInput } from '../cos/create-job-xml.js';
import { operationNode, type XmlNode } from './xml.js';

/**
 * The emulator's job database and lifecycle. Jobs live per (uin, region) partition; every lookup by id is a
 * Map hit and `tick()` only visits jobs that can still move, so the request path never scans all jobs
 * (ListJobs excepted, which has to).
 */

/** How long each automatic lifecycle step takes, on the emulator's clock. */
export interface LifecycleOptions {
  /** New → Preparing. */
  newMs: number;
  /** Preparing → Suspended (ConfirmationRequired) or Ready. */
  preparingMs: number;
  /** Ready → Active. */
  readyMs: number;
  /** Active: tasks processed per second of clock time. */
  tasksPerSecond: number;
  /** Share (0..1) of processed tasks counted as failed; above 0.5 after 1,000 tasks the job fails. */
  failedTaskShare: number;
  /** Completing → Complete. */
  completingMs: number;
  /** Cancelling → Cancelled. */
  cancellingMs: number;
  /** Failing → Failed. */
  failingMs: number;
  /** autoAdvance timer period (real time). */
  tickMs: number;
  /** Tasks of a job created without an explicit count (the emulator never reads the manifest). */
  defaultTotalTasks: number;
}

export const DEFAULT_LIFECYCLE: Readonly<LifecycleOptions> = {
  newMs: 1_000,
  preparingMs: 2_000,
  readyMs: 1_000,
  tasksPerSecond: 50,
  failedTaskShare: 0,
  completingMs: 1_000,
  cancellingMs: 1_000,
  failingMs: 1_000,
  tickMs: 250,
  defaultTotalTasks: 100,
};

/** COS terminates a job whose failure rate exceeds 50% once it has run more than 1,000 tasks (COS console documentation). */
const FAILURE_THRESHOLD_TASKS = 1_000;

export const DEFAULT_SUSPENDED_CAUSE =
  'The job was created with ConfirmationRequired and waits for your confirmation before it runs.';
export const FAILURE_RATE_EXCEEDED: JobFailure = {
  code: 'FailureRateExceeded',
  reason: 'More than 50% of the tasks failed after more than 1,000 tasks ran; the job was terminated.',
};
export const DEFAULT_MARKED_FAILURE: JobFailure = {
  code: 'InternalError',
  reason: 'The job was marked to fail by the emulator.',
};

/**
 * Where a job lives. A bare region means the emulator's first (default) account; tests with several
 * accounts pass `{ uin, region }`.
 */
export type RegionScope = string | { uin: string; region: string };

/** A job as DescribeJob would return it, plus where it lives. A snapshot: later changes do not show. */
export interface EmulatedJob extends Job {
  uin: string;
  region: string;
  clientRequestToken: string;
  creationTime: string;
  /** Emulator-clock milliseconds. */
  createdAtMs: number;
  /** The request the job was created from (manifest ETag as given, not as rendered). */
  input: CreateJobInput;
  /** True when the job will fail as soon as it would run (see `markToFail`). */
  markedToFail: boolean;
}

export interface CreateJobOptions {
  status?: JobStatus;
  id?: string;
  totalTasks?: number;
  uin?: string;
  /** Emulator-clock milliseconds; defaults to now. Listing order stays creation (insertion) order. */
  createdAtMs?: number;
  succeededTasks?: number;
  failedTasks?: number;
  failureReasons?: JobFailure[];
  statusUpdateReason?: string;
  suspendedCause?: string;
  /** Overrides the lifecycle's failedTaskShare for this job. */
  failedTaskShare?: number;
  /** The job fails (Failing → Failed with these reasons) when it would start running. */
  failWith?: JobFailure[];
  /** The raw `<Operation>` child as posted, to render it back verbatim (HTTP CreateJob). */
  operationXml?: XmlNode;
}

export type JobStoreErrorCode =
  | 'NoSuchJob'
  | 'DuplicateJobId'
  | 'DuplicateClientRequestToken'
  | 'InvalidInput';

export class JobStoreError extends Error {
  constructor(
    readonly code: JobStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JobStoreError';
  }
}

/** The store's own mutable state of one job (callers get `EmulatedJob` snapshots). Exported for the renderers only. */
export interface StoredJob {
  readonly seq: number;
  readonly id: string;
  readonly uin: string;
  readonly region: string;
  readonly input: CreateJobInput;
  readonly operation: JobOperation;
  readonly operationXml: XmlNode;
  readonly createdAtMs: number;
  readonly creationTime: string;
  manifestEtag: string;
  status: JobStatus;
  priority: number;
  statusUpdateReason?: string | undefined;
  suspendedCause?: string | undefined;
  suspendedAtMs?: number | undefined;
  terminatedAtMs?: number | undefined;
  totalTasks: number;
  succeededTasks: number;
  failedTasks: number;
  failureReasons: JobFailure[];
  failedTaskShare?: number | undefined;
  pendingFailure?: JobFailure[] | undefined;
  /** When the current status was entered (emulator clock). */
  phaseStartMs: number;
  /** Tasks already processed when the job last entered Active (progress resumes after a pause). */
  processedAtPhaseStart: number;
  /** Failed tasks already counted when the job last entered Active. */
  failedAtPhaseStart: number;
}

export interface ListPage {
  jobs: StoredJob[];
  /** The last JobId of the page, or '' when no further matching job exists (unless tokenOnLastPage). */
  nextToken: string;
}

class Partition {
  /** Creation order; a record's seq is its index here (jobs are never removed one by one). */
  readonly order: StoredJob[] = [];
  readonly byId = new Map<string, StoredJob>();
  readonly tokens = new Set<string>();
}

/** Statuses the lifecycle moves on its own; everything else waits for a request or setStatus. */
const MOVING_STATUSES: ReadonlySet<string> = new Set([
  'New',
  'Preparing',
  'Ready',
  'Active',
  'Completing',
  'Cancelling',
  'Failing',
]);

/** Statuses from which requestedJobStatus=Ready is accepted (Preparing is tolerated, as Alibaba OSS does). */
const READY_ALLOWED_FROM: ReadonlySet<string> = new Set(['Suspended', 'Preparing']);

let lastIsoMs = Number.NaN;
let lastIso = '';

/** ISO 8601 to the second; remembers the last answer, since seeding stamps thousands of jobs with one time. */
export function isoSeconds(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = `${new Date(ms).toISOString().slice(0, 19)}Z`;
  }
  return lastIso;
}

/** COS returns the manifest ETag with its quotes (`&quot;…&quot;` in XML) even when posted without. */
export function quotedEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function operationKindOf(input: CreateJobInput): OperationKind {
  return input.operation.kind;
}

function flattenLeaves(node: XmlNode, prefix: string, into: Record<string, string>): void {
  if (node.children === undefined) {
    // First occurrence wins for repeated paths (tag lists); the XML keeps them all.
    if (prefix !== '' && !(prefix in into)) into[prefix] = node.text ?? '';
    return;
  }
  for (const child of node.children) {
    flattenLeaves(child, prefix === '' ? child.name : `${prefix}.${child.name}`, into);
  }
}

function describeOperation(input: CreateJobInput, xml: XmlNode): JobOperation {
  const parameters: Record<string, string> = {};
  flattenLeaves(xml, '', parameters);
  const kind = operationKindOf(input);
  return { kind, rawKind: xml.name, parameters, destructive: kind === 'COSDeleteObject' };
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export interface JobStoreOptions {
  /** Emulator-clock milliseconds. */
  now: () => number;
  lifecycle: LifecycleOptions;
  /** The account a bare region refers to. */
  defaultUin: string;
}

export class JobStore {
  private readonly partitions = new Map<string, Partition>();
  /** Jobs the lifecycle can still move: tick() visits only these. */
  private readonly moving = new Set<StoredJob>();
  private readonly operations = new WeakMap<object, { xml: XmlNode; operation: JobOperation }>();
  private readonly now: () => number;
  readonly lifecycle: LifecycleOptions;
  readonly defaultUin: string;

  constructor(options: JobStoreOptions) {
    this.now = options.now;
    this.lifecycle = options.lifecycle;
    this.defaultUin = options.defaultUin;
  }

  // ---- public, synchronous API for tests, the demo and the seed loader ----

  createJob(scope: RegionScope, input: CreateJobInput, opts: CreateJobOptions = {}): EmulatedJob {
    const { uin, region } = this.resolve(scope, opts.uin);
    return this.snapshot(this.insert(uin, region, input, opts));
  }

  getJob(scope: RegionScope, id: string): EmulatedJob | undefined {
    const record = this.record(scope, id);
    return record ? this.snapshot(record) : undefined;
  }

  /** Every job of the scope, in listing (creation) order. */
  listJobs(scope: RegionScope): EmulatedJob[] {
    const { uin, region } = this.resolve(scope);
    return (this.partitions.get(partitionKey(uin, region))?.order ?? []).map((r) => this.snapshot(r));
  }

  /** Changes a job's status "behind cosjob's back", like the console would. Any status, even an unknown one. */
  setStatus(scope: RegionScope, id: string, status: JobStatus, reason?: string): EmulatedJob {
    const record = this.mustRecord(scope, id);
    if (reason !== undefined) record.statusUpdateReason = reason;
    if (status === 'Failing' || status === 'Failed') {
      if (record.failureReasons.length === 0) record.failureReasons = [DEFAULT_MARKED_FAILURE];
    }
    this.enter(record, status, this.now());
    return this.snapshot(record);
  }

  setPriority(scope: RegionScope, id: string, priority: number): EmulatedJob {
    if (!Number.isInteger(priority) || priority < 0 || priority > 2_147_483_647) {
      throw new JobStoreError(
        'InvalidInput',
        `priority must be an integer from 0 to 2147483647, got ${priority}`,
      );
    }
    const record = this.mustRecord(scope, id);
    record.priority = priority;
    return this.snapshot(record);
  }

  /** Lets a test change the manifest after cosjob posted the job, to check it notices. */
  setManifestEtag(scope: RegionScope, id: string, etag: string): EmulatedJob {
    const record = this.mustRecord(scope, id);
    record.manifestEtag = etag;
    return this.snapshot(record);
  }

  /** The job will go Failing → Failed (with these reasons) when it would next run, or now if it runs. */
  markToFail(scope: RegionScope, id: string, reasons: JobFailure[] = [DEFAULT_MARKED_FAILURE]): EmulatedJob {
    const record = this.mustRecord(scope, id);
    record.pendingFailure = reasons.length > 0 ? reasons : [DEFAULT_MARKED_FAILURE];
    if (record.status === 'Active') this.startFailing(record, record.pendingFailure, this.now());
    return this.snapshot(record);
  }

  /** Removes every job of every account and region. */
  deleteAll(): void {
    this.partitions.clear();
    this.moving.clear();
  }

  /** Number of jobs across all partitions (cheap: sums partition sizes). */
  get size(): number {
    let total = 0;
    for (const partition of this.partitions.values()) total += partition.order.length;
    return total;
  }

  /** Advances every moving job to what the clock says. Visits only jobs that can still change. */
  tick(): void {
    const now = this.now();
    for (const record of [...this.moving]) this.advance(record, now);
  }

  // ---- internal API used by the HTTP layer ----

  /** @internal */
  record(scope: RegionScope, id: string): StoredJob | undefined {
    const { uin, region } = this.resolve(scope);
    return this.partitions.get(partitionKey(uin, region))?.byId.get(id);
  }

  /** @internal Inserts a job posted over HTTP; a repeated ClientRequestToken is refused as COS does. */
  insert(uin: string, region: string, input: CreateJobInput, opts: CreateJobOptions = {}): StoredJob {
    const partition = this.partition(uin, region);
    const id = opts.id ?? randomUUID();
    if (id === '' || byteLength(id) > 64) {
      throw new JobStoreError('InvalidInput', 'a job id must be 1 to 64 bytes');
    }
    if (partition.byId.has(id)) {
      throw new JobStoreError('DuplicateJobId', `a job with id ${id} already exists in ${uin}/${region}`);
    }
    if (partition.tokens.has(input.clientRequestToken)) {
      throw new JobStoreError(
        'DuplicateClientRequestToken',
        `ClientRequestToken ${input.clientRequestToken} was already used for another job (重复的请求)`,
      );
    }
    const now = this.now();
    const createdAtMs = opts.createdAtMs ?? now;
    const { xml: operationXml, operation } = opts.operationXml
      ? { xml: opts.operationXml, operation: describeOperation(input, opts.operationXml) }
      : this.derivedOperation(input);
    const totalTasks = opts.totalTasks ?? this.lifecycle.defaultTotalTasks;
    if (!Number.isInteger(totalTasks) || totalTasks < 0) {
      throw new JobStoreError('InvalidInput', `totalTasks must be a whole number >= 0, got ${totalTasks}`);
    }
    const record: StoredJob = {
      seq: partition.order.length,
      id,
      uin,
      region,
      input,
      operation,
      operationXml,
      createdAtMs,
      creationTime: isoSeconds(createdAtMs),
      manifestEtag: input.manifest.etag,
      status: 'New',
      priority: input.priority,
      statusUpdateReason: opts.statusUpdateReason,
      suspendedCause: opts.suspendedCause,
      totalTasks,
      succeededTasks: opts.succeededTasks ?? 0,
      failedTasks: opts.failedTasks ?? 0,
      failureReasons: opts.failureReasons ?? [],
      failedTaskShare: opts.failedTaskShare,
      pendingFailure: opts.failWith,
      phaseStartMs: createdAtMs,
      processedAtPhaseStart: 0,
      failedAtPhaseStart: 0,
    };
    partition.order.push(record);
    partition.byId.set(id, record);
    partition.tokens.add(input.clientRequestToken);
    const status = opts.status ?? 'New';
    if (status === 'New') {
      this.moving.add(record);
    } else {
      this.enterInitial(record, status, now, opts);
    }
    return record;
  }

  /**
   * @internal One ListJobs page in creation order. Returns undefined when nextToken names no job here.
   * `tokenOnLastPage` puts the last JobId in NextToken even when no matching job follows.
   */
  page(
    uin: string,
    region: string,
    filter: { status?: string; maxResults: number; nextToken?: string; tokenOnLastPage?: boolean },
  ): ListPage | undefined {
    const partition = this.partitions.get(partitionKey(uin, region));
    let start = 0;
    if (filter.nextToken !== undefined) {
      const after = partition?.byId.get(filter.nextToken);
      if (after === undefined) return undefined;
      start = after.seq + 1;
    }
    const jobs: StoredJob[] = [];
    if (partition === undefined) return { jobs, nextToken: '' };
    const order = partition.order;
    let index = start;
    for (; index < order.length && jobs.length < filter.maxResults; index++) {
      const record = order[index]!;
      if (filter.status === undefined || record.status === filter.status) jobs.push(record);
    }
    // The token is only worth sending when another matching job follows.
    let more = false;
    for (; index < order.length; index++) {
      if (filter.status === undefined || order[index]!.status === filter.status) {
        more = true;
        break;
      }
    }
    const last = jobs[jobs.length - 1];
    return { jobs, nextToken: (more || filter.tokenOnLastPage) && last ? last.id : '' };
  }

  /**
   * @internal UpdateJobStatus semantics. Returns the error kind instead of throwing so the HTTP layer
   * owns the wording. Ready on an already-Ready job is a 'transition' error (documented choice).
   */
  requestStatus(
    record: StoredJob,
    requested: 'Ready' | 'Cancelled',
    reason: string | undefined,
  ): 'ok' | 'finished' | 'transition' {
    if (isFinished(record.status)) return 'finished';
    const now = this.now();
    if (requested === 'Ready') {
      if (!READY_ALLOWED_FROM.has(record.status)) return 'transition';
      record.statusUpdateReason = reason;
      this.enter(record, 'Ready', now);
      return 'ok';
    }
    record.statusUpdateReason = reason;
    // Asking again while it is already being cancelled is accepted and changes nothing else.
    if (record.status !== 'Cancelling') this.enter(record, 'Cancelling', now);
    return 'ok';
  }

  // ---- lifecycle ----

  private enterInitial(record: StoredJob, status: JobStatus, now: number, opts: CreateJobOptions): void {
    if (status === 'Complete' && opts.succeededTasks === undefined && opts.failedTasks === undefined) {
      record.succeededTasks = record.totalTasks;
    }
    if ((status === 'Failed' || status === 'Failing') && record.failureReasons.length === 0) {
      record.failureReasons = opts.failWith ?? [DEFAULT_MARKED_FAILURE];
    }
    if (status === 'Complete' && record.statusUpdateReason === undefined)
      record.statusUpdateReason = 'Job complete';
    // A job that still moves starts its phase now (so seeded Active jobs do not finish on the first tick);
    // one that waits or has ended dates from shortly after its creation, as if it got there by itself.
    const settledAt = Math.min(now, record.createdAtMs + this.lifecycle.newMs + this.lifecycle.preparingMs);
    this.enter(record, status, MOVING_STATUSES.has(status) ? now : settledAt);
  }

  private enter(record: StoredJob, status: JobStatus, at: number): void {
    record.status = status;
    record.phaseStartMs = at;
    if (status === 'Active') {
      record.processedAtPhaseStart = record.succeededTasks + record.failedTasks;
      record.failedAtPhaseStart = record.failedTasks;
    }
    if (status === 'Suspended') {
      record.suspendedAtMs = at;
      record.suspendedCause ??= DEFAULT_SUSPENDED_CAUSE;
    }
    if (isFinished(status)) {
      record.terminatedAtMs = at;
    } else {
      record.terminatedAtMs = undefined;
    }
    if (MOVING_STATUSES.has(status)) this.moving.add(record);
    else this.moving.delete(record);
  }

  private startFailing(record: StoredJob, reasons: JobFailure[], at: number): void {
    record.failureReasons = [...reasons];
    record.pendingFailure = undefined;
    this.enter(record, 'Failing', at);
  }

  private advance(record: StoredJob, now: number): void {
    const life = this.lifecycle;
    // Several steps may have elapsed since the last tick; each starts when the previous one ended.
    for (let guard = 0; guard < 16; guard++) {
      const elapsed = now - record.phaseStartMs;
      const start = record.phaseStartMs;
      switch (record.status) {
        case 'New':
          if (elapsed < life.newMs) return;
          this.enter(record, 'Preparing', start + life.newMs);
          break;
        case 'Preparing':
          if (elapsed < life.preparingMs) return;
          this.enter(
            record,
            record.input.confirmationRequired ? 'Suspended' : 'Ready',
            start + life.preparingMs,
          );
          break;
        case 'Ready':
          if (elapsed < life.readyMs) return;
          if (record.pendingFailure) this.startFailing(record, record.pendingFailure, start + life.readyMs);
          else this.enter(record, 'Active', start + life.readyMs);
          break;
        case 'Active':
          if (!this.advanceActive(record, now)) return;
          break;
        case 'Completing':
          if (elapsed < life.completingMs) return;
          record.statusUpdateReason = 'Job complete';
          this.enter(record, 'Complete', start + life.completingMs);
          break;
        case 'Cancelling':
          if (elapsed < life.cancellingMs) return;
          this.enter(record, 'Cancelled', start + life.cancellingMs);
          break;
        case 'Failing':
          if (elapsed < life.failingMs) return;
          this.enter(record, 'Failed', start + life.failingMs);
          break;
        default:
          this.moving.delete(record);
          return;
      }
    }
  }

  /** Updates the counters; returns true when the job left Active (so the caller keeps stepping). */
  private advanceActive(record: StoredJob, now: number): boolean {
    if (record.pendingFailure) {
      this.startFailing(record, record.pendingFailure, now);
      return true;
    }
    const life = this.lifecycle;
    const rate = life.tasksPerSecond;
    const share = record.failedTaskShare ?? life.failedTaskShare;
    const remaining = record.totalTasks - record.processedAtPhaseStart;
    const doneInPhase =
      rate > 0 ? Math.min(remaining, Math.floor(((now - record.phaseStartMs) * rate) / 1000)) : 0;
    const processed = record.processedAtPhaseStart + Math.max(0, doneInPhase);
    // Failures are a fixed share of what ran, so counters are reproducible for any tick spacing.
    const newlyProcessed = processed - record.processedAtPhaseStart;
    const failed = record.failedAtPhaseStart + Math.floor(newlyProcessed * share);
    record.failedTasks = failed;
    record.succeededTasks = processed - failed;
    if (processed > FAILURE_THRESHOLD_TASKS && failed * 2 > processed) {
      this.startFailing(record, [FAILURE_RATE_EXCEEDED], now);
      return true;
    }
    if (processed >= record.totalTasks) {
      const finishedAt = rate > 0 ? record.phaseStartMs + Math.ceil((remaining * 1000) / rate) : now;
      this.enter(record, 'Completing', Math.min(finishedAt, now));
      return true;
    }
    return false;
  }

  // ---- helpers ----

  /**
   * The XML and description of a job's operation, derived once per operation object: seed jobs that share
   * one operation share them too (records never change either).
   */
  private derivedOperation(input: CreateJobInput): { xml: XmlNode; operation: JobOperation } {
    let derived = this.operations.get(input.operation);
    if (derived === undefined) {
      const xml = operationNode(input.operation);
      derived = { xml, operation: describeOperation(input, xml) };
      this.operations.set(input.operation, derived);
    }
    return derived;
  }

  private resolve(scope: RegionScope, uinOverride?: string): { uin: string; region: string } {
    if (typeof scope === 'string') return { uin: uinOverride ?? this.defaultUin, region: scope };
    return scope;
  }

  private partition(uin: string, region: string): Partition {
    const key = partitionKey(uin, region);
    let partition = this.partitions.get(key);
    if (partition === undefined) {
      partition = new Partition();
      this.partitions.set(key, partition);
    }
    return partition;
  }

  private mustRecord(scope: RegionScope, id: string): StoredJob {
    const record = this.record(scope, id);
    if (record === undefined) {
      const { uin, region } = this.resolve(scope);
      throw new JobStoreError('NoSuchJob', `no job ${id} in account ${uin}, region ${region}`);
    }
    return record;
  }

  private snapshot(record: StoredJob): EmulatedJob {
    const input = record.input;
    const job: EmulatedJob = {
      id: record.id,
      uin: record.uin,
      region: record.region,
      status: record.status,
      priority: record.priority,
      description: input.description ?? '',
      creationTime: record.creationTime,
      createdAtMs: record.createdAtMs,
      confirmationRequired: input.confirmationRequired,
      clientRequestToken: input.clientRequestToken,
      operation: { ...record.operation, parameters: { ...record.operation.parameters } },
      manifest: {
        location: { objectArn: input.manifest.objectArn, etag: quotedEtag(record.manifestEtag) },
        format: input.manifest.format ?? 'COSBatchOperations_CSV_V1',
        fields: [...(input.manifest.fields ?? [])],
      },
      roleArn: input.roleArn,
      progress: {
        totalTasks: record.totalTasks,
        succeededTasks: record.succeededTasks,
        failedTasks: record.failedTasks,
      } satisfies JobProgress,
      failureReasons: record.failureReasons.map((f) => ({ ...f })),
      input: structuredClone({ ...input, manifest: { ...input.manifest, etag: record.manifestEtag } }),
      markedToFail: record.pendingFailure !== undefined,
    };
    if (input.report) {
      job.report = {
        bucket: input.report.bucket,
        enabled: input.report.enabled,
        format: 'Report_CSV_V1',
        prefix: input.report.prefix ?? '',
        reportScope: input.report.reportScope,
      };
    }
    if (record.terminatedAtMs !== undefined) job.terminationDate = isoSeconds(record.terminatedAtMs);
    if (record.statusUpdateReason !== undefined) job.statusUpdateReason = record.statusUpdateReason;
    if (record.suspendedCause !== undefined) job.suspendedCause = record.suspendedCause;
    if (record.suspendedAtMs !== undefined) job.suspendedDate = isoSeconds(record.suspendedAtMs);
    return job;
  }
}

function partitionKey(uin: string, region: string): string {
  return `${uin}\u0000${region}`;
}
