/**
 * Reading the audit streams: pages of entries oldest first, a record cursor for verification, and the
 * head records the append script writes.
 */
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import { replyOptionalStrings, replyStreamRecords, type StreamRecord } from '../redis/replies.js';
import { SEQ_TEXT, STREAM_ID } from './append-script.js';
import { decodeEntry } from './codec.js';
import { HASH_PATTERN } from './hash.js';
import type { AuditEntry } from './types.js';
import type { HeadState, RecordCursor } from './verify.js';

/** Reads a stream oldest first, a page at a time, with one record of look-ahead. */
export class StreamCursor implements RecordCursor {
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

/**
 * Entries of `key` from `start` to `end` (stream ids, inclusive), oldest first, at most `limit`. An
 * unreadable entry is skipped with a warning: a history is still useful, and verify reports the damage.
 */
export async function readEntries(
  redis: RedisClient,
  logger: Logger,
  pageSize: number,
  range: { key: string; start: string; end: string; limit: number },
): Promise<AuditEntry[]> {
  const { key, start, end, limit } = range;
  const entries: AuditEntry[] = [];
  let cursorStart = start;
  while (entries.length < limit) {
    const count = Math.min(pageSize, limit - entries.length);
    const page = replyStreamRecords(
      await redis.call('XRANGE', key, cursorStart, end, 'COUNT', count),
      'XRANGE',
    );
    for (const record of page) {
      const decoded = decodeEntry(record);
      if (decoded.ok) {
        entries.push(decoded.entry);
      } else {
        // Reading goes on (a history is still useful); verify reports the damage.
        logger.warn('skipped an unreadable audit entry; run verify', {
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

/** A head record as verification needs it: present, missing, or unreadable (with what is wrong). */
export async function readHead(redis: RedisClient, key: string): Promise<HeadState> {
  const values = replyOptionalStrings(await redis.call('HMGET', key, 'seq', 'hash', 'streamId'), 'HMGET', 3);
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
