/** Shared pieces of the audit tests: clients, trails, and raw-command tampering. */
import { createHash, createHmac } from 'node:crypto';
import { afterEach } from 'vitest';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/logger.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/redis/connection.js';
import { KeySpace } from '../../src/redis/keys.js';
import { replyStreamRecords, type StreamRecord } from '../../src/redis/replies.js';

export const REGION = 'ap-guangzhou';
export const JOB_A = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';
export const JOB_B = '0e9f2a41-7d3c-4b8e-9f10-2c5d6e7f8a9b';
export const GENESIS = '0'.repeat(64);
export const START_MS = Date.UTC(2026, 0, 1, 9, 0, 0);

/** Clients opened by a test, closed after it. */
export function useClients(): (url: string) => RedisClient {
  const open: RedisClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => closeRedis(client)));
  });
  return (url: string) => {
    const client = createRedis({ url, keyPrefix: 'unused' }, { role: 'background', logger: silentLogger });
    open.push(client);
    return client;
  };
}

export function entry(jobId: string, overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: { id: 'U0123ABCD', name: 'Alice' },
    action: 'approve_vote',
    region: REGION,
    jobId,
    source: 'slack-button',
    ...overrides,
  };
}

/** A clock that moves one second per reading, so every entry gets its own millisecond stamp. */
export class SteppingClock extends ManualClock {
  constructor(
    start = START_MS,
    private readonly step = 1_000,
  ) {
    super(start - step);
  }
  override now(): number {
    this.advance(this.step);
    return super.now();
  }
}

export function keysFor(prefix: string): KeySpace {
  return new KeySpace(prefix);
}

export async function readStream(redis: RedisClient, key: string): Promise<StreamRecord[]> {
  return replyStreamRecords(await redis.call('XRANGE', key, '-', '+'), 'XRANGE');
}

/**
 * Tampering the only way Redis allows for a stream: read everything, delete the key, and add the records
 * back with their original ids (changed by `edit`). Test-only: the product never deletes audit keys.
 */
export async function rewriteStream(
  redis: RedisClient,
  key: string,
  edit: (records: StreamRecord[]) => StreamRecord[],
): Promise<void> {
  const records = edit(await readStream(redis, key));
  await redis.call('DEL', key);
  for (const record of records) {
    await redis.call('XADD', key, record.id, ...record.fields.flat());
  }
}

export function setField(record: StreamRecord, name: string, value: string): StreamRecord {
  if (!record.fields.some(([field]) => field === name)) throw new Error(`record ${record.id} has no ${name}`);
  return {
    id: record.id,
    fields: record.fields.map(([field, old]) => [field, field === name ? value : old] as [string, string]),
  };
}

export function field(record: StreamRecord, name: string): string {
  const found = record.fields.find(([field]) => field === name);
  if (!found) throw new Error(`record ${record.id} has no ${name}`);
  return found[1];
}

/**
 * The hash as the documentation of src/audit/hash.ts defines it, written independently of that module:
 * JSON of every field but `hash`, keys sorted, SHA-256 or HMAC-SHA256, hex.
 */
export function specHash(fields: [string, string][], hmacKey?: string): string {
  const sorted = Object.fromEntries(
    fields.filter(([name]) => name !== 'hash').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const canonical = JSON.stringify(sorted);
  return hmacKey === undefined
    ? createHash('sha256').update(canonical, 'utf8').digest('hex')
    : createHmac('sha256', hmacKey).update(canonical, 'utf8').digest('hex');
}

/** Re-hashes a record's fields and stores the new hash in it (what a forger without the key can do). */
export function rehash(record: StreamRecord, hmacKey?: string): StreamRecord {
  return setField(record, 'hash', specHash(record.fields, hmacKey));
}
