/**
 * The audit trail in Redis Streams: one global stream (every entry, one total order) and one stream per
 * job, each entry written to both by one Lua script (append-script.ts), so readers never see it in one
 * and not the other. Appending is appender.ts, reading stream-reader.ts, and the chain walk verify.ts;
 * this class puts them behind the AuditTrail contract.
 *
 * Idempotence. Every entry has an entryId (generated when the caller gives none); a retried append —
 * including one whose first attempt timed out but ran — finds the entry it already wrote.
 *
 * This module never deletes or trims anything (no DEL, UNLINK, XDEL or XTRIM).
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { JobRef } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import type { KeySpace } from '../redis/keys.js';
import { ChainAppender } from './appender.js';
import { EntryHasher } from './hash.js';
import { type NewestEntries, type NewestEntriesQuery, readNewestEntries } from './recent.js';
import { readEntries, readHead, StreamCursor } from './stream-reader.js';
import type { AuditEntry, AuditEntryInput, AuditScope, AuditTrail, VerifyResult } from './types.js';
import { type ChainSpec, GLOBAL_CHAIN, jobChain, walkChain } from './verify.js';

export interface RedisAuditTrailOptions {
  keys: KeySpace;
  /** AUDIT_HMAC_KEY: with it, someone with only Redis access cannot forge a chain that verifies. */
  hmacKey?: string;
  clock?: Clock;
  logger?: Logger;
  /** Compare-and-set attempts per append before giving up with code 'contention' (default 40). */
  maxAttempts?: number;
  /**
   * After each append, `WAITAOF 1 0 <timeoutMs>`: the append resolves only once the entry is fsynced to
   * the server's AOF, and fails with code 'durability' otherwise (retry with the same entryId). Needs
   * Redis ≥ 7.2 with appendonly yes and a non-Cluster deployment; otherwise it is skipped with one warning.
   */
  waitForAof?: { timeoutMs: number };
  /** Entries read per XRANGE call (default 500). */
  pageSize?: number;
  /** Called once per entry newly written (not for a retried entryId that was already stored): metrics. */
  onAppended?: (entry: AuditEntry) => void;
}

export class RedisAuditTrail implements AuditTrail {
  private readonly keys: KeySpace;
  private readonly hasher: EntryHasher;
  private readonly logger: Logger;
  private readonly pageSize: number;
  private readonly appender: ChainAppender;

  constructor(
    private readonly redis: RedisClient,
    options: RedisAuditTrailOptions,
  ) {
    this.keys = options.keys;
    this.hasher = new EntryHasher(options.hmacKey);
    this.logger = options.logger ?? silentLogger;
    const maxAttempts = options.maxAttempts ?? 40;
    this.pageSize = options.pageSize ?? 500;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError('maxAttempts must be a whole number of at least 1');
    }
    if (!Number.isInteger(this.pageSize) || this.pageSize < 2) {
      throw new RangeError('pageSize must be a whole number of at least 2');
    }
    this.appender = new ChainAppender(redis, {
      keys: this.keys,
      hasher: this.hasher,
      clock: options.clock ?? systemClock,
      logger: this.logger,
      maxAttempts,
      waitForAof: options.waitForAof,
      onAppended: options.onAppended,
    });
  }

  /** Whether entries are keyed with an HMAC (true when an hmacKey was given). */
  get keyed(): boolean {
    return this.hasher.keyed;
  }

  append(input: AuditEntryInput): Promise<AuditEntry> {
    return this.appender.append(input);
  }

  async history(ref: JobRef): Promise<AuditEntry[]> {
    return this.read(this.keys.auditJobStream(ref), '-', '+', Number.POSITIVE_INFINITY);
  }

  async range(from: number, to: number, limit?: number): Promise<AuditEntry[]> {
    if (!Number.isFinite(from) || !Number.isFinite(to) || from < 0 || to < 0) {
      throw new RangeError('range needs from and to as epoch milliseconds (finite, not negative)');
    }
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new RangeError('limit must be a whole number of at least 1');
    }
    const startMs = Math.ceil(from);
    // Stream ids are `<time ms>-<n>`; an incomplete end id covers every n of that millisecond.
    const lastMs = Math.ceil(to) - 1;
    if (lastMs < startMs) return [];
    return this.read(this.keys.auditLog(), `${startMs}`, `${lastMs}`, limit ?? Number.POSITIVE_INFINITY);
  }

  newest(query: NewestEntriesQuery): Promise<NewestEntries> {
    return readNewestEntries(this.redis, this.logger, this.keys.auditLog(), this.pageSize, query);
  }

  private read(key: string, start: string, end: string, limit: number): Promise<AuditEntry[]> {
    return readEntries(this.redis, this.logger, this.pageSize, { key, start, end, limit });
  }

  async verify(scope: AuditScope): Promise<VerifyResult> {
    let streamKey: string;
    let headKey: string;
    let spec: ChainSpec;
    if (scope.kind === 'global') {
      streamKey = this.keys.auditLog();
      headKey = this.keys.auditHead();
      spec = GLOBAL_CHAIN;
    } else if (scope.kind === 'job') {
      const ref = { account: scope.account, region: scope.region, jobId: scope.jobId };
      streamKey = this.keys.auditJobStream(ref);
      headKey = this.keys.auditJobHead(ref);
      spec = jobChain(ref);
    } else {
      throw new RangeError("verify needs { kind: 'global' } or { kind: 'job', account, region, jobId }");
    }
    // The head is read before the stream: every entry up to it is then guaranteed to be in the stream.
    const head = await readHead(this.redis, headKey);
    return walkChain({
      records: new StreamCursor(this.redis, streamKey, this.pageSize),
      spec,
      hasher: this.hasher,
      head,
      refreshHead: () => readHead(this.redis, headKey),
    });
  }
}
