/**
 * The audit trail in Redis Streams: one global stream (every entry, one total order) and one stream per
 * job, each entry written to both by one Lua script, so readers never see it in one and not the other.
 *
 * Appending. Lua has no SHA-256 (and the HMAC key must never reach Redis), so the hash is computed here
 * against the heads we believe current, and the script is a compare-and-set: it writes only if the
 * global head and the job head still hold that seq and hash, and otherwise returns the current heads to
 * retry with. Appends from one RedisAuditTrail are queued locally, so only separate processes (or
 * separate trail objects) race; losers retry after a small random pause, a bounded number of times.
 *
 * Idempotence. Every entry has an entryId (generated when the caller gives none); the script records
 * entryId → stream id and, when the id is already there, writes nothing and returns the stored entry.
 * A retried append — including one whose first attempt timed out but ran — cannot duplicate.
 *
 * Time. An entry's time is the clock's, raised when needed to the previous entry's time, so times never
 * go backwards along the chain even when replicas' clocks disagree. Its stream id is `<time ms>-<n>`,
 * which lets range() read a time window straight from the stream.
 *
 * This module never deletes or trims anything (no DEL, UNLINK, XDEL or XTRIM).
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import type { KeySpace } from '../redis/keys.js';
import {
  replyArray,
  replyOptionalStrings,
  replyStreamRecords,
  replyString,
  type StreamRecord,
  UnexpectedReplyError,
} from '../redis/replies.js';
import { RedisScript } from '../redis/scripts.js';
import { decodeEntry, entryFields, type PreparedEntry, prepareEntry } from './codec.js';
import { AuditError } from './errors.js';
import { EntryHasher, GENESIS_HASH, HASH_PATTERN } from './hash.js';
import type { AuditEntry, AuditEntryInput, AuditScope, AuditTrail, VerifyResult } from './types.js';
import {
  type ChainSpec,
  GLOBAL_CHAIN,
  type HeadState,
  jobChain,
  type RecordCursor,
  walkChain,
} from './verify.js';

const APPEND_SCRIPT = new RedisScript(
  'audit-append',
  5,
  `
-- KEYS: 1 global stream, 2 job stream, 3 global head, 4 job head, 5 entryId index (one hash tag)
-- ARGV: 1 entryId, 2 expected global seq, 3 expected global hash, 4 expected job seq, 5 expected job hash,
--       6 time ms, 7 new hash, 8 new global seq, 9 new job seq, 10.. field/value pairs (hash included)
local existing = redis.call('HGET', KEYS[5], ARGV[1])
if existing then return {'duplicate', existing} end

local genesis = string.rep('0', 64)
local g = redis.call('HMGET', KEYS[3], 'seq', 'hash', 'timeMs')
local j = redis.call('HMGET', KEYS[4], 'seq', 'hash')
local gSeq, gHash, gTime = g[1] or '0', g[2] or genesis, g[3] or '0'
local jSeq, jHash = j[1] or '0', j[2] or genesis

-- A head that is gone while its stream still has entries means someone edited the audit keys; starting a
-- new chain would hide that, so refuse until an operator has looked.
if gSeq == '0' and redis.call('XLEN', KEYS[1]) > 0 then
  return {'conflict', 'the global head is missing but the global stream has entries'}
end
if jSeq == '0' and redis.call('XLEN', KEYS[2]) > 0 then
  return {'conflict', 'the job head is missing but the job stream has entries'}
end
if gSeq ~= ARGV[2] or gHash ~= ARGV[3] or jSeq ~= ARGV[4] or jHash ~= ARGV[5] then
  return {'stale', gSeq, gHash, gTime, jSeq, jHash}
end

local function lastId(key)
  if redis.call('EXISTS', key) == 0 then return 0, 0 end
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local ms, n = string.match(info[i + 1], '^(%d+)-(%d+)$')
      return tonumber(ms), tonumber(n)
    end
  end
  return 0, 0
end
local gMs, gN = lastId(KEYS[1])
local jMs, jN = lastId(KEYS[2])
if tonumber(ARGV[6]) < gMs then return {'behind', tostring(gMs)} end
-- Job entries copy global ids, so a job stream ahead of the global one was written by someone else.
if jMs > gMs or (jMs == gMs and jN > gN) then
  return {'conflict', 'the job stream has a newer id than the global stream'}
end

local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], ARGV[6] .. '-*', unpack(fields))
redis.call('XADD', KEYS[2], id, unpack(fields))
redis.call('HSET', KEYS[3], 'seq', ARGV[8], 'hash', ARGV[7], 'streamId', id, 'timeMs', ARGV[6])
redis.call('HSET', KEYS[4], 'seq', ARGV[9], 'hash', ARGV[7], 'streamId', id)
redis.call('HSET', KEYS[5], ARGV[1], id)
return {'ok', id}
`,
);

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

interface GlobalHead {
  seq: number;
  hash: string;
  timeMs: number;
}

interface JobHead {
  seq: number;
  hash: string;
}

type AppendReply =
  | { kind: 'ok'; streamId: string }
  | { kind: 'duplicate'; streamId: string }
  | { kind: 'stale'; global: GlobalHead; job: JobHead }
  | { kind: 'behind'; lastMs: number }
  | { kind: 'conflict'; detail: string };

const SEQ_TEXT = /^(0|[1-9]\d{0,15})$/;
const MS_TEXT = /^\d{1,16}$/;
const STREAM_ID = /^\d+-\d+$/;
const MAX_CACHED_JOB_HEADS = 1_000;

function parseSeq(text: string | undefined): number {
  if (text === undefined || !SEQ_TEXT.test(text))
    throw new UnexpectedReplyError('the audit append script', 'a seq');
  return Number(text);
}

function parseHash(text: string | undefined): string {
  if (text === undefined || !HASH_PATTERN.test(text)) {
    throw new UnexpectedReplyError('the audit append script', 'a hash');
  }
  return text;
}

function parseAppendReply(raw: unknown): AppendReply {
  const items = replyArray(raw, 'the audit append script').map(replyString);
  const [kind, a, b, c, d, e] = items;
  switch (kind) {
    case 'ok':
    case 'duplicate':
      if (a === undefined || !STREAM_ID.test(a)) {
        throw new UnexpectedReplyError('the audit append script', 'a stream id');
      }
      return { kind, streamId: a };
    case 'stale':
      if (c === undefined || !MS_TEXT.test(c))
        throw new UnexpectedReplyError('the audit append script', 'a time');
      return {
        kind,
        global: { seq: parseSeq(a), hash: parseHash(b), timeMs: Number(c) },
        job: { seq: parseSeq(d), hash: parseHash(e) },
      };
    case 'behind':
      if (a === undefined || !MS_TEXT.test(a))
        throw new UnexpectedReplyError('the audit append script', 'a time');
      return { kind, lastMs: Number(a) };
    case 'conflict':
      return { kind, detail: a ?? 'unknown conflict' };
    default:
      throw new UnexpectedReplyError('the audit append script', 'ok, duplicate, stale, behind or conflict');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads a stream oldest first, a page at a time, with one record of look-ahead. */
