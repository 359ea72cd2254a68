/**
 * What a decision is, for everyone who asks for one or reads one back: the request, the outcome (codes and
 * data only; the Slack layer and the CLI put them into words), and what is kept in Redis while and after
 * it is made.
 */
import type { AuditActor, AuditEntry } from '../audit/types.js';
import type { CosErrorDetails } from '../cos/errors.js';
import type { JobStatus, RequestedJobStatus } from '../cos/model.js';

export type DecisionAction = 'approve' | 'cancel';
export type DecisionSource = 'slack-button' | 'slack-modal' | 'slash-command' | 'cli' | 'watcher';

/**
 * The most a person may write as a reason, in UTF-8 bytes: what the cancel dialog and `/cosjob` accept and
 * what the dialog's hint promises. COS keeps its own 256-byte statusUpdateReason, of which the reason is
 * the tail after "cancelled by <name> (<id>) via Slack:", so COS may keep less of it than the audit does.
 */
export const MAX_REASON_BYTES = 256;

/**
 * A reason as cosjob keeps it: line breaks written as CRLF or CR (Windows clients, pasted text) become
 * LF, so a multi-line reason is stored the same whoever typed it. Tab and LF are kept; the audit accepts
 * them.
 */
export function normaliseReason(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export interface DecisionRequest {
  /** The account's name in cosjob (`default` for environment-only configuration). */
  account: string;
  region: string;
  jobId: string;
  action: DecisionAction;
  actor: AuditActor;
  reason?: string;
  source: DecisionSource;
  /** Buttons point at a job cosjob announced: anything else is refused as unknown or foreign. */
  requireAnnouncedJob?: boolean;
  /** Where the gesture physically came from, kept in the audit (e.g. the OS user and host of a CLI call). */
  origin?: string;
}

export type RefusalCode =
  | 'invalid_input'
  | 'unknown_account'
  | 'unknown_region'
  | 'not_approver'
  | 'unknown_job'
  | 'already_voted'
  | 'busy'
  | 'already_decided'
  | 'job_changed'
  | 'not_suspended'
  | 'finished'
  | 'reason_required';

/** Which part of the request was malformed (`invalid_input`). */
export type InputProblem =
  | 'job_id'
  | 'action'
  | 'reason_too_long'
  /** NUL, ESC, DEL and other control characters besides tab and newline, which the audit refuses. */
  | 'reason_control_characters'
  /** Something else in the request the audit trail would refuse (e.g. an actor id that is not a token). */
  | 'audit_entry';

/** Why the policy refused (`not_approver`). */
export type PolicyRefusal = 'not_listed' | 'membership_unknown' | 'system_reserved';

export type FailureCode = 'store_unavailable' | 'cos_error' | 'result_unknown';

export type DecisionResult =
  | {
      kind: 'approved' | 'cancelled';
      account: string;
      region: string;
      jobId: string;
      cosStatus: JobStatus;
      requestId?: string;
      approverIds: string[];
      /** False when COS accepted but the result entry could not be written; the reconciler will write it. */
      auditRecorded: boolean;
    }
  | {
      kind: 'vote_recorded';
      account: string;
      region: string;
      jobId: string;
      votes: number;
      required: number;
      voterIds: string[];
      /** The rule whose approvals are being counted. */
      rule?: string;
    }
  | Refusal
  | {
      kind: 'failed';
      code: FailureCode;
      /** store_unavailable: whether a record was damaged rather than Redis unreachable. */
      damagedRecord?: boolean;
      /** cos_error: which call failed. */
      cosCall?: 'DescribeJob' | 'UpdateJobStatus';
      cos?: CosErrorDetails;
    };

export interface Refusal {
  kind: 'refused';
  code: RefusalCode;
  problem?: InputProblem;
  policy?: PolicyRefusal;
  /** unknown_region: the regions configured for the request's account. */
  configuredRegions?: string[];
  /** unknown_account: the accounts configured. */
  configuredAccounts?: string[];
  /** busy: who holds the claim and what they are doing; already_decided: who decided, what and when. */
  heldBy?: AuditActor;
  heldAction?: DecisionAction;
  decidedAt?: string;
  votes?: number;
  required?: number;
  /** not_suspended, finished: the status COS reports. */
  cosStatus?: JobStatus;
  /** job_changed: what differs from what the card showed. */
  changes?: string[];
  /** The approval rule the refusal was judged by, when one was known (reason_required names it). */
  rule?: string;
}

/** A result with the audit entries this decision wrote, in order, so callers can echo them once. */
export type DecisionOutcome = DecisionResult & { entries: AuditEntry[] };

/** Written before COS is called; a result entry (or the reconciler) settles it. */
export interface Intent {
  intentId: string;
  account: string;
  region: string;
  jobId: string;
  action: DecisionAction;
  requested: RequestedJobStatus;
  actor: AuditActor;
  reason?: string;
  source: DecisionSource;
  startedAt: number;
}

/** What a job was decided as, once COS accepted it. */
export interface StoredDecision {
  action: DecisionAction;
  actor: AuditActor;
  reason?: string;
  approverIds: string[];
  at: string;
  cosStatus: string;
}

/** Who holds a job's claim while their act is in flight. */
export interface ClaimHolder {
  intentId: string;
  actor: AuditActor;
  action: DecisionAction;
  at: string;
}
