/**
 * Checkpoints anchor the audit chain outside Redis: from time to time the global chain's newest seq and
 * hash are written where someone with only Redis access cannot reach — an append-only file (or stdout,
 * for a SIEM) and a Slack channel. `cosjob audit verify --checkpoints` later names any checkpoint the
 * chain no longer contains (checkpoint-verify.ts), which shows a cut-and-rolled-back or deleted trail.
 *
 * The record, one JSON object (one line in a file, the event payload of a Slack message's metadata):
 *   { "type": "cosjob.audit.checkpoint", "v": 1, "trail": <REDIS_KEY_PREFIX>, "seq": <global seq>,
 *     "headHash": <entry hash, 64 hex>, "streamId": <its stream id>, "time": <ISO-8601 UTC>,
 *     "hmac": <64 hex, only with AUDIT_HMAC_KEY> }
 * hmac = HMAC-SHA256(AUDIT_HMAC_KEY, "cosjob audit checkpoint\n" + canonical), where canonical is the
 * other fields as strings, sorted by name, as one JSON object (the entry encoding of hash.ts). The prefix
 * keeps a checkpoint MAC from ever equalling an entry hash made with the same key. Without the key a
 * checkpoint still anchors the chain; the MAC only stops someone who can write to the file or channel
 * from passing off a checkpoint of their own.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { StreamRecord } from '../redis/replies.js';
import { decodeEntry } from './codec.js';
import { canonicalEncoding, HASH_PATTERN } from './hash.js';

export const CHECKPOINT_TYPE = 'cosjob.audit.checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface AuditCheckpoint {
  type: typeof CHECKPOINT_TYPE;
  v: typeof CHECKPOINT_VERSION;
  /** The Redis key prefix of the trail, so deployments sharing a channel or file are told apart. */
  trail: string;
  seq: number;
  headHash: string;
  streamId: string;
  time: string;
  hmac?: string;
}

const TRAIL_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const STREAM_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;
const MAC_DOMAIN = 'cosjob audit checkpoint\n';

/** Reads a checkpoint strictly; returns what is wrong with it otherwise. */
export function parseCheckpoint(value: unknown): AuditCheckpoint | { problem: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: 'not a JSON object' };
  }
  const o = value as Record<string, unknown>;
  if (o.type !== CHECKPOINT_TYPE) return { problem: `type is not ${CHECKPOINT_TYPE}` };
  if (o.v !== CHECKPOINT_VERSION)
    return { problem: `unknown checkpoint version ${JSON.stringify(o.v ?? null)}` };
  const allowed = new Set(['type', 'v', 'trail', 'seq', 'headHash', 'streamId', 'time', 'hmac']);
  const extra = Object.keys(o).find((k) => !allowed.has(k));
  if (extra !== undefined) return { problem: `unknown field ${JSON.stringify(extra).slice(0, 40)}` };
  if (typeof o.trail !== 'string' || !TRAIL_PATTERN.test(o.trail)) return { problem: 'trail is invalid' };
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1) {
    return { problem: 'seq is not a positive whole number' };
  }
  if (typeof o.headHash !== 'string' || !HASH_PATTERN.test(o.headHash)) {
    return { problem: 'headHash is not 64 hex digits' };
  }
  if (typeof o.streamId !== 'string' || !STREAM_ID_PATTERN.test(o.streamId)) {
    return { problem: 'streamId is not a stream id' };
  }
  if (typeof o.time !== 'string' || !o.time.endsWith('Z') || Number.isNaN(Date.parse(o.time))) {
    return { problem: 'time is not an ISO-8601 UTC time' };
  }
  if (o.hmac !== undefined && (typeof o.hmac !== 'string' || !HASH_PATTERN.test(o.hmac))) {
    return { problem: 'hmac is not 64 hex digits' };
  }
  const checkpoint: AuditCheckpoint = {
    type: CHECKPOINT_TYPE,
    v: CHECKPOINT_VERSION,
    trail: o.trail,
    seq: o.seq,
    headHash: o.headHash,
    streamId: o.streamId,
    time: o.time,
  };
  if (typeof o.hmac === 'string') checkpoint.hmac = o.hmac;
  return checkpoint;
}

