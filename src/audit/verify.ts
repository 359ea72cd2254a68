/**
 * Walking a hash chain from its oldest entry and naming the first problem.
 *
 * For each entry, in stream order, against the last entry accepted so far ("prev", seq 0 and the genesis
 * hash before the first):
 *   fits      = its hash matches its fields, its seq is prev.seq + 1 and its prevHash is prev's hash.
 *   A fitting entry is accepted. Otherwise, in this order:
 *   inserted  — the entry after it fits directly after prev (so this one is an intruder), or its seq is
 *               not greater than prev's (a repeat), or it belongs to another job, or it comes after the
 *               recorded head (appended outside cosjob). When it has a valid hash and forks from the same
 *               predecessor as prev, whichever of the two the chain does not continue from is named;
 *   removed   — its seq skips ahead: the entries in between are missing (afterSeq = prev.seq);
 *   edited    — its seq is right but its hash does not match its fields (a field, or its prevHash, was
 *               changed); or its hash is right but it links to a different predecessor, which means prev
 *               was replaced with a recomputed hash (only possible without the HMAC key);
 *   malformed — it cannot be read at all.
 * After the last entry:
 *   truncated — the head read before the walk is further along than the stream (the newest entries were
 *               removed), or the head record is missing while entries exist. A head re-read during the
 *               walk (entries were appended meanwhile) only extends what is accepted, never what must be.
 *
 * "seq" in a problem is the position in the chain being verified: the global seq, or the job's jobSeq.
 */
import { type JobRef, jobRefLabel } from '../jobs/job-ref.js';
import type { StreamRecord } from '../redis/replies.js';
import { type DecodedEntry, decodeEntry } from './codec.js';
import { type EntryHasher, GENESIS_HASH } from './hash.js';
import type { AuditEntry, VerifyProblem, VerifyResult } from './types.js';

export type HeadState =
  | { kind: 'present'; seq: number; hash: string; streamId: string }
  | { kind: 'missing' }
  | { kind: 'unreadable'; key: string; detail: string };

export interface ChainSpec {
  /** For messages, e.g. "global chain" or "chain of job ap-guangzhou/…". */
  label: string;
  seqOf(entry: AuditEntry): number;
  prevOf(entry: AuditEntry): string;
  /** Why an entry does not belong in this chain at all, or undefined when it does. */
  foreign(entry: AuditEntry): string | undefined;
}

export const GLOBAL_CHAIN: ChainSpec = {
  label: 'global chain',
  seqOf: (e) => e.seq,
  prevOf: (e) => e.prevHash,
  foreign: () => undefined,
};

export function jobChain(ref: JobRef): ChainSpec {
  return {
    label: `chain of job ${jobRefLabel(ref)}`,
    seqOf: (e) => e.jobSeq,
    prevOf: (e) => e.jobPrevHash,
    foreign: (e) =>
      e.account === ref.account && e.region === ref.region && e.jobId === ref.jobId
        ? undefined
        : `it belongs to job ${jobRefLabel(e)}`,
  };
}

/** Stream records one at a time, with a look at the next one. */
export interface RecordCursor {
  next(): Promise<StreamRecord | undefined>;
  peek(): Promise<StreamRecord | undefined>;
}

export interface WalkOptions {
  records: RecordCursor;
  spec: ChainSpec;
  hasher: EntryHasher;
  /** The head as read before the first record. */
  head: HeadState;
  /** Re-reads the head: entries appended while verifying are legitimate if the head moved past them. */
  refreshHead(): Promise<HeadState>;
}

interface Accepted {
  seq: number;
  hash: string;
  streamId: string | undefined;
}

function describe(seq: number, streamId: string | undefined): string {
  return streamId === undefined ? 'the start of the chain' : `seq ${seq} (stream id ${streamId})`;
}

