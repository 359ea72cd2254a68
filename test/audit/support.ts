/** Shared pieces of the audit tests: clients, trails, and raw-command tampering. */
import { createHash, createHmac } from 'node:crypto';
import { afterEach } from 'vitest';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { AuditEntry, AuditEntryInput } from '../../src/audit/types.js';
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
    account: 'default',
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

/** Appends six entries to jobs A, B, A, B, A, B (global seq 1–6; job A holds 1, 3, 5, job B 2, 4, 6). */
export async function appendSixEntries(audit: {
  append(input: AuditEntryInput): Promise<AuditEntry>;
}): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < 6; i += 1) {
    entries.push(await audit.append(entry(i % 2 === 0 ? JOB_A : JOB_B, { reason: `step ${i + 1}` })));
  }
  return entries;
}

/** What the tampering helpers below need: the server, the keys and the entries as appended. */
export interface TrailState {
  redis: RedisClient;
  keys: KeySpace;
  entries: readonly AuditEntry[];
}

async function pointHead(redis: RedisClient, key: string, seq: number, last: AuditEntry): Promise<void> {
  await redis.call('HSET', key, 'seq', String(seq), 'hash', last.hash, 'streamId', last.streamId);
}

/** Cuts the global entries after the first `keep` and points the global head at the last one kept. */
export async function cutGlobalTail(state: TrailState, keep: number): Promise<void> {
  const { redis, keys, entries } = state;
  const cut = entries.slice(keep).map((e) => e.streamId);
  if (cut.length > 0) await redis.call('XDEL', keys.auditLog(), ...cut);
  await pointHead(redis, keys.auditHead(), entries[keep - 1]!.seq, entries[keep - 1]!);
}

/** Cuts a job's entries after job seq `keepJobSeq` from its stream and rolls its head back to match. */
export async function cutJobTail(state: TrailState, jobId: string, keepJobSeq: number): Promise<void> {
  const { redis, keys, entries } = state;
  const own = entries.filter((e) => e.jobId === jobId);
  const cut = own.filter((e) => e.jobSeq > keepJobSeq).map((e) => e.streamId);
  if (cut.length > 0)
    await redis.call(
      'XDEL',
      keys.auditJobStream({ account: 'default', region: REGION, jobId: jobId }),
      ...cut,
    );
  const last = own.find((e) => e.jobSeq === keepJobSeq);
  if (last === undefined)
    await redis.call('DEL', keys.auditJobHead({ account: 'default', region: REGION, jobId: jobId }));
  else
    await pointHead(
      redis,
      keys.auditJobHead({ account: 'default', region: REGION, jobId: jobId }),
      last.jobSeq,
      last,
    );
}

/**
 * Cuts the entries after the first `keep` from every copy consistently: the global chain, the job chains
 * and the entryId index (what someone with Redis access would do to leave no trace inside Redis).
 */
export async function cutEverywhere(state: TrailState, keep: number): Promise<void> {
  await cutGlobalTail(state, keep);
  for (const jobId of new Set(state.entries.map((e) => e.jobId))) {
    const kept = state.entries.slice(0, keep).filter((e) => e.jobId === jobId);
    await cutJobTail(state, jobId, kept.length);
  }
  const cutIds = state.entries.slice(keep).map((e) => e.entryId);
  if (cutIds.length > 0) await state.redis.call('HDEL', state.keys.auditEntryIds(), ...cutIds);
}

export interface SixEntryTrail extends TrailState {
  audit: RedisAuditTrail;
  entries: AuditEntry[];
}

/** A trail under `prefix` holding the six entries of appendSixEntries, one second apart. */
export async function sixEntryTrail(
  redis: RedisClient,
  prefix: string,
  hmacKey?: string,
): Promise<SixEntryTrail> {
  const keys = keysFor(prefix);
  const audit = new RedisAuditTrail(redis, {
    keys,
    clock: new SteppingClock(),
    ...(hmacKey ? { hmacKey } : {}),
  });
  return { redis, keys, audit, entries: await appendSixEntries(audit) };
}