function macFields(checkpoint: AuditCheckpoint): [string, string][] {
  return Object.entries(checkpoint)
    .filter(([name]) => name !== 'hmac')
    .map(([name, value]) => [name, String(value)]);
}

export type CheckpointAuthenticity =
  /** The MAC matches the key. */
  | 'valid'
  /** The MAC does not match: forged, altered, or made with another key. */
  | 'invalid'
  /** No MAC although a key is configured (written before the key was set, or by someone else). */
  | 'unsigned'
  /** No key configured here, so a MAC (or its absence) cannot be checked. */
  | 'unchecked';

/** Signs and checks checkpoints; the key stays inside this object. */
export class CheckpointSigner {
  readonly #key: string | undefined;
  readonly keyed: boolean;

  constructor(hmacKey?: string) {
    this.#key = hmacKey === '' ? undefined : hmacKey;
    this.keyed = this.#key !== undefined;
  }

  #mac(checkpoint: AuditCheckpoint): string {
    return createHmac('sha256', this.#key ?? '')
      .update(MAC_DOMAIN + canonicalEncoding(macFields(checkpoint)), 'utf8')
      .digest('hex');
  }

  sign(checkpoint: Omit<AuditCheckpoint, 'hmac'>): AuditCheckpoint {
    const unsigned: AuditCheckpoint = { ...checkpoint };
    return this.#key === undefined ? unsigned : { ...unsigned, hmac: this.#mac(unsigned) };
  }

