/**
 * Checkpoints: the signed record, the append-only file writer, the scheduler (driven by a manual clock
 * against a real redis-server), and the settings.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainReads } from '../../src/audit/chain-reads.js';
import {
  type AuditCheckpoint,
  CHECKPOINT_TYPE,
  CheckpointFileWriter,
  CheckpointScheduler,
  CheckpointSigner,
  type CheckpointSink,
  checkpointLine,
  parseCheckpoint,
  readChainHead,
} from '../../src/audit/checkpoints.js';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import { ManualClock } from '../../src/clock.js';
import { EnvReader, readAuditConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/logger.js';
import { useRedis } from '../helpers/redis.js';
import { entry, JOB_A, keysFor, SteppingClock, useClients } from './support.js';

const redisCtx = useRedis();
const client = useClients();
const KEY = 'checkpoint-test-hmac-key-0123456789';

function sample(overrides: Partial<AuditCheckpoint> = {}): Omit<AuditCheckpoint, 'hmac'> {
  return {
    type: CHECKPOINT_TYPE,
    v: 1,
    trail: 'cosjob',
    seq: 42,
    headHash: 'a'.repeat(64),
    streamId: '1767258000000-0',
    time: '2026-01-01T10:00:00.000Z',
    ...overrides,
  };
}

describe('the checkpoint record', () => {
  it('is signed with the key and checked: altered fields and other keys fail', () => {
    const signer = new CheckpointSigner(KEY);
    const signed = signer.sign(sample());
    expect(signed.hmac).toMatch(/^[0-9a-f]{64}$/);
    expect(signer.check(signed)).toBe('valid');
    expect(signer.check({ ...signed, seq: 43 })).toBe('invalid');
    expect(signer.check({ ...signed, headHash: 'b'.repeat(64) })).toBe('invalid');
    expect(new CheckpointSigner('another-key-0123456789abcdef').check(signed)).toBe('invalid');
    expect(signer.check(sample() as AuditCheckpoint)).toBe('unsigned');
    expect(new CheckpointSigner().check(signed)).toBe('unchecked');
    expect(new CheckpointSigner().sign(sample()).hmac).toBeUndefined();
  });

  it('never shows the key', () => {
    const signer = new CheckpointSigner(KEY);
    expect(JSON.stringify(signer)).not.toContain(KEY);
    expect(inspect(signer, { showHidden: true, depth: 5 })).not.toContain(KEY);
  });

  it('round-trips through its JSON line and is read strictly', () => {
    const signed = new CheckpointSigner(KEY).sign(sample());
    const line = checkpointLine(signed);
    expect(Object.keys(JSON.parse(line))).toEqual([
      'type',
      'v',
      'trail',
      'seq',
      'headHash',
      'streamId',
      'time',
      'hmac',
    ]);
    expect(parseCheckpoint(JSON.parse(line))).toEqual(signed);
    const bad: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [{ ...signed, type: 'other' }, /type/],
      [{ ...signed, v: 2 }, /version/],
      [{ ...signed, seq: 0 }, /seq/],
      [{ ...signed, seq: '42' }, /seq/],
      [{ ...signed, headHash: 'xyz' }, /headHash/],
      [{ ...signed, streamId: '12' }, /streamId/],
      [{ ...signed, time: 'yesterday' }, /time/],
      [{ ...signed, hmac: 'short' }, /hmac/],
      [{ ...signed, trail: 'has space' }, /trail/],
      [{ ...signed, extra: 1 }, /unknown field/],
    ];
    for (const [value, problem] of bad) {
      const parsed = parseCheckpoint(value);
      expect(parsed).toHaveProperty('problem');
      expect((parsed as { problem: string }).problem).toMatch(problem);
    }
  });
});

describe('the file writer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosjob-checkpoints-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends JSON lines after what the file already holds', async () => {
    const path = join(dir, 'checkpoints.jsonl');
    await writeFile(path, '{"earlier":"line"}\n');
    const writer = await CheckpointFileWriter.open(path);
    await writer.write(new CheckpointSigner(KEY).sign(sample({ seq: 1 })));
    await writer.write(new CheckpointSigner(KEY).sign(sample({ seq: 2 })));
    await writer.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('{"earlier":"line"}');
    expect(JSON.parse(lines[2]!)).toMatchObject({ seq: 2, type: CHECKPOINT_TYPE });
  });

  it('writes to stdout for -', async () => {
    let out = '';
    const writer = await CheckpointFileWriter.open('-', { write: (s: string) => (out += s) });
    expect(writer.name).toBe('stdout');
    await writer.write(new CheckpointSigner().sign(sample()));
    expect(JSON.parse(out)).toMatchObject({ seq: 42 });
    expect(out.endsWith('\n')).toBe(true);
  });

  it('fails at once when the file cannot be opened', async () => {
    await expect(CheckpointFileWriter.open(join(dir, 'missing-dir', 'x.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});

class RecordingSink implements CheckpointSink {
  readonly written: AuditCheckpoint[] = [];
  failNext = 0;
  constructor(readonly name: string) {}
  async write(checkpoint: AuditCheckpoint): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error(`${this.name} is down`);
    }
    this.written.push(checkpoint);
  }
}

describe('the scheduler', () => {
  const HOUR = 3_600_000;

  async function setup(options: { shouldRun?: () => boolean } = {}) {
    const redis = client(redisCtx.url);
    const keys = keysFor(redisCtx.keyPrefix);
    const audit = new RedisAuditTrail(redis, { keys, clock: new SteppingClock(), hmacKey: KEY });
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const file = new RecordingSink('file');
    const slack = new RecordingSink('slack');
    const reads = new ChainReads(redis, keys);
    const scheduler = new CheckpointScheduler({
      head: () => readChainHead(reads),
      signer: new CheckpointSigner(KEY),
      trail: redisCtx.keyPrefix,
      sinks: [file, slack],
      intervalMs: HOUR,
      retryMs: 60_000,
      clock,
      logger: silentLogger,
      ...options,
    });
    return { audit, clock, file, slack, scheduler };
  }

  it('writes the head when due and the chain moved, hourly, to every sink', async () => {
    const { audit, clock, file, slack, scheduler } = await setup();
    expect(await scheduler.tick()).toEqual({ kind: 'empty' });
    clock.advance(HOUR);
    await audit.append(entry(JOB_A));
    const second = await audit.append(entry(JOB_A));
    const tick = await scheduler.tick();
    expect(tick).toMatchObject({ kind: 'written', failed: [] });
    const expected = {
      trail: redisCtx.keyPrefix,
      seq: 2,
      headHash: second.hash,
      streamId: second.streamId,
      time: new Date(clock.now()).toISOString(),
    };
    expect(file.written).toEqual([expect.objectContaining(expected)]);
    expect(slack.written).toEqual(file.written);
    expect(new CheckpointSigner(KEY).check(file.written[0]!)).toBe('valid');

    // Not due yet, even though the chain moved.
    await audit.append(entry(JOB_A));
    clock.advance(HOUR - 1);
    expect(await scheduler.tick()).toEqual({ kind: 'not_due' });
    clock.advance(1);
    expect(await scheduler.tick()).toMatchObject({ kind: 'written', checkpoint: { seq: 3 } });
    // Due, but the chain did not move: nothing is written.
    clock.advance(HOUR);
    expect(await scheduler.tick()).toEqual({ kind: 'unchanged' });
    expect(file.written.map((c) => c.seq)).toEqual([2, 3]);
    expect(slack.written.map((c) => c.seq)).toEqual([2, 3]);
  });

  it('retries a failed sink sooner, with the newest head, without writing the others twice', async () => {
    const { audit, clock, file, slack, scheduler } = await setup();
    await audit.append(entry(JOB_A));
    slack.failNext = 1;
    expect(await scheduler.tick()).toMatchObject({ kind: 'written', failed: ['slack'] });
    await audit.append(entry(JOB_A));
    clock.advance(59_999);
    expect(await scheduler.tick()).toEqual({ kind: 'not_due' });
    clock.advance(1);
    expect(await scheduler.tick()).toMatchObject({ kind: 'written', failed: [] });
    expect(file.written.map((c) => c.seq)).toEqual([1, 2]);
    expect(slack.written.map((c) => c.seq)).toEqual([2]);
    clock.advance(60_000);
    expect(await scheduler.tick()).toEqual({ kind: 'not_due' });
  });

  it('writes nothing on a replica that is not the leader', async () => {
    let leader = false;
    const { audit, file, scheduler } = await setup({ shouldRun: () => leader });
    await audit.append(entry(JOB_A));
    expect(await scheduler.tick()).toEqual({ kind: 'not_leader' });
    leader = true;
    expect(await scheduler.tick()).toMatchObject({ kind: 'written' });
    expect(file.written).toHaveLength(1);
  });

  it('start and stop run the first check and leave no timer behind', async () => {
    const { audit, file, scheduler } = await setup();
    await audit.append(entry(JOB_A));
    scheduler.start();
    await expect.poll(() => file.written.length).toBe(1);
    await scheduler.stop();
  });
});

describe('settings', () => {
  it('default to hourly, no file, and the approval channel', () => {
    const reader = new EnvReader({});
    expect(readAuditConfig(reader, 'C0APPROVE')).toEqual({
      checkpointIntervalMs: HOUR_MS,
      checkpointChannelId: 'C0APPROVE',
    });
    expect(reader.problems).toEqual([]);
  });

  it('read the interval, the file and the audit channel', () => {
    const reader = new EnvReader({
      AUDIT_CHECKPOINT_INTERVAL_MINUTES: '15',
      AUDIT_CHECKPOINT_FILE: '/var/log/cosjob/checkpoints.jsonl',
      AUDIT_CHANNEL_ID: 'C0AUDIT',
    });
    expect(readAuditConfig(reader, 'C0APPROVE')).toEqual({
      checkpointIntervalMs: 15 * 60_000,
      checkpointFile: '/var/log/cosjob/checkpoints.jsonl',
      checkpointChannelId: 'C0AUDIT',
    });
    expect(readAuditConfig(new EnvReader({ AUDIT_CHECKPOINT_FILE: '-' }), 'C0APPROVE').checkpointFile).toBe(
      '-',
    );
  });

  it('name every malformed value', () => {
    const reader = new EnvReader({
      AUDIT_CHECKPOINT_INTERVAL_MINUTES: '0',
      AUDIT_CHANNEL_ID: '#audit',
      AUDIT_CHECKPOINT_FILE: 'a\0b',
    });
    readAuditConfig(reader, 'C0APPROVE');
    expect(reader.problems).toHaveLength(3);
    expect(reader.problems.join('\n')).toMatch(/AUDIT_CHECKPOINT_INTERVAL_MINUTES is malformed/);
    expect(reader.problems.join('\n')).toMatch(/AUDIT_CHANNEL_ID is malformed/);
    expect(reader.problems.join('\n')).toMatch(/AUDIT_CHECKPOINT_FILE is malformed/);
  });
});

const HOUR_MS = 3_600_000;