class StreamCursor implements RecordCursor {
  private buffer: StreamRecord[] = [];
  private lastId: string | undefined;
  private exhausted = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly pageSize: number,
  ) {}

  private async fill(): Promise<void> {
    if (this.buffer.length > 0 || this.exhausted) return;
    // '(' makes the start exclusive (Redis ≥ 6.2), so a page never repeats the previous page's last id.
    const start = this.lastId === undefined ? '-' : `(${this.lastId}`;
    const page = replyStreamRecords(
      await this.redis.call('XRANGE', this.key, start, '+', 'COUNT', this.pageSize),
      'XRANGE',
    );
    if (page.length < this.pageSize) this.exhausted = true;
    const last = page[page.length - 1];
    if (last !== undefined) this.lastId = last.id;
    this.buffer = page;
  }

  async next(): Promise<StreamRecord | undefined> {
    await this.fill();
    return this.buffer.shift();
  }

  async peek(): Promise<StreamRecord | undefined> {
    await this.fill();
    return this.buffer[0];
  }
}

export class RedisAuditTrail implements AuditTrail {
  private readonly keys: KeySpace;
  private readonly hasher: EntryHasher;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly pageSize: number;
  private readonly waitForAof: { timeoutMs: number } | undefined;
  private readonly onAppended: ((entry: AuditEntry) => void) | undefined;
  private waitAofSkipped = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Heads as of this object's last append: usually still current, which saves a round trip. */
  private globalHead: GlobalHead = { seq: 0, hash: GENESIS_HASH, timeMs: 0 };
  private readonly jobHeads = new Map<string, JobHead>();