  check(checkpoint: AuditCheckpoint): CheckpointAuthenticity {
    if (this.#key === undefined) return 'unchecked';
    if (checkpoint.hmac === undefined) return 'unsigned';
    const expected = Buffer.from(this.#mac(checkpoint), 'hex');
    const given = Buffer.from(checkpoint.hmac, 'hex');
    return expected.length === given.length && timingSafeEqual(expected, given) ? 'valid' : 'invalid';
  }

  /** Keeps the key out of util.inspect, console.log and JSON. */
  toJSON(): { keyed: boolean } {
    return { keyed: this.keyed };
  }
}

/** The checkpoint as one JSON line (fields in the documented order). */
export function checkpointLine(checkpoint: AuditCheckpoint): string {
  const { type, v, trail, seq, headHash, streamId, time, hmac } = checkpoint;
  return JSON.stringify({ type, v, trail, seq, headHash, streamId, time, ...(hmac ? { hmac } : {}) });
}

/** Somewhere checkpoints go. */
export interface CheckpointSink {
  /** For logs: 'file', 'stdout', 'slack'. */
  readonly name: string;
  write(checkpoint: AuditCheckpoint): Promise<void>;
}

/** The Slack port: posts a checkpoint to the audit channel (src/slack/audit-checkpoints.ts). */
export interface CheckpointPublisher {
  publish(checkpoint: AuditCheckpoint): Promise<void>;
}

export function publisherSink(publisher: CheckpointPublisher): CheckpointSink {
  return { name: 'slack', write: (checkpoint) => publisher.publish(checkpoint) };
}

export interface LineOutput {
  write(chunk: string): unknown;
}

/**
 * Appends checkpoints to a file as JSON lines: opened with O_APPEND (every write lands at the end, never
 * over earlier lines) and fsynced after each line, so a checkpoint reported written survives a crash.
 * `-` writes to stdout instead (for a log shipper or SIEM).
 */
export class CheckpointFileWriter implements CheckpointSink {
  readonly name: string;
  private constructor(
    private readonly handle: FileHandle | undefined,
    private readonly stdout: LineOutput | undefined,
  ) {
    this.name = handle === undefined ? 'stdout' : 'file';
  }

  /** Opens (creating when absent) the file; fails at once when it cannot be written. */
  static async open(path: string, stdout: LineOutput = process.stdout): Promise<CheckpointFileWriter> {
    if (path === '-') return new CheckpointFileWriter(undefined, stdout);
    return new CheckpointFileWriter(await open(path, 'a', 0o640), undefined);
  }

  async write(checkpoint: AuditCheckpoint): Promise<void> {
    const line = `${checkpointLine(checkpoint)}\n`;
    if (this.handle === undefined) {
      this.stdout?.write(line);
      return;
    }
    await this.handle.appendFile(line, 'utf8');
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
  }
}

/** The newest entry of the global chain as a checkpoint would record it. */
export interface ChainHead {
  seq: number;
  hash: string;
  streamId: string;
}

/** Reads the newest entry of the global stream (ChainReads.lastGlobalRecord, decoded). */
export async function readChainHead(reads: {
  lastGlobalRecord(): Promise<StreamRecord | undefined>;
}): Promise<ChainHead | undefined> {
  const record = await reads.lastGlobalRecord();
  if (record === undefined) return undefined;
  const decoded = decodeEntry(record);
  if (!decoded.ok) throw new Error(`the newest audit entry (${record.id}) is unreadable: ${decoded.problem}`);
  return { seq: decoded.entry.seq, hash: decoded.entry.hash, streamId: record.id };
}

export interface CheckpointSchedulerOptions {
  /** The chain's newest entry now (undefined while the trail is empty). */
  head: () => Promise<ChainHead | undefined>;
  signer: CheckpointSigner;
  trail: string;
  sinks: readonly CheckpointSink[];
  intervalMs: number;
  clock: Clock;
  logger: Logger;
  /** Whether this replica should write checkpoints (e.g. only the leader); default always. */
  shouldRun?: () => boolean;
  /** After a sink fails, try again this much later rather than a whole interval (default 5 min or less). */
  retryMs?: number;
}

export type CheckpointTick =
  | { kind: 'not_due' | 'not_leader' | 'empty' | 'unchanged' }
  | { kind: 'written'; checkpoint: AuditCheckpoint; failed: string[] };

/**
 * Writes a checkpoint every `intervalMs` when the chain moved since the last one each sink received.
 * `tick()` does one check by the injected clock (tests call it directly); `start()` calls it on a timer.
 * A sink that failed gets the newest head at the next retry; one sink failing never blocks the others.
 * The head is the newest entry as stored, not re-verified (that is verify's job, O(chain)): a checkpoint
 * taken after tampering still pins everything from then on, and the earlier checkpoints expose the rest.
 */
export class CheckpointScheduler {
  private nextDueAt = 0;
  /** The last head delivered, by sink name: one entry per configured sink. */
  private readonly delivered = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly retryMs: number;

  constructor(private readonly o: CheckpointSchedulerOptions) {
    if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1) {
      throw new RangeError('intervalMs must be a whole number of at least 1');
    }
    this.retryMs = o.retryMs ?? Math.min(o.intervalMs, 5 * 60_000);
  }

  async tick(): Promise<CheckpointTick> {
    const now = this.o.clock.now();
    if (now < this.nextDueAt) return { kind: 'not_due' };
    if (this.o.shouldRun && !this.o.shouldRun()) return { kind: 'not_leader' };
    const head = await this.o.head();
    this.nextDueAt = now + this.o.intervalMs;
    if (head === undefined) return { kind: 'empty' };
    const mark = `${head.seq}:${head.hash}`;
    const due = this.o.sinks.filter((sink) => this.delivered.get(sink.name) !== mark);
    if (due.length === 0) return { kind: 'unchanged' };
    const checkpoint = this.o.signer.sign({
      type: CHECKPOINT_TYPE,
      v: CHECKPOINT_VERSION,
      trail: this.o.trail,
      seq: head.seq,
      headHash: head.hash,
      streamId: head.streamId,
      time: new Date(now).toISOString(),
    });
    const failed: string[] = [];
    for (const sink of due) {
      try {
        await sink.write(checkpoint);
        this.delivered.set(sink.name, mark);
      } catch (error) {
        failed.push(sink.name);
        this.o.logger.error('audit checkpoint could not be written', {
          sink: sink.name,
          seq: head.seq,
          error,
        });
      }
    }
    if (failed.length > 0) this.nextDueAt = now + this.retryMs;
    else this.o.logger.info('audit checkpoint written', { seq: head.seq, sinks: due.map((s) => s.name) });
    return { kind: 'written', checkpoint, failed };
  }

  /** Checks once a minute (or each interval, when shorter) whether a checkpoint is due. */
  start(): void {
    if (this.timer !== undefined) return;
    const period = Math.min(this.o.intervalMs, 60_000);
    const run = () => {
      this.running = this.tick()
        .catch((error) => this.o.logger.error('audit checkpoint check failed', { error }))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(run, period).unref();
        });
    };
    this.timer = setTimeout(run, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
