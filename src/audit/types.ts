/** The audit trail's public contract. The Redis implementation lives beside this file. */

export type AuditAction =
  | 'posted'
  | 'approve_vote'
  | 'approve_requested'
  | 'approved'
  | 'cancel_requested'
  | 'cancelled'
  | 'denied'
  | 'failed'
  | 'status_changed'
  | 'changed_outside'
  | 'reminded'
  | 'expired'
  | 'reconciled'
  | 'finished';

export interface AuditActor {
  /** Slack user id, or 'system' for the bot itself. */
  id: string;
  /** Display name at the time of the act. */
  name: string;
}

export interface AuditEntryInput {
  /** Client-generated unique id: appending the same id twice stores one entry. Generated when absent. */
  entryId?: string;
  actor: AuditActor;
  action: AuditAction;
  region: string;
  jobId: string;
  reason?: string;
  /** e.g. 'intent', 'ok', 'refused', 'error', 'applied', 'not_applied', 'unknown'. */
  outcome?: string;
  cosStatus?: string;
  cosRequestId?: string;
  cosErrorCode?: string;
  /** Where the act came from: 'slack-button', 'slack-modal', 'slash-command', 'cli', 'watcher'... */
  source?: string;
  /** Links a result entry to the intent entry it completes. */
  intentId?: string;
}

export interface AuditEntry
  extends Required<Pick<AuditEntryInput, 'entryId' | 'actor' | 'action' | 'region' | 'jobId'>> {
  reason?: string;
  outcome?: string;
  cosStatus?: string;
  cosRequestId?: string;
  cosErrorCode?: string;
  source?: string;
  intentId?: string;
  /** ISO-8601 UTC. */
  time: string;
  /** Position in the global chain, from 1. */
  seq: number;
  /** Position in this job's chain, from 1. */
  jobSeq: number;
  prevHash: string;
  jobPrevHash: string;
  hash: string;
  /** The Redis stream id of the entry in the global stream. */
  streamId: string;
}

export type AuditScope = { kind: 'global' } | { kind: 'job'; region: string; jobId: string };

/**
 * `seq` and `afterSeq` are positions in the chain being verified: the global seq for `{ kind: 'global' }`,
 * the job's jobSeq for `{ kind: 'job' }`. `malformed.streamId` is the unreadable entry's stream id, or the
 * head key's name when the head record itself is unreadable.
 */
export type VerifyProblem =
  | { kind: 'edited'; seq: number; streamId: string; detail: string }
  | { kind: 'inserted'; seq: number; streamId: string; detail: string }
  | { kind: 'removed'; afterSeq: number; detail: string }
  | { kind: 'truncated'; detail: string }
  | { kind: 'malformed'; streamId: string; detail: string };

export interface VerifyResult {
  ok: boolean;
  /** Entries verified intact (before the problem, when there is one). */
  entries: number;
  headHash?: string;
  /** The first problem found, walking from the oldest entry. */
  problem?: VerifyProblem;
}

export interface AuditTrail {
  append(input: AuditEntryInput): Promise<AuditEntry>;
  history(region: string, jobId: string): Promise<AuditEntry[]>;
  /** Global entries with from <= time < to (ISO-8601 or epoch ms), oldest first. */
  range(from: number, to: number, limit?: number): Promise<AuditEntry[]>;
  verify(scope: AuditScope): Promise<VerifyResult>;
}
