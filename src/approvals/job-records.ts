import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Cluster } from 'ioredis';
import type { Job, JobProgress, JobStatus } from '../cos/model.js';
import {
  type AccountRegion,
  DEFAULT_ACCOUNT_NAME,
  type JobRef,
  jobRefKey,
  jobRefLabel,
  jobRefProblem,
} from '../jobs/job-ref.js';
import type { KeySpace } from '../redis/keys.js';
import { RedisScript } from '../redis/scripts.js';
import type { RuleStamp } from '../rules/applied.js';
import type { RedisClient } from './ports.js';

/** What people saw on the card: approval is refused if the job no longer matches it. */
export interface ShownSnapshot {
  operationKind: string;
  operationParameters: Record<string, string>;
  manifestEtag: string;
  priority: number;
  totalTasks: number;
}

export interface JobRecord {
  account: string;
  region: string;
  jobId: string;
  shown: ShownSnapshot;
  /** The job as last described, for rendering the card without another COS call. */
  job: Job;
  firstSeenAt: number;
  lastStatus: JobStatus;
  lastProgress?: JobProgress;
  lastProgressAt?: number;
  card?: { channel: string; ts: string };
  /**
   * The channel its card goes to, chosen once when the job was announced (absent before that, and in
   * records written before rules could name a channel). Once the card is posted, `card.channel` says
   * where it is.
   */
  channel?: string;
  /** The burst digest message that lists the job too (with every job it lists, to re-render it). */
  digest?: DigestMessage;
  lastRemindedAt?: number;
  /** When job_pending was emitted for it (absent for a job recorded by a typed command first). */
  announcedAt?: number;
  changedOutsideAt?: number;
  finishedAt?: number;
  expiredAt?: number;
  /**
   * The approval rule the job is under, as the watcher chose it when it announced the job (or a decision
   * re-checked it since); the votes in the job's vote set were all cast under it. Absent in records
   * written before rules existed: not yet chosen.
   */
  rule?: RuleStamp;
  /** The last time the chosen rule changed while the job waited, for the card. */
  ruleChange?: RuleChange;
}

/** A rule change noticed while a job waited: which rule it was, which it is, and what became of the votes. */
export interface RuleChange {
  from: RuleStamp;
  to: RuleStamp;
  /** Votes kept because the new rule still accepts their voters, and votes dropped. */
  kept: number;
  dropped: number;
  at: number;
}

const isStamp = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as RuleStamp).name === 'string' &&
  typeof (value as RuleStamp).hash === 'string';

function looksLikeRuleChange(value: Record<string, unknown>): boolean {
  return (
    isStamp(value.from) &&
    isStamp(value.to) &&
    typeof value.kept === 'number' &&
    typeof value.dropped === 'number' &&
    typeof value.at === 'number'
  );
}

/** A message listing several jobs, each with its own buttons until it is decided. */
export interface DigestMessage {
  channel: string;
  ts: string;
  jobs: JobRef[];
}

function looksLikeDigest(value: Record<string, unknown>): boolean {
  return (
    typeof value.channel === 'string' &&
    typeof value.ts === 'string' &&
    Array.isArray(value.jobs) &&
    value.jobs.every(
      (ref: unknown) =>
        ref !== null &&
        typeof ref === 'object' &&
        // Digests stored before several accounts name no account: they mean the default one.
        jobRefProblem({ account: DEFAULT_ACCOUNT_NAME, ...(ref as object) } as JobRef) === undefined,
    )
  );
}

/** A stored digest with every job's account filled in (digests stored before several accounts have none). */
function withAccounts(digest: DigestMessage): DigestMessage {
  return {
    ...digest,
    jobs: digest.jobs.map((job) => ({ ...job, account: job.account ?? DEFAULT_ACCOUNT_NAME })),
  };
}

export function snapshotOf(job: Job): ShownSnapshot {
  return {
    operationKind: job.operation.rawKind,
    operationParameters: { ...job.operation.parameters },
    manifestEtag: job.manifest?.location.etag ?? '',
    priority: job.priority,
    totalTasks: job.progress.totalTasks,
  };
}

