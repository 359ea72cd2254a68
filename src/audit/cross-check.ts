/**
 * Verification that goes beyond walking one chain: the global chain, the job chains and the entryId
 * index are three copies of one history (the append script writes all three at once), so each is checked
 * against the others, and cosjob's other records (decisions, job records with a posted card) show whether
 * there was history at all.
 *
 * Why: walking a chain only proves it is consistent with its own head. Someone with Redis access who cuts
 * the newest global entries and rolls the head back leaves a chain that walks clean; the cut entries are
 * still in the job streams and the index. Someone who deletes every audit key leaves an empty trail that
 * walks clean; the engine's decisions and job records are still there.
 *
 * Global scope, in order (the first problem is reported):
 *   1. the global chain walks clean (verify.ts);
 *   2. every global entry is in its job's stream under the same stream id with the same fields, and the
 *      index maps its entryId to that id (`missing_from_job`, `diverged`, `misindexed`);
 *   3. every job chain (found by SCAN, so chains the global stream no longer mentions count too) walks
 *      clean on its own (the walk's kinds, with `job` set on the result);
 *   4. every job-stream entry and every index entry is in the global chain (`rolled_back` when it comes
 *      after the end of the global chain, `lost` when the global chain is empty, `diverged`/`misindexed`
 *      otherwise);
 *   5. every decision the engine recorded has its result entry in the job's chain, and an empty trail has
 *      no job record with a posted card (`lost`). Decisions are written only after the result entry
 *      (approved/cancelled, or reconciled with outcome applied), and a card only just before its `posted`
 *      entry, so either without its entry means the entry is gone.
 * Job scope: the job chain walks clean, each of its entries is in the global chain, each global entry of
 * the job is in it, and a decision has its result entry. This reads the whole global stream once.
 *
 * Entries appended while verifying are legitimate: a job-stream or index entry missing from the global
 * chain is looked up again at the moment it is checked, so one appended meanwhile is found.
 */

import type { RedisClient } from '../redis/connection.js';
import type { KeySpace } from '../redis/keys.js';
import type { StreamRecord } from '../redis/replies.js';
import { ChainReads, compareStreamIds, type JobRef, jobLabel } from './chain-reads.js';
import { decodeEntry } from './codec.js';
import type { AuditEntry, AuditScope, AuditTrail, VerifyProblem, VerifyResult } from './types.js';

export interface AuditVerifierOptions {
  keys: KeySpace;
  /** Walks single chains (RedisAuditTrail). */
  trail: Pick<AuditTrail, 'verify'>;
  /** Entries read per XRANGE call (default 500). */
  pageSize?: number;
}

const RESULT_ACTIONS = new Set(['approved', 'cancelled']);
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

function sameRecord(a: StreamRecord, b: StreamRecord): boolean {
  return a.id === b.id && JSON.stringify(a.fields) === JSON.stringify(b.fields);
}

/** Names the first field two copies of an entry disagree on. */
function firstDifference(a: StreamRecord, b: StreamRecord): string {
  const left = new Map(a.fields);
  const right = new Map(b.fields);
  for (const name of new Set([...left.keys(), ...right.keys()])) {
    if (left.get(name) !== right.get(name)) return `field ${name} differs`;
  }
  return 'the order of its fields differs';
}

function claimedSeq(record: StreamRecord): number | undefined {
  const decoded = decodeEntry(record);
  return decoded.ok ? decoded.entry.seq : undefined;
}

function recordsResult(entry: AuditEntry): boolean {
  return RESULT_ACTIONS.has(entry.action) || (entry.action === 'reconciled' && entry.outcome === 'applied');
}

class Found {
  constructor(readonly problem: VerifyProblem) {}
}

export class AuditVerifier {
  private readonly reads: ChainReads;
  private readonly keys: KeySpace;
  private readonly trail: Pick<AuditTrail, 'verify'>;
  private readonly pageSize: number;

