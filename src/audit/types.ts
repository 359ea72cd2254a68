/** The audit trail's public contract. The Redis implementation lives beside this file. */

import type { JobRef } from '../jobs/job-ref.js';
import type { NewestEntries, NewestEntriesQuery } from './recent.js';

export type { NewestEntries, NewestEntriesQuery } from './recent.js';

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
  | 'finished'
  /** The rule chosen for a waiting job differs from the one its votes were cast under. */
  | 'rule_changed';

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
  /** The job's account (`default` for environment-only configuration and for entries older than accounts). */
  account: string;
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
  /** The approval rule the act was judged by (votes, decisions, refusals where the rule was known). */
  rule?: string;
  /** The hash of that rule as applied (src/rules/hash.ts), so a later reader can tell it changed. */
  ruleHash?: string;
}

type AlwaysRecorded = 'entryId' | 'actor' | 'action' | 'account' | 'region' | 'jobId';

/** An entry as stored: the input's fields (the optional ones only when given) plus its place in the chains. */
export interface AuditEntry
  extends Required<Pick<AuditEntryInput, AlwaysRecorded>>,
    Omit<AuditEntryInput, AlwaysRecorded> {
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

export type AuditScope = { kind: 'global' } | { kind: 'job'; account: string; region: string; jobId: string };

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
  | { kind: 'malformed'; streamId: string; detail: string }
  // Cross-checks between the global chain, the job chains, the entryId index and cosjob's other records
  // (src/audit/cross-check.ts). In these kinds `seq` is always the entry's global seq.
  /**
   * The global chain ends at `afterSeq`, but entry `streamId` (kept in a job chain or the entryId index)
   * comes after it: the newest global entries were cut and the head rolled back.
   */
  | { kind: 'rolled_back'; afterSeq: number; streamId: string; detail: string }
  /** The global chain and a job chain hold different entries at one seq or stream id. */
  | { kind: 'diverged'; seq: number; streamId: string; detail: string }
  /** A global entry is missing from its job's chain. */
  | { kind: 'missing_from_job'; seq: number; streamId: string; detail: string }
  /** The entryId index and the global chain disagree (an entry not indexed, or indexed at the wrong id). */
  | { kind: 'misindexed'; entryId: string; streamId: string; detail: string }
  /**
   * History cosjob knows of is not in the trail: the trail (or a job's chain) is empty, or lacks the entry
   * recording a decision, although job records, decisions or job chains show there was one.
   */
  | { kind: 'lost'; detail: string };

export interface VerifyResult {
  ok: boolean;
  /** Entries verified intact (before the problem, when there is one). */
  entries: number;
  headHash?: string;
  /** The first problem found, walking from the oldest entry. */
  problem?: VerifyProblem;
  /** Set when a global verification found the problem in one job's chain (its seq is then the job seq). */
  job?: { account: string; region: string; jobId: string };
}

export interface AuditTrail {
  append(input: AuditEntryInput): Promise<AuditEntry>;
  history(ref: JobRef): Promise<AuditEntry[]>;
  /** Global entries with from <= time < to (ISO-8601 or epoch ms), oldest first. */
  range(from: number, to: number, limit?: number): Promise<AuditEntry[]>;
  verify(scope: AuditScope): Promise<VerifyResult>;
  /** The newest global entries with one of `actions`, newest first, reading at most `scanLimit` entries. */
  newest(query: NewestEntriesQuery): Promise<NewestEntries>;
}
