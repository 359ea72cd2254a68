/**
 * The newest entries of a stream, newest first, filtered by action: a narrow read for views that show
 * "the last N decisions". It pages backwards with XREVRANGE and stops at the first of: enough matches,
 * `scanLimit` entries read, or the start of the stream, so it never walks the whole trail.
 */
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import { replyStreamRecords } from '../redis/replies.js';
import { decodeEntry } from './codec.js';
import type { AuditAction, AuditEntry } from './types.js';

export interface NewestEntriesQuery {
  actions: readonly AuditAction[];
  /** How many matching entries to return at most. */
  limit: number;
  /** How many entries to read at most, matching or not. */
  scanLimit: number;
}

export interface NewestEntries {
  /** Newest first. */
  entries: AuditEntry[];
  /** Entries read to find them. */
  scanned: number;
  /** True when the scan stopped at scanLimit before finding `limit` matches (older ones may exist). */
  capped: boolean;
}

export async function readNewestEntries(
  redis: RedisClient,
  logger: Logger,
  key: string,
  pageSize: number,
  query: NewestEntriesQuery,
): Promise<NewestEntries> {
  const { limit, scanLimit } = query;
  if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(scanLimit) || scanLimit < 1) {
    throw new RangeError('limit and scanLimit must be whole numbers of at least 1');
  }
  const wanted = new Set<string>(query.actions);
  const entries: AuditEntry[] = [];
  let scanned = 0;
  let end = '+';
  while (entries.length < limit && scanned < scanLimit) {
    const count = Math.min(pageSize, scanLimit - scanned);
    const page = replyStreamRecords(
      await redis.call('XREVRANGE', key, end, '-', 'COUNT', count),
      'XREVRANGE',
    );
    scanned += page.length;
    for (const record of page) {
      const decoded = decodeEntry(record);
      if (!decoded.ok) {
        logger.warn('skipped an unreadable audit entry; run verify', { key, streamId: record.id });
        continue;
      }
      if (wanted.has(decoded.entry.action)) entries.push(decoded.entry);
      if (entries.length === limit) break;
    }
    const last = page[page.length - 1];
    if (last === undefined || page.length < count) return { entries, scanned, capped: false };
    // '(' makes the end exclusive (Redis ≥ 6.2), so a page never repeats the previous page's last id.
    end = `(${last.id}`;
  }
  return { entries, scanned, capped: entries.length < limit };
}
