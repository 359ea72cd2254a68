/**
 * Appending to the audit chains: the compare-and-set loop around the append script.
 *
 * Appends from one ChainAppender are queued locally, so only separate processes (or separate trail
 * objects) race; losers retry after a small random pause, a bounded number of times. The heads of this
 * object's last appends are cached: usually still current, which saves a round trip.
 *
 * Time. An entry's time is the clock's, raised when needed to the previous entry's time, so times never
 * go backwards along the chain even when replicas' clocks disagree. Its stream id is `<time ms>-<n>`,
 * which lets range() read a time window straight from the stream.
 */
import type { Clock } from '../clock.js';
import { jobRefKey } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import type { KeySpace } from '../redis/keys.js';
import { replyArray, replyStreamRecords, UnexpectedReplyError } from '../redis/replies.js';
import { type GlobalHead, type JobHead, runAppendScript } from './append-script.js';
import { decodeEntry, entryFields, type PreparedEntry, prepareEntry } from './codec.js';
import { AuditError } from './errors.js';
import { type EntryHasher, GENESIS_HASH } from './hash.js';
import type { AuditEntry, AuditEntryInput } from './types.js';

/** Job heads kept in memory (least recently appended dropped first); a dropped head is read from Redis again. */
const MAX_CACHED_JOB_HEADS = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ChainAppenderOptions {
  keys: KeySpace;
  hasher: EntryHasher;
  clock: Clock;
  logger: Logger;
  maxAttempts: number;
  waitForAof: { timeoutMs: number } | undefined;
  onAppended?: ((entry: AuditEntry) => void) | undefined;
}

export class ChainAppender {
  private readonly keys: KeySpace;
  private readonly hasher: EntryHasher;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly waitForAof: { timeoutMs: number } | undefined;
  private readonly onAppended: ((entry: AuditEntry) => void) | undefined;
  private waitAofSkipped = false;
  private queue: Promise<unknown> = Promise.resolve();
  private globalHead: GlobalHead = { seq: 0, hash: GENESIS_HASH, timeMs: 0 };
  private readonly jobHeads = new Map<string, JobHead>();

  constructor(
    private readonly redis: RedisClient,
    options: ChainAppenderOptions,
  ) {
    this.keys = options.keys;
    this.hasher = options.hasher;
    this.clock = options.clock;
    this.logger = options.logger;
    this.maxAttempts = options.maxAttempts;
    this.waitForAof = options.waitForAof;
    this.onAppended = options.onAppended;
  }

