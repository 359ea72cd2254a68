/**
 * Does the chain in Redis still contain every checkpoint written outside it?
 *
 * A checkpoint (seq S, hash H, stream id X) is contained when the global stream's entry X exists and
 * claims seq S with hash H. Otherwise:
 *   beyond_head     — the chain now ends before S: the newest entries were cut (or the whole trail lost);
 *   different_entry — the chain reaches S but holds something else there (no entry at X, or one with
 *                     another seq or hash): history up to S was rewritten;
 *   unauthentic     — with AUDIT_HMAC_KEY, a checkpoint whose MAC does not match (or posted to Slack by
 *                     someone other than cosjob's bot): not cosjob's, so not used;
 *   unreadable      — a line or message that is not a checkpoint.
 * Checkpoints of other trails (another REDIS_KEY_PREFIX sharing the file or channel) are skipped.
 * This checks containment only; the chain itself is verified by `verify` (run both).
 */
import { readFile } from 'node:fs/promises';
import type { StreamRecord } from '../redis/replies.js';
import { type AuditCheckpoint, type CheckpointSigner, parseCheckpoint } from './checkpoints.js';
import { decodeEntry } from './codec.js';

/** A checkpoint and where it was read from (e.g. "line 3", "Slack message 1700000000.000100"). */
export interface LoadedCheckpoint {
  checkpoint: AuditCheckpoint;
  where: string;
  /** Set by a source that knows the checkpoint was not written by cosjob (e.g. posted by another user). */
  foreignAuthor?: string;
}

export interface UnreadableCheckpoint {
  where: string;
  detail: string;
}

export interface CheckpointSet {
  checkpoints: LoadedCheckpoint[];
  unreadable: UnreadableCheckpoint[];
  /** Something the source could not read completely (e.g. Slack history without a cursor). */
  warnings: string[];
}

export type CheckpointProblem =
  | { kind: 'beyond_head'; where: string; seq: number; detail: string }
  | { kind: 'different_entry'; where: string; seq: number; detail: string }
  | { kind: 'unauthentic'; where: string; seq: number; detail: string }
  | { kind: 'unreadable'; where: string; detail: string };

export interface CheckpointReport {
  ok: boolean;
  /** Checkpoints of this trail that were checked against the chain. */
  checked: number;
  contained: number;
  /** Contained or not, checkpoints without a MAC although a key is set (written before it was?). */
  unsigned: number;
  /** Checkpoints of other trails, skipped. */
  otherTrails: number;
  /** The newest checkpoint the chain contains (by seq). */
  newestContained?: AuditCheckpoint;
  problems: CheckpointProblem[];
  warnings: string[];
}

/** The reads checking needs (ChainReads provides them). */
export interface CheckpointChain {
  globalRecord(streamId: string): Promise<StreamRecord | undefined>;
  lastGlobalRecord(): Promise<StreamRecord | undefined>;
}

export interface VerifyCheckpointsOptions {
  signer: CheckpointSigner;
  /** The trail being checked: REDIS_KEY_PREFIX. */
  trail: string;
}

function short(hash: string): string {
  return `${hash.slice(0, 16)}…`;
}