  constructor(redis: RedisClient, options: AuditVerifierOptions) {
    this.reads = new ChainReads(redis, options.keys);
    this.keys = options.keys;
    this.trail = options.trail;
    this.pageSize = options.pageSize ?? 500;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new RangeError('pageSize must be a whole number of at least 1');
    }
  }

  async verify(scope: AuditScope): Promise<VerifyResult> {
    if (scope.kind === 'global') return this.verifyGlobal();
    if (scope.kind === 'job')
      return this.verifyJob({ account: scope.account, region: scope.region, jobId: scope.jobId });
    throw new RangeError("verify needs { kind: 'global' } or { kind: 'job', account, region, jobId }");
  }

  private async verifyGlobal(): Promise<VerifyResult> {
    const chain = await this.trail.verify({ kind: 'global' });
    if (!chain.ok) return chain;
    const fail = (problem: VerifyProblem, job?: JobRef): VerifyResult => ({
      ok: false,
      entries: chain.entries,
      problem,
      ...(job === undefined ? {} : { job }),
    });
    try {
      const counts = await this.checkGlobalCopies(chain.entries);
      const { jobs, foreign } = await this.reads.auditJobs();
      if (foreign[0] !== undefined) {
        return fail({
          kind: 'malformed',
          streamId: foreign[0],
          detail: `key ${foreign[0]} is under the audit keys but is not one cosjob writes`,
        });
      }
      const all = new Map<string, JobRef>(jobs.map((job) => [jobLabel(job), job]));
      for (const job of counts.jobs.values()) all.set(jobLabel(job.ref), job.ref);
      for (const job of [...all.values()].sort((a, b) => jobLabel(a).localeCompare(jobLabel(b)))) {
        const walked = await this.trail.verify({ kind: 'job', ...job });
        if (!walked.ok && walked.problem !== undefined) {
          return fail(
            { ...walked.problem, detail: `in the chain of job ${jobLabel(job)}: ${walked.problem.detail}` },
            job,
          );
        }
      }
      // Of the cut entries the job chains still hold, name the oldest: that is where the cut began.
      let earliest: (VerifyProblem & { kind: 'rolled_back' }) | undefined;
      for (const job of all.values()) {
        const seen = counts.jobs.get(jobLabel(job));
        try {
          await this.checkJobExtras(job, seen?.count ?? 0, seen?.lastId, chain.entries);
        } catch (error) {
          if (!(error instanceof Found) || error.problem.kind !== 'rolled_back') throw error;
          if (earliest === undefined || compareStreamIds(error.problem.streamId, earliest.streamId) < 0) {
            earliest = error.problem;
          }
        }
      }
      if (earliest !== undefined) throw new Found(earliest);
      await this.checkIndexExtras(chain.entries);
      await this.checkDecisions(undefined);
      if (chain.entries === 0) await this.checkCardsOfEmptyTrail();
    } catch (error) {
      if (error instanceof Found) return fail(error.problem);
      throw error;
    }
    return chain;
  }

  private async verifyJob(job: JobRef): Promise<VerifyResult> {
    const chain = await this.trail.verify({ kind: 'job', ...job });
    if (!chain.ok) return chain;
    const fail = (problem: VerifyProblem): VerifyResult => ({ ok: false, entries: chain.entries, problem });
    try {
      const stream = this.keys.auditJobStream(job);
      const own = new Map<string, StreamRecord>();
      let after: string | undefined;
      for (;;) {
        const page = await this.reads.page(stream, after, this.pageSize);
        for (const record of page) own.set(record.id, record);
        await this.checkInGlobal(job, page, undefined);
        if (page.length < this.pageSize) break;
        after = page[page.length - 1]?.id;
      }
      after = undefined;
      for (;;) {
        const page = await this.reads.page(this.keys.auditLog(), after, this.pageSize);
        for (const record of page) {
          const decoded = decodeEntry(record);
          if (
            !decoded.ok ||
            decoded.entry.account !== job.account ||
            decoded.entry.region !== job.region ||
            decoded.entry.jobId !== job.jobId
          )
            continue;
          // An entry appended after the job stream was read is there when looked up again.
          const copy = own.get(record.id) ?? (await this.reads.records(stream, [record.id]))[0];
          this.compareCopy(decoded.entry, record, copy, job);
        }
        if (page.length < this.pageSize) break;
        after = page[page.length - 1]?.id;
      }
      await this.checkDecisions(job);
    } catch (error) {
      if (error instanceof Found) return fail(error.problem);
      throw error;
    }
    return chain;
  }

  /** Step 2: every global entry up to `verified` against its job stream and the index. */
  private async checkGlobalCopies(verified: number) {
    const jobs = new Map<string, { ref: JobRef; count: number; lastId: string }>();
    let after: string | undefined;
    let checked = 0;
    while (checked < verified) {
      const page = (await this.reads.page(this.keys.auditLog(), after, this.pageSize)).slice(
        0,
        verified - checked,
      );
      if (page.length === 0) break;
      const entries = page.map((record) => {
        const decoded = decodeEntry(record);
        // The walk in step 1 read these same records; an unreadable one now was changed since.
        if (!decoded.ok) {
          throw new Found({
            kind: 'malformed',
            streamId: record.id,
            detail: `${decoded.problem} (changed while verifying)`,
          });
        }
        return decoded.entry;
      });
      const indexed = await this.reads.indexed(entries.map((e) => e.entryId));
      const byJob = new Map<string, number[]>();
      entries.forEach((entry, i) => {
        const label = jobLabel(entry);
        byJob.set(label, [...(byJob.get(label) ?? []), i]);
      });
      for (const positions of byJob.values()) {
        const first = entries[positions[0]!]!;
        const copies = await this.reads.records(
          this.keys.auditJobStream(first),
          positions.map((i) => page[i]!.id),
        );
        positions.forEach((i, n) => {
          this.compareCopy(entries[i]!, page[i]!, copies[n], first);
        });
      }
      entries.forEach((entry, i) => {
        const at = indexed[i];
        if (at === entry.streamId) return;
        throw new Found({
          kind: 'misindexed',
          entryId: entry.entryId,
          streamId: entry.streamId,
          detail:
            at === null
              ? `global seq ${entry.seq} (stream id ${entry.streamId}, entryId ${entry.entryId}) is not in the entryId index: a retried append with that entryId would be written twice`
              : `global seq ${entry.seq} (entryId ${entry.entryId}) is at stream id ${entry.streamId}, but the entryId index points at ${at}`,
        });
      });
      for (const entry of entries) {
        const label = jobLabel(entry);
        const seen = jobs.get(label) ?? {
          ref: { account: entry.account, region: entry.region, jobId: entry.jobId },
          count: 0,
          lastId: '',
        };
        seen.count += 1;
        seen.lastId = entry.streamId;
        jobs.set(label, seen);
      }
      checked += page.length;
      after = page[page.length - 1]?.id;
    }
    return { jobs };
  }

  private compareCopy(
    entry: AuditEntry,
    record: StreamRecord,
    copy: StreamRecord | undefined,
    job: JobRef,
  ): void {
    if (copy === undefined) {
      throw new Found({
        kind: 'missing_from_job',
        seq: entry.seq,
        streamId: record.id,
        detail: `global seq ${entry.seq} (stream id ${record.id}, job seq ${entry.jobSeq}) is missing from the chain of job ${jobLabel(job)}`,
      });
    }
    if (!sameRecord(record, copy)) {
      throw new Found({
        kind: 'diverged',
        seq: entry.seq,
        streamId: record.id,
        detail: `global seq ${entry.seq} (stream id ${record.id}) and its copy in the chain of job ${jobLabel(job)} differ: ${firstDifference(record, copy)}`,
      });
    }
  }

  /**
   * Each job-stream record must be in the global stream, identical. `globalEnd` is the length of the
   * verified global chain (undefined: read the end when needed).
   */
  private async checkInGlobal(job: JobRef, records: readonly StreamRecord[], globalEnd: number | undefined) {
    if (records.length === 0) return;
    const globals = await this.reads.records(
      this.keys.auditLog(),
      records.map((r) => r.id),
    );
    for (const [i, record] of records.entries()) {
      const global = globals[i];
      const seq = claimedSeq(record);
      const label = `entry ${record.id} of the chain of job ${jobLabel(job)} (claims global seq ${seq ?? '?'})`;
      if (global === undefined) {
        throw new Found(await this.absentFromGlobal(record.id, seq ?? 0, label, globalEnd));
      }
      if (!sameRecord(global, record)) {
        throw new Found({
          kind: 'diverged',
          seq: seq ?? 0,
          streamId: record.id,
          detail: `${label} differs from the global entry with that stream id: ${firstDifference(global, record)}`,
        });
      }
    }
  }

  /** What an entry kept elsewhere but absent from the global stream means, given where the chain ends. */
  private async absentFromGlobal(
    streamId: string,
    seq: number,
    label: string,
    globalEnd: number | undefined,
  ): Promise<VerifyProblem> {
    const last = await this.reads.lastGlobalRecord();
    const end = last === undefined ? 0 : (claimedSeq(last) ?? globalEnd ?? 0);
    if (last === undefined) {
      return {
        kind: 'lost',
        detail: `the global chain is empty, but ${label} exists: the global stream was deleted, evicted or lost`,
      };
    }
    if (compareStreamIds(streamId, last.id) > 0) {
      return {
        kind: 'rolled_back',
        afterSeq: end,
        streamId,
        detail: `the global chain ends at seq ${end} (stream id ${last.id}), but ${label} comes after it: the newest global entries were cut and the head rolled back`,
      };
    }
    return {
      kind: 'diverged',
      seq,
      streamId,
      detail: `${label} is not in the global chain, although the global chain covers that point (it ends at seq ${end}): the global chain holds a different history there`,
    };
  }

  /** Step 4 for one job: records beyond the `count` the global chain accounts for. */
  private async checkJobExtras(job: JobRef, count: number, lastId: string | undefined, globalEnd: number) {
    const stream = this.keys.auditJobStream(job);
    if ((await this.reads.streamLength(stream)) <= count) return;
    let after = lastId;
    for (;;) {
      const page = await this.reads.page(stream, after, this.pageSize);
      await this.checkInGlobal(job, page, globalEnd);
      if (page.length < this.pageSize) break;
      after = page[page.length - 1]?.id;
    }
  }

  /** Step 4 for the index: every entryId must point at the global entry with that entryId. */
  private async checkIndexExtras(globalEnd: number): Promise<void> {
    if ((await this.reads.indexSize()) <= globalEnd) return;
    for await (const batch of this.reads.indexBatches()) {
      const unreadable = batch.find(([, id]) => !STREAM_ID.test(id));
      if (unreadable !== undefined) {
        throw new Found({
          kind: 'misindexed',
          entryId: unreadable[0],
          streamId: unreadable[1].slice(0, 40),
          detail: `the entryId index maps ${unreadable[0]} to something that is not a stream id`,
        });
      }
      const globals = await this.reads.records(
        this.keys.auditLog(),
        batch.map(([, id]) => id),
      );
      for (const [i, [entryId, id]] of batch.entries()) {
        const global = globals[i];
        const label = `entryId ${entryId} (indexed at stream id ${id})`;
        if (global === undefined) {
          const problem = await this.absentFromGlobal(id, 0, label, globalEnd);
          throw new Found(
            problem.kind === 'diverged'
              ? {
                  kind: 'misindexed',
                  entryId,
                  streamId: id,
                  detail: `the entryId index maps ${entryId} to stream id ${id}, where the global chain has no entry`,
                }
              : problem,
          );
        }
        const decoded = decodeEntry(global);
        if (!decoded.ok || decoded.entry.entryId !== entryId) {
          throw new Found({
            kind: 'misindexed',
            entryId,
            streamId: id,
            detail: `the entryId index maps ${entryId} to stream id ${id}, which holds ${decoded.ok ? `entryId ${decoded.entry.entryId}` : 'an unreadable entry'}`,
          });
        }
      }
    }
  }

  /** Step 5: decisions without their result entry (one job, or all). */
  private async checkDecisions(only: JobRef | undefined): Promise<void> {
    const decided = only === undefined ? await this.reads.jobsWithKey('decision') : [only];
    for (const job of decided) {
      if (only !== undefined && !(await this.reads.exists(this.keys.jobDecision(job)))) {
        return;
      }
      if (await this.chainHas(job, recordsResult)) continue;
      throw new Found({
        kind: 'lost',
        detail: `cosjob recorded a decision for job ${jobLabel(job)}, but its chain holds no approved, cancelled or applied reconciled entry: the entry recording it is gone`,
      });
    }
  }

  /** Step 5 for an empty trail: a job record with a posted card means a `posted` entry was written. */
  private async checkCardsOfEmptyTrail(): Promise<void> {
    for (const job of await this.reads.jobsWithKey('record')) {
      const card = await this.reads.recordedCard(job);
      if (card === undefined) continue;
      throw new Found({
        kind: 'lost',
        detail: `the audit trail is empty, but cosjob's record of job ${jobLabel(job)} shows its card was posted (${card}): the audit keys were deleted, evicted or lost in a restart`,
      });
    }
  }

  private async chainHas(job: JobRef, test: (entry: AuditEntry) => boolean): Promise<boolean> {
    const stream = this.keys.auditJobStream(job);
    let after: string | undefined;
    for (;;) {
      const page = await this.reads.page(stream, after, this.pageSize);
      for (const record of page) {
        const decoded = decodeEntry(record);
        if (decoded.ok && test(decoded.entry)) return true;
      }
      if (page.length < this.pageSize) return false;
      after = page[page.length - 1]?.id;
    }
  }
}
