/** The typed COS Batch Operations job model, independent of XML and HTTP. */

export const JOB_STATUSES = [
  'Active',
  'Cancelled',
  'Cancelling',
  'Complete',
  'Completing',
  'Failed',
  'Failing',
  'New',
  'Paused',
  'Pausing',
  'Preparing',
  'Ready',
  'Suspended',
] as const;

export type KnownJobStatus = (typeof JOB_STATUSES)[number];
/** A status COS may add later is kept as its text rather than rejected. */
export type JobStatus = KnownJobStatus | (string & { readonly unknownStatus?: true });

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['Complete', 'Cancelled', 'Failed']);

export function isKnownJobStatus(value: string): value is KnownJobStatus {
  return (JOB_STATUSES as readonly string[]).includes(value);
}

export function isFinished(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export type RequestedJobStatus = 'Ready' | 'Cancelled';

export type OperationKind =
  | 'COSPutObjectCopy'
  | 'COSInitiateRestoreObject'
  | 'COSPutObjectTagging'
  | 'COSDeleteObject'
  | 'unknown';

export interface JobOperation {
  /** The element name under `<Operation>`, or 'unknown' when none was recognised. */
  kind: OperationKind;
  /** The element name as sent by COS (useful when kind is 'unknown'). */
  rawKind: string;
  /** Leaf parameters of the operation, flattened with dotted paths (e.g. `TargetResource`). */
  parameters: Readonly<Record<string, string>>;
  /** Deletes (and anything unknown that deletes) are destructive. */
  destructive: boolean;
}

export interface JobManifest {
  location: { objectArn: string; etag: string; objectVersionId?: string };
  format: string;
  fields: string[];
}

export interface JobReport {
  bucket: string;
  enabled: boolean;
  format: string;
  prefix: string;
  reportScope: string;
}

export interface JobProgress {
  totalTasks: number;
  succeededTasks: number;
  failedTasks: number;
}

export interface JobFailure {
  code: string;
  reason: string;
}

/** What DescribeJob and a ListJobs member both say about a job. */
interface JobBasics {
  id: string;
  status: JobStatus;
  priority: number;
  description: string;
  creationTime?: string;
  terminationDate?: string;
}

/** A job as DescribeJob returns it. Optional fields are absent when COS did not send them. */
export interface Job extends JobBasics {
  confirmationRequired: boolean;
  operation: JobOperation;
  manifest?: JobManifest;
  report?: JobReport;
  roleArn?: string;
  progress: JobProgress;
  failureReasons: JobFailure[];
  statusUpdateReason?: string;
  suspendedCause?: string;
  suspendedDate?: string;
}

/** A job as one ListJobs member returns it (a summary: no manifest, report or failure reasons). */
export interface JobSummary extends JobBasics {
  /** The operation element name as listed, e.g. `COSPutObjectCopy`. */
  operation: string;
  progress: JobProgress;
}

/** A ListJobs member that could not be read: skipped, so one odd job cannot hide the others. */
export interface ListJobsBadMember {
  /** Position among the page's members, from 0. */
  index: number;
  /** The JobId as listed (sanitised for display), when there was one. */
  jobId?: string;
  /** What was wrong with it. */
  problem: string;
}

export interface ListJobsPage {
  jobs: JobSummary[];
  nextToken?: string;
  /** Members left out of `jobs`; absent when every member was readable. */
  badMembers?: ListJobsBadMember[];
}

export interface ListJobsOptions {
  status?: KnownJobStatus;
  maxResults?: number;
  nextToken?: string;
}

export interface ListAllJobsOptions extends Omit<ListJobsOptions, 'nextToken'> {
  /** Refuse to fetch more pages than this (a server that never ends). Default: the client's maxPages. */
  maxPages?: number;
  /**
   * Told about each member skipped because it could not be read (no JobId, a non-numeric Priority, a
   * JobId unsafe to use as a key or path); the listing carries on without it.
   */
  onBadMember?: (bad: ListJobsBadMember & { region: string; page: number }) => void;
}

export interface UpdateJobStatusResult {
  jobId: string;
  status: JobStatus;
  statusUpdateReason?: string;
  requestId?: string;
}

/**
 * Outcome of UpdateJobStatus after reconciliation: when the call itself failed ambiguously
 * (timeout, reset, 5xx) the client re-reads the job and says whether the change took effect.
 * `unknown` includes a read-back that does not show the change yet after a timeout or reset: the
 * request may still be applied later, so the caller keeps its intent and checks again.
 */
export type StatusUpdateOutcome =
  | { kind: 'applied'; result: UpdateJobStatusResult; reconciled: boolean }
  | { kind: 'not_applied'; error: Error; observedStatus?: JobStatus }
  | { kind: 'unknown'; error: Error; observedStatus?: JobStatus };

/**
 * The port the approval engine depends on, one per configured region. The undici client implements it;
 * tests of the core may hand in any object that does.
 */
export interface CosJobsApi {
  readonly region: string;
  listJobs(options?: ListJobsOptions): Promise<ListJobsPage>;
  listAllJobs(options?: ListAllJobsOptions): AsyncIterable<JobSummary>;
  describeJob(jobId: string): Promise<Job>;
  updateJobStatus(
    jobId: string,
    requested: RequestedJobStatus,
    reason?: string,
  ): Promise<StatusUpdateOutcome>;
}

/**
 * Which states show that a requested change took effect, used when the UpdateJobStatus call itself
 * failed ambiguously and the job was read back.
 *
 * - Ready (approve): applied once the job is past Suspended and not being cancelled (Ready, Active,
 *   Pausing, Paused, Completing, Complete, Failing, Failed). Still New/Preparing/Suspended, or
 *   Cancelling/Cancelled (someone cancelled it), means the approval did not take.
 * - Cancelled: applied when Cancelling or Cancelled. Any other status means it did not take; asking
 *   again is harmless (COS refuses a second cancel with InvalidRequest at worst).
 * - A status cosjob does not know is 'unknown': better to ask a person than to guess.
 */
export function statusUpdateTookEffect(
  requested: RequestedJobStatus,
  observed: JobStatus,
): 'applied' | 'not_applied' | 'unknown' {
  if (!isKnownJobStatus(observed)) return 'unknown';
  if (requested === 'Cancelled') {
    return observed === 'Cancelling' || observed === 'Cancelled' ? 'applied' : 'not_applied';
  }
  switch (observed) {
    case 'New':
    case 'Preparing':
    case 'Suspended':
    case 'Cancelling':
    case 'Cancelled':
      return 'not_applied';
    default:
      return 'applied';
  }
}
