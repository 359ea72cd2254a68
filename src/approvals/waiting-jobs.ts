/**
 * The jobs cosjob follows that still wait for a decision, read from its own records (no COS call): the
 * tracked set, then each job's record, decision and votes. Reads are capped so a view that lists them
 * (the Home tab) costs a bounded number of Redis commands however many jobs are followed.
 */

import { accountRegionKey, type JobRef, jobRefKey, parseJobRefKey } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { DecisionStore } from './decision-store.js';
import type { JobRecord, JobRecords } from './job-records.js';

export interface WaitingJob {
  record: JobRecord;
  voterIds: string[];
  requiredApprovals: number;
}

export interface WaitingJobs {
  /** Oldest first. */
  jobs: WaitingJob[];
  /** Jobs cosjob follows (waiting or not). */
  tracked: number;
  /** Followed jobs not read because of the cap: some of them may be waiting too. */
  unread: number;
  /** Records that could not be read (damaged); an operator should look at them. */
  unreadable: number;
}

export interface WaitingJobsDeps {
  records: JobRecords;
  store: DecisionStore;
  /** The configured (account, region) pairs, as `accountRegionKey` text: jobs elsewhere are not listed. */
  targets: ReadonlySet<string>;
  /** The approvals the job's rule asks for. */
  requiredApprovals: (record: JobRecord) => number;
  logger: Logger;
}

/**
 * Records read per batch: one pipelined read of the records, then one of the waiting ones' decisions and
 * votes (instead of three commands each), few enough that a view's reads never hold Redis for long.
 */
const READ_BATCH = 100;

/** A record still waiting: Suspended when last seen, never decided, ended, expired or changed outside. */
export function isWaiting(record: JobRecord): boolean {
  return (
    record.lastStatus === 'Suspended' &&
    record.finishedAt === undefined &&
    record.expiredAt === undefined &&
    record.changedOutsideAt === undefined
  );
}

export async function readWaitingJobs(d: WaitingJobsDeps, maxRead: number): Promise<WaitingJobs> {
  const members = (await d.records.tracked()).sort();
  const toRead = members.slice(0, maxRead);
  const jobs: WaitingJob[] = [];
  let unreadable = 0;
  for (let i = 0; i < toRead.length; i += READ_BATCH) {
    const refs = toRead.slice(i, i + READ_BATCH).flatMap((member) => {
      const { ref } = parseJobRefKey(member);
      return ref && d.targets.has(accountRegionKey(ref)) ? [ref] : [];
    });
    const waiting: JobRecord[] = [];
    (await d.records.getMany(refs)).forEach((read, index) => {
      if (read.ok) {
        if (read.value && isWaiting(read.value)) waiting.push(read.value);
        return;
      }
      unreadable += 1;
      d.logger.warn('could not read a followed job for the waiting list', {
        member: jobRefKey(refs[index] as JobRef),
        error: read.error,
      });
    });
    try {
      const facts = await d.store.decisionsAndVotes(waiting);
      waiting.forEach((record, index) => {
        const fact = facts[index];
        if (!fact || fact.decision) return;
        jobs.push({ record, voterIds: fact.voterIds, requiredApprovals: d.requiredApprovals(record) });
      });
    } catch (error) {
      unreadable += waiting.length;
      d.logger.warn("could not read the followed jobs' decisions for the waiting list", {
        jobs: waiting.length,
        error,
      });
    }
  }
  jobs.sort(
    (a, b) =>
      a.record.firstSeenAt - b.record.firstSeenAt ||
      (a.record.jobId < b.record.jobId ? -1 : a.record.jobId > b.record.jobId ? 1 : 0),
  );
  return { jobs, tracked: members.length, unread: members.length - toRead.length, unreadable };
}