export async function verifyAgainstCheckpoints(
  chain: CheckpointChain,
  set: CheckpointSet,
  options: VerifyCheckpointsOptions,
): Promise<CheckpointReport> {
  const problems: CheckpointProblem[] = set.unreadable.map((u) => ({ kind: 'unreadable', ...u }));
  let checked = 0;
  let contained = 0;
  let unsigned = 0;
  let otherTrails = 0;
  let newestContained: AuditCheckpoint | undefined;
  const last = await chain.lastGlobalRecord();
  const lastDecoded = last === undefined ? undefined : decodeEntry(last);
  const endSeq = lastDecoded?.ok ? lastDecoded.entry.seq : undefined;
  const ordered = [...set.checkpoints].sort((a, b) => a.checkpoint.seq - b.checkpoint.seq);

  for (const { checkpoint, where, foreignAuthor } of ordered) {
    if (checkpoint.trail !== options.trail) {
      otherTrails += 1;
      continue;
    }
    const { seq } = checkpoint;
    const label = `checkpoint of seq ${seq} (hash ${short(checkpoint.headHash)}, written ${checkpoint.time}, ${where})`;
    if (foreignAuthor !== undefined) {
      problems.push({ kind: 'unauthentic', where, seq, detail: `${label} was ${foreignAuthor}: not used` });
      continue;
    }
    const authenticity = options.signer.check(checkpoint);
    if (authenticity === 'invalid') {
      problems.push({
        kind: 'unauthentic',
        where,
        seq,
        detail: `${label} has a MAC that does not match AUDIT_HMAC_KEY: it was forged, altered or made with another key, and is not used`,
      });
      continue;
    }
    if (authenticity === 'unsigned') unsigned += 1;
    checked += 1;
    const record = await chain.globalRecord(checkpoint.streamId);
    const decoded = record === undefined ? undefined : decodeEntry(record);
    if (decoded?.ok && decoded.entry.seq === seq && decoded.entry.hash === checkpoint.headHash) {
      contained += 1;
      if (newestContained === undefined || seq >= newestContained.seq) newestContained = checkpoint;
      continue;
    }
    if (endSeq === undefined || endSeq < seq) {
      problems.push({
        kind: 'beyond_head',
        where,
        seq,
        detail:
          last === undefined
            ? `${label}: the chain is empty now; the trail was deleted, evicted or lost`
            : `${label}: the chain now ends at seq ${endSeq ?? '?'} (stream id ${last.id}); entries ${(endSeq ?? 0) + 1}–${seq} or more were cut and the head rolled back`,
      });
      continue;
    }
    problems.push({
      kind: 'different_entry',
      where,
      seq,
      detail:
        decoded === undefined
          ? `${label}: the chain reaches seq ${endSeq} but has no entry at stream id ${checkpoint.streamId}; history up to seq ${seq} was rewritten`
          : decoded.ok
            ? `${label}: the entry at stream id ${checkpoint.streamId} now claims seq ${decoded.entry.seq} with hash ${short(decoded.entry.hash)}; history up to seq ${seq} was rewritten`
            : `${label}: the entry at stream id ${checkpoint.streamId} is unreadable (${decoded.problem})`,
    });
  }
  return {
    ok: problems.length === 0,
    checked,
    contained,
    unsigned,
    otherTrails,
    ...(newestContained === undefined ? {} : { newestContained }),
    problems,
    warnings: set.warnings,
  };
}

/** Checkpoints from a JSON-lines file; blank lines are skipped, anything else unreadable is reported. */
export async function readCheckpointFile(path: string): Promise<CheckpointSet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(
      `cannot read checkpoints from ${path} (${code}): give the AUDIT_CHECKPOINT_FILE the bot writes`,
    );
  }
  const set: CheckpointSet = { checkpoints: [], unreadable: [], warnings: [] };
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      set.unreadable.push({ where, detail: `${where} of ${path} is not JSON` });
      return;
    }
    const parsed = parseCheckpoint(value);
    if ('problem' in parsed) set.unreadable.push({ where, detail: `${where} of ${path}: ${parsed.problem}` });
    else set.checkpoints.push({ checkpoint: parsed, where });
  });
  return set;
}

/** The report as lines for a terminal. */
export function checkpointReportLines(source: string, report: CheckpointReport): string[] {
  const lines: string[] = [];
  const summary = `${report.contained} of ${report.checked} checkpoints from ${source} are in the chain`;
  const newest = report.newestContained
    ? ` (newest: seq ${report.newestContained.seq}, ${report.newestContained.time})`
    : '';
  lines.push(`${report.ok ? '✔' : '✘'} checkpoints: ${summary}${newest}`);
  for (const problem of report.problems) lines.push(`  ✘ ${problem.kind} — ${problem.detail}`);
  if (report.unsigned > 0) {
    lines.push(
      `  note: ${report.unsigned} checkpoints carry no MAC although AUDIT_HMAC_KEY is set (written before the key was?)`,
    );
  }
  if (report.otherTrails > 0)
    lines.push(`  note: ${report.otherTrails} checkpoints of other trails were skipped`);
  for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
  if (report.checked === 0 && report.problems.length === 0) {
    lines.push('  warning: no checkpoint of this trail was found, so nothing outside Redis vouches for it');
  }
  return lines;
}