  constructor(
    private readonly redis: RedisClient,
    options: RedisAuditTrailOptions,
  ) {
    this.keys = options.keys;
    this.hasher = new EntryHasher(options.hmacKey);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.maxAttempts = options.maxAttempts ?? 40;
    this.pageSize = options.pageSize ?? 500;
    this.waitForAof = options.waitForAof;
    this.onAppended = options.onAppended;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError('maxAttempts must be a whole number of at least 1');
    }
    if (!Number.isInteger(this.pageSize) || this.pageSize < 2) {
      throw new RangeError('pageSize must be a whole number of at least 2');
    }
  }

  /** Whether entries are keyed with an HMAC (true when an hmacKey was given). */
  get keyed(): boolean {
    return this.hasher.keyed;
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
    const { region, jobId } = entry;
    const keys = [
      this.keys.auditLog(),
      this.keys.auditJobStream(region, jobId),
      this.keys.auditHead(),
      this.keys.auditJobHead(region, jobId),
      this.keys.auditEntryIds(),
    ];
    const jobCacheKey = `${region}\n${jobId}`;
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
      const reply = parseAppendReply(
        await APPEND_SCRIPT.run(this.redis, keys, [
          entry.entryId,
          String(global.seq),
          global.hash,
          String(job.seq),
          job.hash,
          String(timeMs),
          hash,
          String(global.seq + 1),
          String(job.seq + 1),
          ...fields.flat(),
          'hash',
          hash,
        ]),
      );

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

  async history(region: string, jobId: string): Promise<AuditEntry[]> {
    return this.readAll(this.keys.auditJobStream(region, jobId), '-', '+', Number.POSITIVE_INFINITY);
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
    return this.readAll(this.keys.auditLog(), `${startMs}`, `${lastMs}`, limit ?? Number.POSITIVE_INFINITY);
  }

  private async readAll(key: string, start: string, end: string, limit: number): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let cursorStart = start;
    while (entries.length < limit) {
      const count = Math.min(this.pageSize, limit - entries.length);
      const page = replyStreamRecords(
        await this.redis.call('XRANGE', key, cursorStart, end, 'COUNT', count),
        'XRANGE',
      );
      for (const record of page) {
        const decoded = decodeEntry(record);
        if (decoded.ok) {
          entries.push(decoded.entry);
        } else {
          // Reading goes on (a history is still useful); verify reports the damage.
          this.logger.warn('skipped an unreadable audit entry; run verify', {
            key,
            streamId: record.id,
            problem: decoded.problem,
          });
        }
      }
      const last = page[page.length - 1];
      if (last === undefined || page.length < count) break;
      cursorStart = `(${last.id}`;
    }
    return entries;
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
      streamKey = this.keys.auditJobStream(scope.region, scope.jobId);
      headKey = this.keys.auditJobHead(scope.region, scope.jobId);
      spec = jobChain(scope.region, scope.jobId);
    } else {
      throw new RangeError("verify needs { kind: 'global' } or { kind: 'job', region, jobId }");
    }
    // The head is read before the stream: every entry up to it is then guaranteed to be in the stream.
    const head = await this.readHead(headKey);
    return walkChain({
      records: new StreamCursor(this.redis, streamKey, this.pageSize),
      spec,
      hasher: this.hasher,
      head,
      refreshHead: () => this.readHead(headKey),
    });
  }

  private async readHead(key: string): Promise<HeadState> {
    const values = replyOptionalStrings(
      await this.redis.call('HMGET', key, 'seq', 'hash', 'streamId'),
      'HMGET',
      3,
    );
    const [seq = null, hash = null, streamId = null] = values;
    if (seq === null && hash === null && streamId === null) return { kind: 'missing' };
    if (seq === null || !SEQ_TEXT.test(seq) || seq === '0') {
      return { kind: 'unreadable', key, detail: 'its seq is missing or not a positive number' };
    }
    if (hash === null || !HASH_PATTERN.test(hash)) {
      return { kind: 'unreadable', key, detail: 'its hash is missing or not 64 hex digits' };
    }
    if (streamId === null || !STREAM_ID.test(streamId)) {
      return { kind: 'unreadable', key, detail: 'its streamId is missing or invalid' };
    }
    return { kind: 'present', seq: Number(seq), hash, streamId };
  }
}