function sortedJson(record: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** Names what changed between the card and the job as COS describes it now, or [] when nothing did. */
export function differencesFromShown(shown: ShownSnapshot, job: Job): string[] {
  const now = snapshotOf(job);
  const changes: string[] = [];
  if (now.operationKind !== shown.operationKind) {
    changes.push(`operation changed from ${shown.operationKind} to ${now.operationKind}`);
  } else if (sortedJson(now.operationParameters) !== sortedJson(shown.operationParameters)) {
    changes.push('operation parameters changed');
  }
  if (now.manifestEtag !== shown.manifestEtag) changes.push('manifest ETag changed');
  if (now.priority !== shown.priority)
    changes.push(`priority changed from ${shown.priority} to ${now.priority}`);
  return changes;
}

export class CorruptRecordError extends Error {
  constructor(ref: JobRef, field: string) {
    super(
      `cosjob's Redis record for job ${jobRefLabel(ref)} is damaged (field "${field}"); an operator should inspect it.`,
    );
    this.name = 'CorruptRecordError';
  }
}

/** Records come back from Redis, which anyone with access can edit: check the shape before trusting it. */
function parseStored<T>(
  text: string,
  field: string,
  ref: JobRef,
  looksRight: (value: Record<string, unknown>) => boolean,
): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CorruptRecordError(ref, field);
  }
  if (value === null || typeof value !== 'object' || !looksRight(value as Record<string, unknown>)) {
    throw new CorruptRecordError(ref, field);
  }
  return value as T;
}

// Creates the record only if absent, in one step, so a crash never leaves half a record and two
// replicas never both announce the same job.
const CREATE_IF_ABSENT = new RedisScript<number>(
  'job-record-create-if-absent',
  1,
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`,
);

/*
 * The same writes on a single node (or Sentinel), each replacing the records' version (KEYS[2]) with
 * ARGV[1] in the same script: atomic, so no reader can take the version as current while the write is
 * under way, and one command instead of a write between two version replacements (Cluster, where the two
 * keys live on different nodes, uses that sequence instead).
 */
const CREATE_IF_ABSENT_MARKED = new RedisScript<number>(
  'job-record-create-if-absent-marked',
  2,
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SET', KEYS[2], ARGV[1])
return 1`,
);

const HSET_MARKED = new RedisScript<number>(
  'job-record-hset-marked',
  2,
  `
local added = redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SET', KEYS[2], ARGV[1])
return added`,
);

const HSETNX_MARKED = new RedisScript<number>(
  'job-record-hsetnx-marked',
  2,
  `
local set = redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3])
if set == 1 then redis.call('SET', KEYS[2], ARGV[1]) end
return set`,
);

const SET_CHANNEL_ONCE_MARKED = new RedisScript<number>(
  'job-record-set-channel-once-marked',
  2,
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local set = redis.call('HSETNX', KEYS[1], 'channel', ARGV[2])
if set == 1 then redis.call('SET', KEYS[2], ARGV[1]) end
return set`,
);

// Only on an existing record (HSETNX alone would create a record of one field, which createIfAbsent would
// then take for the job's) and only once: the first choice stands.
const SET_CHANNEL_ONCE = new RedisScript<number>(
  'job-record-set-channel-once',
  1,
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'channel', ARGV[1])`,
);