  append(input: AuditEntryInput): Promise<AuditEntry> {
    let prepared: PreparedEntry;
    try {
      prepared = prepareEntry(input);
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.queue.then(() =>
      this.appendPrepared(prepared).catch((error: unknown) => {
        // A reply we cannot read is a bug or a foreign server, not an outage: keep its own message.
        if (error instanceof AuditError || error instanceof UnexpectedReplyError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        throw new AuditError(
          'unavailable',
          `audit entry ${prepared.entryId} could not be confirmed: the audit store did not answer (${message}). ` +
            'It may or may not have been written; treat the act as unrecorded and retry with the same entryId.',
          { cause: error },
        );
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendPrepared(entry: PreparedEntry): Promise<AuditEntry> {
    const ref = { account: entry.account, region: entry.region, jobId: entry.jobId };
    const keys: [string, string, string, string, string] = [
      this.keys.auditLog(),
      this.keys.auditJobStream(ref),
      this.keys.auditHead(),
      this.keys.auditJobHead(ref),
      this.keys.auditEntryIds(),
    ];
    const jobCacheKey = jobRefKey(ref);
    let global = this.globalHead;
    let job = this.jobHeads.get(jobCacheKey) ?? { seq: 0, hash: GENESIS_HASH };
    let timeFloor = 0;
    let racesLost = 0;
    let headsFresh = false;

    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const timeMs = Math.max(this.clock.now(), global.timeMs, timeFloor);
      const fields = entryFields(entry, {
        timeMs,
        seq: global.seq + 1,
        jobSeq: job.seq + 1,
        prevHash: global.hash,
        jobPrevHash: job.hash,
      });
      const hash = this.hasher.hash(fields);
      const reply = await runAppendScript(this.redis, keys, {
        entryId: entry.entryId,
        expectedGlobal: global,
        expectedJob: job,
        timeMs,
        hash,
        fields,
      });

      switch (reply.kind) {
        case 'ok': {
          this.globalHead = { seq: global.seq + 1, hash, timeMs };
          this.rememberJobHead(jobCacheKey, { seq: job.seq + 1, hash });
          const stored = decodeEntry({ id: reply.streamId, fields: [...fields, ['hash', hash]] });
          if (!stored.ok)
            throw new AuditError('integrity', `cosjob built an unreadable entry: ${stored.problem}`);
          await this.confirmDurable(stored.entry);
          this.onAppended?.(stored.entry);
          return stored.entry;
        }
        case 'duplicate': {
          const existing = await this.readGlobalEntry(reply.streamId, entry.entryId);
          await this.confirmDurable(existing);
          return existing;
        }
        case 'stale':
          global = reply.global;
          job = reply.job;
          this.globalHead = global;
          this.rememberJobHead(jobCacheKey, job);
          // A stale first attempt only means our cached heads were old; losing with fresh heads is a race.
          if (headsFresh) {
            racesLost += 1;
            await sleep(Math.floor(Math.random() * Math.min(2 ** racesLost, 32)));
          }
          headsFresh = true;
          break;
        case 'behind':
          timeFloor = reply.lastMs;
          break;
        case 'conflict':
          throw new AuditError(
            'integrity',
            `audit entry ${entry.entryId} was not written: ${reply.detail}. The audit keys were changed outside ` +
              'cosjob; run verify and have an operator restore them before recording more decisions.',
          );
      }
    }
    throw new AuditError(
      'contention',
      `audit entry ${entry.entryId} was not written: ${this.maxAttempts} attempts each lost the race to ` +
        'other writers. Nothing was recorded; retrying with the same entryId is safe.',
    );
  }

  private rememberJobHead(cacheKey: string, head: JobHead): void {
    this.jobHeads.delete(cacheKey);
    this.jobHeads.set(cacheKey, head);
    if (this.jobHeads.size > MAX_CACHED_JOB_HEADS) {
      const oldest = this.jobHeads.keys().next();
      if (!oldest.done) this.jobHeads.delete(oldest.value);
    }
  }

  private async readGlobalEntry(streamId: string, entryId: string): Promise<AuditEntry> {
    const [record] = replyStreamRecords(
      await this.redis.call('XRANGE', this.keys.auditLog(), streamId, streamId),
      'XRANGE',
    );
    const decoded = record === undefined ? undefined : decodeEntry(record);
    if (decoded === undefined || !decoded.ok || decoded.entry.entryId !== entryId) {
      throw new AuditError(
        'integrity',
        `audit entry ${entryId} is indexed at stream id ${streamId}, but that entry is ` +
          `${decoded === undefined ? 'missing' : 'not it'}: the audit keys were changed outside cosjob; run verify`,
      );
    }
    return decoded.entry;
  }

  private async confirmDurable(entry: AuditEntry): Promise<void> {
    if (this.waitForAof === undefined || this.waitAofSkipped) return;
    if (this.redis.isCluster) {
      this.skipWaitAof('WAITAOF is not routed to the right node on Redis Cluster');
      return;
    }
    const { timeoutMs } = this.waitForAof;
    let reply: unknown;
    try {
      reply = await this.redis.call('WAITAOF', 1, 0, timeoutMs);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/unknown command|appendonly is disabled|WAITAOF cannot be used/i.test(message)) {
        this.skipWaitAof(`the server refused WAITAOF (${message}); it needs Redis ≥ 7.2 with appendonly yes`);
        return;
      }
      throw error;
    }
    const [local] = replyArray(reply, 'WAITAOF');
    if (typeof local !== 'number' || local < 1) {
      throw new AuditError(
        'durability',
        `audit entry ${entry.entryId} (seq ${entry.seq}) was written but not confirmed on disk within ${timeoutMs} ms; ` +
          'retrying with the same entryId is safe and will not duplicate it',
      );
    }
  }

  private skipWaitAof(reason: string): void {
    this.waitAofSkipped = true;
    this.logger.warn('audit appends are not waiting for the AOF fsync', { reason });
  }
}
