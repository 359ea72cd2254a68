/**
 * The jobs cosjob follows that still wait for a decision, read from its own records (no COS call): the
 * tracked set, then each job's record, decision and votes. Reads are capped so a view that lists them
 * (the Home tab) costs a bounded number of Redis commands however many jobs are followed.
 */

import { accountRegionKey, parseJobRefKey } from '../jobs/job-ref.js';
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

/** Records read at once: enough to be quick, few enough not to flood Redis with one view's reads. */
const READ_CONCURRENCY = 32;

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
  for (let i = 0; i < toRead.length; i += READ_CONCURRENCY) {
    const batch = toRead.slice(i, i + READ_CONCURRENCY);
    const read = await Promise.all(
      batch.map(async (member): Promise<WaitingJob | 'unreadable' | undefined> => {
        const { ref } = parseJobRefKey(member);
        if (!ref || !d.targets.has(accountRegionKey(ref))) return undefined;
        try {
          const record = await d.records.get(ref);
          if (!record || !isWaiting(record)) return undefined;
          const [decision, voterIds] = await Promise.all([d.store.decision(ref), d.store.votes(ref)]);
          if (decision) return undefined;
          return { record, voterIds, requiredApprovals: d.requiredApprovals(record) };
        } catch (error) {
          d.logger.warn('could not read a followed job for the waiting list', { member, error });
          return 'unreadable';
        }
      }),
    );
    for (const item of read) {
      if (item === 'unreadable') unreadable += 1;
      else if (item) jobs.push(item);
    }
  }
  jobs.sort(
    (a, b) =>
      a.record.firstSeenAt - b.record.firstSeenAt ||
      (a.record.jobId < b.record.jobId ? -1 : a.record.jobId > b.record.jobId ? 1 : 0),
  );
  return { jobs, tracked: members.length, unread: members.length - toRead.length, unreadable };
}