const CLAIM_OR_RENEW = new RedisScript<number>(
  'job-card-claim-or-renew',
  1,
  `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
);

/**
 * Each record's fields as HGETALL gives them, unless the record's fingerprint (SHA-1 of its
 * length-prefixed fields and values, in the hash's order) equals the one given: then just 1. The watcher
 * reads every tracked record each poll, and on a quiet poll none has changed. Measured for 1,000 records
 * of ~2 KB: parsing the pipelined HGETALL replies cost 13–17 ms of CPU (20–30 ms in the app's cycle); one
 * script call per key answering 1 still cost 11–12 ms (ioredis's per-script-command overhead); one call
 * per batch of 100 keys answering 1s costs ~2 ms. The fingerprint is taken in the same run as the fields,
 * so a record changed between two reads is never taken for the one remembered; a different field order
 * (Redis re-encoding a hash) only costs a full read. The batch form needs every key on one node, so
 * Cluster (a hash tag per job) runs the one-key form per key, concurrently.
 */
const READ_RECORD = `
local fields = redis.call('HGETALL', key)
local parts = {}
for i = 1, #fields do parts[i] = #fields[i] .. ':' .. fields[i] end
local fingerprint = redis.sha1hex(table.concat(parts, ','))
if fingerprint == known then return 1 end
return {fingerprint, fields}`;
// no-writes: Redis 7 refuses a script without it when maxmemory is reached, as it never refuses HGETALL.
const READ_IF_CHANGED_COMMAND = 'cosjob_job_record_if_changed';
const READ_IF_CHANGED_LUA = `#!lua flags=no-writes
local function read(key, known)${READ_RECORD}
end
return read(KEYS[1], ARGV[1])`;
/** KEYS are the records, ARGV their fingerprints in the same order; the answer is one entry per key. */
const READ_MANY_IF_CHANGED_COMMAND = 'cosjob_job_records_if_changed';
const READ_MANY_IF_CHANGED_LUA = `#!lua flags=no-writes
local function read(key, known)${READ_RECORD}
end
local out = {}
for k = 1, #KEYS do out[k] = read(KEYS[k], ARGV[k]) end
return out`;

interface RememberedRecord {
  fingerprint: string;
  raw: Record<string, string>;
  record?: JobRecord;
  /** The records' version token read just before these fields were (undefined: none was known). */
  version?: string | undefined;
  /** When the fields were last read or confirmed by their fingerprint (performance.now()). */
  checkedAt?: number;
}

/**
 * A record remembered under the current version is still confirmed against Redis this often, so a write
 * that did not replace the version (an edit by hand, a replica of an older cosjob during an upgrade, a
 * crash between a write and its version) is seen within this time.
 */
const RECHECK_MS = 30_000;

/** Freezes every object inside the record (its own fields stay writable: callers get shallow copies). */
function freezeNested(record: JobRecord): JobRecord {
  const freeze = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
    Object.freeze(value);
    for (const inner of Object.values(value)) freeze(inner);
  };
  for (const value of Object.values(record)) freeze(value);
  return record;
}

/** Remembered records beyond this are dropped all at once (the watcher reads them all again next poll). */
const REMEMBERED_RECORDS = 20_000;

type ReadIfChanged = (key: string, fingerprint: string) => Promise<unknown>;
type ReadManyIfChanged = (numberOfKeys: number, ...keysThenFingerprints: string[]) => Promise<unknown>;

/** One job's share of a batched read: a damaged record or a failed command fails only its own entry. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class JobRecords {
  /**
   * The fields last read by getMany, their fingerprint and the record parsed from them, by record key. The
   * record's nested objects are frozen and only shallow copies of it are handed out, so no caller can
   * spoil what the next caller gets.
   */
  private readonly remembered = new Map<string, RememberedRecord>();
  /** Versions this instance writes: unique to it (a random part) and to each write (a count). */
  private readonly versionPrefix = randomBytes(6).toString('hex');
  private writes = 0;
  private readonly recheckMs: number;
  /** Each record getMany handed out, with the fingerprint of the fields it was made from. */
  private readonly fingerprints = new WeakMap<JobRecord, string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    options: { recheckMs?: number } = {},
  ) {
    this.recheckMs = options.recheckMs ?? RECHECK_MS;
    // ioredis runs it by EVALSHA, falling back to EVAL on NOSCRIPT, in a pipeline as elsewhere.
    redis.defineCommand(READ_IF_CHANGED_COMMAND, { numberOfKeys: 1, lua: READ_IF_CHANGED_LUA });
    redis.defineCommand(READ_MANY_IF_CHANGED_COMMAND, { lua: READ_MANY_IF_CHANGED_LUA });
  }

  /** Returns true when this call created the record (the job is new to cosjob). */
  async createIfAbsent(at: AccountRegion, job: Job, now: number, rule?: RuleStamp): Promise<boolean> {
    const ref: JobRef = { account: at.account, region: at.region, jobId: job.id };
    const fields: string[] = [
      'account',
      at.account,
      'region',
      at.region,
      'jobId',
      job.id,
      'shown',
      JSON.stringify(snapshotOf(job)),
      'job',
      JSON.stringify(job),
      'firstSeenAt',
      String(now),
      'lastStatus',
      job.status,
      'lastProgress',
      JSON.stringify(job.progress),
      ...(rule ? ['ruleName', rule.name, 'ruleHash', rule.hash] : []),
    ];
    // Tracked first: a crash in between leaves a member without a record (followTracked drops it), never a
    // record nobody follows. The two keys live in different slots, so one script cannot write both.
    const member = jobRefKey(ref);
    const wasTracked = (await this.redis.sismember(this.keys.tracked(), member)) === 1;
    if (!wasTracked) await this.redis.sadd(this.keys.tracked(), member);
    const created = await this.writeRecord(ref, CREATE_IF_ABSENT_MARKED, fields, () =>
      CREATE_IF_ABSENT.run(this.redis, [this.keys.jobRecord(ref)], fields),
    );
    if (created !== 1 && !wasTracked) {
      // The record already existed (perhaps finished and no longer followed): leave the set as it was.
      await this.redis.srem(this.keys.tracked(), member);
    }
    return created === 1;
  }

  async exists(ref: JobRef): Promise<boolean> {
    return (await this.redis.exists(this.keys.jobRecord(ref))) === 1;
  }

  async get(ref: JobRef): Promise<JobRecord | undefined> {
    return this.fromStored(await this.redis.hgetall(this.keys.jobRecord(ref)), ref);
  }

  /** `exists` for many jobs at once (the watcher's discovery), in request order. */
  async existsMany(refs: readonly JobRef[]): Promise<Settled<boolean>[]> {
    const replies = await this.batch(
      refs.map((ref) => this.keys.jobRecord(ref)),
      'exists',
    );
    return replies.map((reply) => (reply.ok ? { ok: true, value: reply.value === 1 } : reply));
  }

  /**
   * `get` for many jobs at once (the watcher's follow-up, digests, the Home tab), in request order. A
   * record unchanged since the last getMany is not sent again (see READ_IF_CHANGED_LUA), nor parsed
   * again: the same fields gave the record remembered with them (parsing 1,000 records' JSON was the
   * largest single cost of a quiet poll cycle). And when no record was written since the remembered ones
   * were read (every write here replaces jobRecordsVersion), Redis is not asked for them at all, for up
   * to RECHECK_MS.
   */
  async getMany(refs: readonly JobRef[]): Promise<Settled<JobRecord | undefined>[]> {
    const keys = refs.map((ref) => this.keys.jobRecord(ref));
    // Read before the records: a write after this read replaces it, so the next call reads again.
    const version = await this.recordsVersion();
    const now = performance.now();
    if (this.remembered.size > REMEMBERED_RECORDS) this.remembered.clear();
    // No record written since these were read or confirmed: Redis is not asked (a quiet poll's 1,000 keys
    // and fingerprints were the largest part of its CPU in the app).
    const current = (key: string): RememberedRecord | undefined => {
      const known = this.remembered.get(key);
      return version !== undefined &&
        known?.record !== undefined &&
        known.version === version &&
        now - (known.checkedAt ?? Number.NEGATIVE_INFINITY) < this.recheckMs
        ? known
        : undefined;
    };
    // Decided once, before the read: another getMany running meanwhile may replace remembered entries.
    const unchanged = new Map<string, RememberedRecord>();
    for (const key of keys) {
      const known = current(key);
      if (known?.record) unchanged.set(key, known);
    }
    const toRead = keys.filter((key) => !unchanged.has(key));
    const read = new Map<string, Settled<unknown>>();
    (await this.batch(toRead, 'readIfChanged')).forEach((reply, index) => {
      read.set(toRead[index] as string, reply);
    });
    return refs.map((ref, index): Settled<JobRecord | undefined> => {
      const key = keys[index] as string;
      const kept = unchanged.get(key);
      if (kept) return { ok: true, value: this.copyOf(kept) };
      const reply = read.get(key) ?? { ok: false, error: new Error(`no reply for the record ${key}`) };
      if (!reply.ok) return reply;
      const known = this.remembered.get(key);
      if (reply.value === 1 && known?.record) {
        this.confirmed(known, version, now);
        return { ok: true, value: this.copyOf(known) };
      }
      try {
        const raw = this.rawFromReply(key, reply.value);
        const record = this.fromStored(raw, ref);
        const remembered = this.remembered.get(key);
        if (!record || !remembered) return { ok: true, value: record };
        remembered.record = freezeNested(record);
        this.confirmed(remembered, version, now);
        return { ok: true, value: this.copyOf(remembered) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  /**
   * The fingerprint of the stored fields a record handed out by getMany was made from (undefined for one
   * from anywhere else): two records with the same fingerprint hold the same fields, so whatever a caller
   * decided from the one holds for the other (the watcher skips quiet jobs by it).
   */
  fingerprintOf(record: JobRecord): string | undefined {
    return this.fingerprints.get(record);
  }

  private copyOf(known: RememberedRecord): JobRecord {
    const copy = { ...(known.record as JobRecord) };
    this.fingerprints.set(copy, known.fingerprint);
    return copy;
  }

  private confirmed(known: RememberedRecord, version: string | undefined, at: number): void {
    known.version = version;
    known.checkedAt = at;
  }

  /** The records' version token, or undefined when none is set or it cannot be read (then every record is read). */
  private async recordsVersion(): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.keys.jobRecordsVersion())) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * One write to a record, with the records' version replaced. On one node: `marked`, a script doing both
   * at once. On Cluster the version lives on another node, so the write runs between two replacements:
   * before it, a reader that reads the version while the write is under way sees a new one and reads the
   * records from Redis; after it, a reader that read them before the write landed reads them again next
   * time. (Only after, a reader could take the old version, then the record as it was, as current.)
   * Versions are unique per write, so one never comes back.
   */
  private async writeRecord(
    ref: JobRef,
    marked: RedisScript<number>,
    args: readonly (string | number)[],
    plain: () => Promise<number>,
  ): Promise<number> {
    if (!(this.redis instanceof Cluster)) {
      return marked.run(
        this.redis,
        [this.keys.jobRecord(ref), this.keys.jobRecordsVersion()],
        [this.nextVersion(), ...args],
      );
    }
    await this.replaceVersion();
    const result = await plain();
    await this.replaceVersion();
    return result;
  }

  private hsetRecord(ref: JobRef, fieldsAndValues: readonly string[]): Promise<number> {
    return this.writeRecord(ref, HSET_MARKED, fieldsAndValues, () =>
      this.redis.hset(this.keys.jobRecord(ref), ...fieldsAndValues),
    );
  }

  private nextVersion(): string {
    this.writes += 1;
    return `${this.versionPrefix}:${this.writes}`;
  }

  private async replaceVersion(): Promise<void> {
    try {
      await this.redis.set(this.keys.jobRecordsVersion(), this.nextVersion());
    } catch {
      // The write itself is not held up; readers still confirm every record within RECHECK_MS.
    }
  }

  private rawFromReply(key: string, reply: unknown): Record<string, string> {
    const known = this.remembered.get(key);
    if (reply === 1 && known) return known.raw;
    const [fingerprint, flat] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (typeof fingerprint !== 'string' || !Array.isArray(flat)) {
      throw new Error(`Redis answered the record read for ${key} with something other than its fields`);
    }
    const raw: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) raw[String(flat[i])] = String(flat[i + 1]);
    this.remembered.set(key, { fingerprint, raw });
    return raw;
  }

  /**
   * One command per job, sent together. On a single node (or Sentinel) a pipeline: one write and one
   * read for the batch instead of one each per command (ioredis's per-command writes were ~17 % of the
   * CPU of a poll cycle). On Cluster every job key has its own hash tag, so the slots differ and a
   * pipeline is refused; there the commands go out concurrently instead (no waiting between them).
   */
  private async batch(
    keys: readonly string[],
    command: 'exists' | 'readIfChanged',
  ): Promise<Settled<unknown>[]> {
    if (keys.length === 0) return [];
    // A fingerprint nothing has: the record is read in full.
    const fingerprint = (key: string) => this.remembered.get(key)?.fingerprint ?? '-';
    if (this.redis instanceof Cluster) {
      const cluster = this.redis;
      const readIfChanged = (cluster as unknown as Record<string, ReadIfChanged>)[READ_IF_CHANGED_COMMAND];
      return Promise.all(
        keys.map((key) =>
          (command === 'exists'
            ? cluster.exists(key)
            : (readIfChanged as ReadIfChanged).call(cluster, key, fingerprint(key))
          ).then(
            (value): Settled<unknown> => ({ ok: true, value }),
            (error: unknown): Settled<unknown> => ({ ok: false, error }),
          ),
        ),
      );
    }
    if (command === 'readIfChanged') {
      const many = await this.readManyIfChanged(keys, keys.map(fingerprint));
      if (many) return many;
    }
    const pipeline = this.redis.pipeline();
    const readIfChanged = (pipeline as unknown as Record<string, ReadIfChanged>)[READ_IF_CHANGED_COMMAND];
    for (const key of keys) {
      if (command === 'exists') pipeline.exists(key);
      else (readIfChanged as ReadIfChanged).call(pipeline, key, fingerprint(key));
    }
    let replies: [Error | null, unknown][];
    try {
      replies = (await pipeline.exec()) ?? [];
    } catch (error) {
      return keys.map(() => ({ ok: false, error }));
    }
    // exec() does not throw per command: every tuple is checked.
    return keys.map((_, index): Settled<unknown> => {
      const [error, value] = replies[index] ?? [new Error('Redis sent no reply for this command'), undefined];
      return error ? { ok: false, error } : { ok: true, value };
    });
  }

  /**
   * One script call for the whole batch, or undefined when it fails as a whole (a key of the wrong type
   * aborts the script): the caller then reads key by key, so only that key's entry fails.
   */
  private async readManyIfChanged(
    keys: readonly string[],
    fingerprints: readonly string[],
  ): Promise<Settled<unknown>[] | undefined> {
    const readMany = (this.redis as unknown as Record<string, ReadManyIfChanged>)[
      READ_MANY_IF_CHANGED_COMMAND
    ];
    let replies: unknown;
    try {
      replies = await (readMany as ReadManyIfChanged).call(this.redis, keys.length, ...keys, ...fingerprints);
    } catch {
      return undefined;
    }
    if (!Array.isArray(replies) || replies.length !== keys.length) return undefined;
    return replies.map((value): Settled<unknown> => ({ ok: true, value }));
  }

  private fromStored(raw: Record<string, string> | null | undefined, ref: JobRef): JobRecord | undefined {
    if (!raw?.jobId || !raw.shown || !raw.job) return undefined;
    const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
    // The account is the one the key names: records written before several accounts have no field for it.
    const record: JobRecord = {
      account: ref.account,
      region: raw.region ?? ref.region,
      jobId: raw.jobId,
      shown: parseStored<ShownSnapshot>(raw.shown, 'shown', ref, (v) => typeof v.manifestEtag === 'string'),
      job: parseStored<Job>(
        raw.job,
        'job',
        ref,
        (v) => typeof v.id === 'string' && typeof v.status === 'string',
      ),
      firstSeenAt: Number(raw.firstSeenAt ?? 0),
      lastStatus: raw.lastStatus ?? 'Suspended',
    };
    if (raw.lastProgress) {
      record.lastProgress = parseStored<JobProgress>(
        raw.lastProgress,
        'lastProgress',
        ref,
        (v) => typeof v.totalTasks === 'number',
      );
    }
    const lastProgressAt = num(raw.lastProgressAt);
    if (lastProgressAt !== undefined) record.lastProgressAt = lastProgressAt;
    if (raw.cardChannel && raw.cardTs) record.card = { channel: raw.cardChannel, ts: raw.cardTs };
    if (raw.channel) record.channel = raw.channel;
    if (raw.digest)
      record.digest = withAccounts(parseStored<DigestMessage>(raw.digest, 'digest', ref, looksLikeDigest));
    const lastRemindedAt = num(raw.lastRemindedAt);
    if (lastRemindedAt !== undefined) record.lastRemindedAt = lastRemindedAt;
    const announcedAt = num(raw.announcedAt);
    if (announcedAt !== undefined) record.announcedAt = announcedAt;
    const changedOutsideAt = num(raw.changedOutsideAt);
    if (changedOutsideAt !== undefined) record.changedOutsideAt = changedOutsideAt;
    const finishedAt = num(raw.finishedAt);
    if (finishedAt !== undefined) record.finishedAt = finishedAt;
    const expiredAt = num(raw.expiredAt);
    if (expiredAt !== undefined) record.expiredAt = expiredAt;
    if (raw.ruleName && raw.ruleHash) record.rule = { name: raw.ruleName, hash: raw.ruleHash };
    if (raw.ruleChange) {
      record.ruleChange = parseStored<RuleChange>(raw.ruleChange, 'ruleChange', ref, looksLikeRuleChange);
    }
    return record;
  }

  /**
   * Claims the right to post the job's card for `ttlMs` (renewed when the same owner asks again, e.g. on a
   * retry). False when another replica holds it.
   */
  async claimCardPosting(ref: JobRef, owner: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.jobCardLock(ref);
    return (await CLAIM_OR_RENEW.run(this.redis, [key], [owner, ttlMs])) === 1;
  }

  async setCard(ref: JobRef, channel: string, ts: string): Promise<void> {
    await this.hsetRecord(ref, ['cardChannel', channel, 'cardTs', ts]);
  }

  /**
   * Remembers the channel the job's card goes to, unless one was chosen already or the record is gone;
   * true when this call chose it.
   */
  async rememberChannel(ref: JobRef, channel: string): Promise<boolean> {
    const chosen = await this.writeRecord(ref, SET_CHANNEL_ONCE_MARKED, [channel], () =>
      SET_CHANNEL_ONCE.run(this.redis, [this.keys.jobRecord(ref)], [channel]),
    );
    return chosen === 1;
  }

  /** Records the rule the job is now under (and, when it replaced another, the change for the card). */
  async setRule(ref: JobRef, rule: RuleStamp, change?: RuleChange): Promise<void> {
    await this.hsetRecord(ref, [
      'ruleName',
      rule.name,
      'ruleHash',
      rule.hash,
      ...(change ? ['ruleChange', JSON.stringify(change)] : []),
    ]);
  }

  /**
   * Records the digest on every one of its jobs, sent together (one round trip, not one per job: a click
   * on a row right after the digest went out finds its record already pointing at it).
   */
  async setDigest(refs: readonly JobRef[], digest: DigestMessage): Promise<void> {
    const text = JSON.stringify(digest);
    await Promise.all(refs.map((ref) => this.hsetRecord(ref, ['digest', text])));
  }

  async update(ref: JobRef, fields: Record<string, string | number>): Promise<void> {
    const flat = Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);
    if (flat.length === 0) return;
    await this.hsetRecord(ref, flat);
  }

  /** Sets a field only if it is not set yet; true when this call set it (a once-only event). */
  async markOnce(ref: JobRef, field: string, value: number): Promise<boolean> {
    const set = await this.writeRecord(ref, HSETNX_MARKED, [field, String(value)], () =>
      this.redis.hsetnx(this.keys.jobRecord(ref), field, String(value)),
    );
    return set === 1;
  }

  async tracked(): Promise<string[]> {
    return this.redis.smembers(this.keys.tracked());
  }

  async untrack(ref: JobRef): Promise<void> {
    this.remembered.delete(this.keys.jobRecord(ref));
    await this.redis.srem(this.keys.tracked(), jobRefKey(ref));
  }
}
