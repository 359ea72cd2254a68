/**
 * Reads of the audit keys (and of the engine's per-job keys) that the cross-checks and the checkpoints
 * need beyond what the trail itself offers: single entries by stream id, the newest entry, pages of a
 * stream, the entryId index, and the job chains, decisions and job records that exist.
 *
 * Discovery uses SCAN (cursor-based, never KEYS): on Redis Cluster every master is scanned, because the
 * per-job engine keys are spread over all slots (the audit keys share one slot, so one node holds them).
 */
import { Cluster } from 'ioredis';
import { type JobRef, jobRefLabel } from '../jobs/job-ref.js';
import type { RedisClient } from '../redis/connection.js';
import { type KeySpace, parseJobKeyPart } from '../redis/keys.js';
import {
  replyArray,
  replyOptionalStrings,
  replyPairs,
  replyStreamRecords,
  replyString,
  type StreamRecord,
  UnexpectedReplyError,
} from '../redis/replies.js';

export type { JobRef };

/** Stream ids are `<ms>-<n>`; compares them numerically (as Redis orders them). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aN = 0n] = a.split('-').map((part) => BigInt(part));
  const [bMs = 0n, bN = 0n] = b.split('-').map((part) => BigInt(part));
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aN !== bN) return aN < bN ? -1 : 1;
  return 0;
}

export function jobLabel(job: JobRef): string {
  return jobRefLabel(job);
}

/** The job named by the text after a key's fixed prefix, when the key round-trips exactly. */
function parseJobPart(rest: string, rebuild: (ref: JobRef) => string, key: string): JobRef | undefined {
  const ref = parseJobKeyPart(rest);
  if (ref === undefined) return undefined;
  try {
    return rebuild(ref) === key ? ref : undefined;
  } catch {
    return undefined;
  }
}

export class ChainReads {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
  ) {}

  /** The global stream's record with this id, or undefined. */
  async globalRecord(streamId: string): Promise<StreamRecord | undefined> {
    const [record] = replyStreamRecords(
      await this.redis.call('XRANGE', this.keys.auditLog(), streamId, streamId),
      'XRANGE',
    );
    return record;
  }

  /** Several records by id in one round trip (undefined where the stream has none). */
  async records(key: string, streamIds: readonly string[]): Promise<(StreamRecord | undefined)[]> {
    if (streamIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of streamIds) pipeline.call('XRANGE', key, id, id);
    const replies = (await pipeline.exec()) ?? [];
    return streamIds.map((_, i) => {
      const [error, reply] = replies[i] ?? [new Error('no reply'), undefined];
      if (error) throw error;
      return replyStreamRecords(reply, 'XRANGE')[0];
    });
  }

  /** The newest record of the global stream (what the chain actually ends with), or undefined. */
  async lastGlobalRecord(): Promise<StreamRecord | undefined> {
    const [record] = replyStreamRecords(
      await this.redis.call('XREVRANGE', this.keys.auditLog(), '+', '-', 'COUNT', 1),
      'XREVRANGE',
    );
    return record;
  }

  /** One page of a stream, oldest first, strictly after `afterId` (from the start when undefined). */
  async page(key: string, afterId: string | undefined, count: number): Promise<StreamRecord[]> {
    // '(' makes the start exclusive (Redis ≥ 6.2).
    return replyStreamRecords(
      await this.redis.call('XRANGE', key, afterId === undefined ? '-' : `(${afterId}`, '+', 'COUNT', count),
      'XRANGE',
    );
  }

  async exists(key: string): Promise<boolean> {
    return (await this.redis.exists(key)) === 1;
  }

  async streamLength(key: string): Promise<number> {
    const length = await this.redis.call('XLEN', key);
    if (typeof length !== 'number') throw new UnexpectedReplyError('XLEN', 'a number');
    return length;
  }

  /** The stream ids the index holds for these entryIds (null where it holds none). */
  async indexed(entryIds: readonly string[]): Promise<(string | null)[]> {
    if (entryIds.length === 0) return [];
    return replyOptionalStrings(
      await this.redis.call('HMGET', this.keys.auditEntryIds(), ...entryIds),
      'HMGET',
      entryIds.length,
    );
  }

  async indexSize(): Promise<number> {
    const size = await this.redis.call('HLEN', this.keys.auditEntryIds());
    if (typeof size !== 'number') throw new UnexpectedReplyError('HLEN', 'a number');
    return size;
  }

  /** Every entryId → stream id pair of the index, a batch at a time (HSCAN). */
  async *indexBatches(): AsyncGenerator<[string, string][]> {
    let cursor = '0';
    do {
      const reply = replyArray(
        await this.redis.call('HSCAN', this.keys.auditEntryIds(), cursor, 'COUNT', 500),
        'HSCAN',
      );
      const next = replyString(reply[0]);
      if (next === undefined) throw new UnexpectedReplyError('HSCAN', 'a cursor');
      cursor = next;
      const pairs = replyPairs(reply[1], 'HSCAN');
      if (pairs.length > 0) yield pairs;
    } while (cursor !== '0');
  }

  /** Keys matching a glob pattern, on every master. */
  async scan(pattern: string): Promise<string[]> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    const found = new Set<string>();
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) found.add(key);
      } while (cursor !== '0');
    }
    return [...found].sort();
  }

  /**
   * The jobs with a chain (stream or head) under the audit keys. Keys under the audit tag that are not
   * cosjob's are returned in `foreign`.
   */
  async auditJobs(): Promise<{ jobs: JobRef[]; foreign: string[] }> {
    const streamPrefix = `${this.keys.auditTag}:job:`;
    const headPrefix = `${this.keys.auditTag}:jobhead:`;
    const jobs = new Map<string, JobRef>();
    const foreign: string[] = [];
    for (const [prefix, rebuild] of [
      [streamPrefix, (ref: JobRef) => this.keys.auditJobStream(ref)],
      [headPrefix, (ref: JobRef) => this.keys.auditJobHead(ref)],
    ] as const) {
      for (const key of await this.scan(`${prefix}*`)) {
        const job = parseJobPart(key.slice(prefix.length), rebuild, key);
        if (job === undefined) foreign.push(key);
        else jobs.set(jobLabel(job), job);
      }
    }
    return { jobs: [...jobs.values()], foreign };
  }

  /** Jobs whose engine key `<name>` exists (e.g. 'decision', 'record'). */
  async jobsWithKey(name: 'decision' | 'record'): Promise<JobRef[]> {
    const prefix = `{${this.keys.prefix}:job:`;
    const suffix = `}:${name}`;
    const jobs: JobRef[] = [];
    for (const key of await this.scan(`${prefix}*${suffix}`)) {
      if (!key.endsWith(suffix)) continue;
      const rebuild =
        name === 'decision'
          ? (ref: JobRef) => this.keys.jobDecision(ref)
          : (ref: JobRef) => this.keys.jobRecord(ref);
      const job = parseJobPart(key.slice(prefix.length, -suffix.length), rebuild, key);
      if (job !== undefined) jobs.push(job);
    }
    return jobs;
  }

  /** The card (channel/ts) a job record says was posted, or undefined. */
  async recordedCard(job: JobRef): Promise<string | undefined> {
    const [channel, ts] = replyOptionalStrings(
      await this.redis.call('HMGET', this.keys.jobRecord(job), 'cardChannel', 'cardTs'),
      'HMGET',
      2,
    );
    return channel && ts ? `${channel}/${ts}` : undefined;
  }
}