export async function walkChain(options: WalkOptions): Promise<VerifyResult> {
  const { records, spec, hasher } = options;
  let head = options.head;
  let prev: Accepted = { seq: 0, hash: GENESIS_HASH, streamId: undefined };
  /** The entry accepted before prev, to tell which of two forked entries is the intruder. */
  let before: Accepted | undefined;
  let verified = 0;
  const fail = (problem: VerifyProblem): VerifyResult => ({ ok: false, entries: verified, problem });

  const fitsAfter = (decoded: DecodedEntry, after: Accepted): boolean =>
    decoded.ok &&
    spec.foreign(decoded.entry) === undefined &&
    spec.seqOf(decoded.entry) === after.seq + 1 &&
    spec.prevOf(decoded.entry) === after.hash &&
    hasher.hash(decoded.fields) === decoded.entry.hash;

  for (;;) {
    const record = await records.next();
    if (record === undefined) break;
    const decoded = decodeEntry(record);
    if (!decoded.ok) {
      return fail({
        kind: 'malformed',
        streamId: record.id,
        detail: `${decoded.problem} in the ${spec.label}`,
      });
    }
    const { entry } = decoded;
    const seq = spec.seqOf(entry);
    const at = `entry ${record.id} (claims seq ${seq})`;

    const foreign = spec.foreign(entry);
    if (foreign !== undefined) {
      return fail({
        kind: 'inserted',
        seq: prev.seq + 1,
        streamId: record.id,
        detail: `${at} does not belong in the ${spec.label}: ${foreign}`,
      });
    }

    if (head.kind === 'present' && prev.seq >= head.seq) {
      head = await options.refreshHead();
      if (head.kind === 'present' && prev.seq >= head.seq) {
        return fail({
          kind: 'inserted',
          seq: prev.seq + 1,
          streamId: record.id,
          detail: `${at} comes after the recorded head, ${describe(head.seq, head.streamId)}: it was appended outside cosjob`,
        });
      }
    }

    const hashOk = hasher.hash(decoded.fields) === entry.hash;
    const linked = seq === prev.seq + 1 && spec.prevOf(entry) === prev.hash;
    if (hashOk && linked) {
      if (head.kind === 'present' && seq === head.seq && entry.hash !== head.hash) {
        return fail({
          kind: 'edited',
          seq,
          streamId: record.id,
          detail: `${at} has a valid hash but not the one the head records: it was replaced after being written`,
        });
      }
      before = prev;
      prev = { seq, hash: entry.hash, streamId: record.id };
      verified += 1;
      continue;
    }

    const nextRecord = await records.peek();
    const next = nextRecord === undefined ? undefined : decodeEntry(nextRecord);
    if (hashOk && before !== undefined && seq === prev.seq && spec.prevOf(entry) === before.hash) {
      // A fork: this entry and the accepted prev both claim to follow `before`. Only without the HMAC key
      // can a forged entry carry a valid hash; the chain that continues (or the head) tells which is real.
      const current: Accepted = { seq, hash: entry.hash, streamId: record.id };
      const continuesFromThis =
        (next !== undefined && fitsAfter(next, current)) ||
        (next === undefined && head.kind === 'present' && head.hash === entry.hash);
      const intruder = continuesFromThis ? prev : current;
      if (continuesFromThis) verified -= 1;
      return fail({
        kind: 'inserted',
        seq: intruder.seq,
        streamId: intruder.streamId ?? record.id,
        detail:
          `two entries claim seq ${seq} after ${describe(before.seq, before.streamId)}: ` +
          `${intruder.streamId} is the one the rest of the chain does not continue from (forged with a recomputed hash)`,
      });
    }
    if (next !== undefined && nextRecord !== undefined && fitsAfter(next, prev)) {
      return fail({
        kind: 'inserted',
        seq: prev.seq + 1,
        streamId: record.id,
        detail: `${at} sits between ${describe(prev.seq, prev.streamId)} and the entry that follows it (${nextRecord.id})`,
      });
    }
    if (seq <= prev.seq) {
      return fail({
        kind: 'inserted',
        seq: prev.seq + 1,
        streamId: record.id,
        detail: `${at} repeats a seq already used before it, after ${describe(prev.seq, prev.streamId)}`,
      });
    }
    if (seq > prev.seq + 1) {
      const missing = seq - prev.seq - 1;
      return fail({
        kind: 'removed',
        afterSeq: prev.seq,
        detail:
          `${missing === 1 ? `seq ${prev.seq + 1} is` : `seqs ${prev.seq + 1}–${seq - 1} are`} missing: ` +
          `after ${describe(prev.seq, prev.streamId)} comes ${at}`,
      });
    }
    if (!hashOk) {
      const linkNote =
        spec.prevOf(entry) === prev.hash ? '' : ' (its link to the previous entry was changed too)';
      return fail({
        kind: 'edited',
        seq,
        streamId: record.id,
        detail: `${at} was changed after it was written: ${hasher.explainMismatch(decoded.fields, entry.hash)}${linkNote}`,
      });
    }
    if (prev.streamId === undefined) {
      return fail({
        kind: 'inserted',
        seq,
        streamId: record.id,
        detail: `${at} is first but does not start from the genesis hash: it was forged with a recomputed hash`,
      });
    }
    return fail({
      kind: 'edited',
      seq: prev.seq,
      streamId: prev.streamId,
      detail:
        `${at} links to a different version of ${describe(prev.seq, prev.streamId)}: that entry was replaced ` +
        'and its hash recomputed (possible only without AUDIT_HMAC_KEY)',
    });
  }

  if (head.kind === 'unreadable') {
    return fail({
      kind: 'malformed',
      streamId: head.key,
      detail: `the head record is unreadable: ${head.detail}`,
    });
  }
  if (head.kind === 'missing') {
    if (verified === 0) return { ok: true, entries: 0 };
    return fail({
      kind: 'truncated',
      detail: `the head record of the ${spec.label} is missing, so removal of the newest entries cannot be ruled out (the chain ends at ${describe(prev.seq, prev.streamId)})`,
    });
  }
  // A head re-read during the walk may be ahead of the pages already read: entries appended while
  // verifying are checked next time. Only the head read before the stream vouches for what it must hold.
  const initial = options.head;
  if (prev.seq < head.seq && initial.kind === 'present' && prev.seq >= initial.seq && verified > 0) {
    return { ok: true, entries: verified, headHash: prev.hash };
  }
  if (prev.seq < head.seq) {
    const missing = head.seq - prev.seq;
    return fail({
      kind: 'truncated',
      detail:
        `the ${spec.label} ends at ${verified === 0 ? 'nothing (the stream is empty)' : describe(prev.seq, prev.streamId)} ` +
        `but its head records seq ${head.seq} (stream id ${head.streamId}): the newest ${missing === 1 ? 'entry was' : `${missing} entries were`} removed`,
    });
  }
  return { ok: true, entries: verified, headHash: prev.hash };
}
