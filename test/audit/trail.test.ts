import { describe, expect, it } from 'vitest';
import { AuditError, AuditInputError } from '../../src/audit/errors.js';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { ManualClock } from '../../src/clock.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { closeRedis, createRedis, waitForReady } from '../../src/redis/connection.js';
import {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  startRedisServer,
  useRedis,
} from '../helpers/redis.js';
import {
  entry,
  GENESIS,
  JOB_A,
  JOB_B,
  keysFor,
  REGION,
  readStream,
  START_MS,
  SteppingClock,
  specHash,
  useClients,
} from './support.js';

const redisCtx = useRedis();
const client = useClients();

function trail(options: Partial<ConstructorParameters<typeof RedisAuditTrail>[1]> = {}) {
  const redis = client(redisCtx.url);
  const keys = keysFor(redisCtx.keyPrefix);
  return {
    redis,
    keys,
    trail: new RedisAuditTrail(redis, { keys, clock: new SteppingClock(), ...options }),
  };
}

describe('append', () => {
  it('chains entries globally and per job', async () => {
    const { trail: audit } = trail();
    const first = await audit.append(entry(JOB_A, { reason: 'looks right' }));
    const second = await audit.append(entry(JOB_A, { action: 'approved', outcome: 'applied' }));
    const third = await audit.append(
      entry(JOB_B, { action: 'posted', actor: { id: 'system', name: 'cosjob' } }),
    );

    expect(first).toMatchObject({
      seq: 1,
      jobSeq: 1,
      prevHash: GENESIS,
      jobPrevHash: GENESIS,
      time: new Date(START_MS).toISOString(),
      streamId: `${START_MS}-0`,
      reason: 'looks right',
      actor: { id: 'U0123ABCD', name: 'Alice' },
      region: REGION,
      jobId: JOB_A,
    });
    expect(first.entryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toMatchObject({ seq: 2, jobSeq: 2, prevHash: first.hash, jobPrevHash: first.hash });
    expect(third).toMatchObject({ seq: 3, jobSeq: 1, prevHash: second.hash, jobPrevHash: GENESIS });
    expect(new Set([first.hash, second.hash, third.hash]).size).toBe(3);
  });

  it('stores every field and a hash that follows the documented canonical encoding', async () => {
    const { trail: audit, redis, keys } = trail();
    const written = await audit.append(
      entry(JOB_A, {
        entryId: 'intent:42',
        action: 'cancel_requested',
        reason: 'wrong bucket — "quoted" \\ and ünïcödé',
        outcome: 'intent',
        cosStatus: 'Suspended',
        cosRequestId: 'NjE2YWM3',
        cosErrorCode: 'InvalidRequest',
        intentId: 'intent-42',
      }),
    );
    const [record] = await readStream(redis, keys.auditLog());
    expect(record!.id).toBe(written.streamId);
    expect(Object.fromEntries(record!.fields)).toEqual({
      v: '1',
      entryId: 'intent:42',
      time: written.time,
      actorId: 'U0123ABCD',
      actorName: 'Alice',
      action: 'cancel_requested',
      region: REGION,
      jobId: JOB_A,
      reason: 'wrong bucket — "quoted" \\ and ünïcödé',
      outcome: 'intent',
      cosStatus: 'Suspended',
      cosRequestId: 'NjE2YWM3',
      cosErrorCode: 'InvalidRequest',
      source: 'slack-button',
      intentId: 'intent-42',
      seq: '1',
      jobSeq: '1',
      prevHash: GENESIS,
      jobPrevHash: GENESIS,
      hash: written.hash,
    });
    expect(written.hash).toBe(specHash(record!.fields));
    // The job stream holds the same entry under the same id.
    const [jobRecord] = await readStream(
      redis,
      keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
    );
    expect(jobRecord).toEqual(record);
  });

  it('keeps times in chain order when the clock goes backwards', async () => {
    const clock = new ManualClock(START_MS);
    const { trail: audit } = trail({ clock });
    const first = await audit.append(entry(JOB_A));
    clock.set(START_MS - 60_000);
    const second = await audit.append(entry(JOB_A));
    expect(second.time).toBe(first.time);
    expect(second.streamId).toBe(`${START_MS}-1`);
    expect((await audit.verify({ kind: 'global' })).ok).toBe(true);
  });

  it('writes one entry for a repeated entryId and returns the stored one', async () => {
    const { trail: audit, redis, keys } = trail();
    const original = await audit.append(entry(JOB_A, { entryId: 'result:intent-7', outcome: 'applied' }));
    const again = await audit.append(entry(JOB_A, { entryId: 'result:intent-7', outcome: 'applied' }));
    // Even a retry carrying different details does not add a second entry.
    const different = await audit.append(entry(JOB_A, { entryId: 'result:intent-7', outcome: 'other' }));
    expect(again).toEqual(original);
    expect(different).toEqual(original);
    expect(await redis.call('XLEN', keys.auditLog())).toBe(1);
    expect(
      await redis.call('XLEN', keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A })),
    ).toBe(1);
    // A separate trail object (another replica) sees the same entry too.
    const other = new RedisAuditTrail(client(redisCtx.url), { keys });
    expect(await other.append(entry(JOB_A, { entryId: 'result:intent-7' }))).toEqual(original);
  });

  it('lands 200 concurrent appends from 4 connections in one total order', async () => {
    const keys = keysFor(redisCtx.keyPrefix);
    const trails = Array.from(
      { length: 4 },
      () => new RedisAuditTrail(client(redisCtx.url), { keys, clock: new ManualClock(START_MS) }),
    );
    const jobs = Array.from({ length: 5 }, (_, i) => `job-${i}`);
    const appends: Promise<AuditEntry>[] = [];
    for (let i = 0; i < 200; i += 1) {
      const audit = trails[i % 4]!;
      appends.push(audit.append(entry(jobs[i % 5]!, { entryId: `concurrent-${i}` })));
    }
    const written = await Promise.all(appends);

    expect(written.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    const verify = await trails[0]!.verify({ kind: 'global' });
    expect(verify).toEqual({ ok: true, entries: 200, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const stored = await readStream(client(redisCtx.url), keys.auditLog());
    expect(stored.map((r) => Number(r.fields.find(([f]) => f === 'seq')![1]))).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    for (const jobId of jobs) {
      const result = await trails[1]!.verify({ account: 'default', kind: 'job', region: REGION, jobId });
      expect(result).toMatchObject({ ok: true, entries: 40 });
      const history = await trails[2]!.history({ account: 'default', region: REGION, jobId });
      expect(history.map((e) => e.jobSeq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
  });

  it('gives up after maxAttempts lost races, writing nothing', async () => {
    const keys = keysFor(redisCtx.keyPrefix);
    const a = new RedisAuditTrail(client(redisCtx.url), { keys });
    const b = new RedisAuditTrail(client(redisCtx.url), { keys, maxAttempts: 1 });
    await a.append(entry(JOB_A));
    // b believes the trail is empty; its single attempt is refused by the compare-and-set.
    const error = await b.append(entry(JOB_A, { entryId: 'lost' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditError);
    expect((error as AuditError).code).toBe('contention');
    expect((error as Error).message).toMatch(/retrying with the same entryId is safe/);
    // It learned the current heads, so the retry lands.
    const retried = await b.append(entry(JOB_A, { entryId: 'lost' }));
    expect(retried.seq).toBe(2);
  });

  it('rejects invalid entries with every problem named, writing nothing', async () => {
    const { trail: audit, redis, keys } = trail();
    const error = await audit
      .append({
        account: 'default',
        actor: { id: 'U1 with space', name: 'x' },
        action: 'launched' as never,
        region: 'Guangzhou',
        jobId: 'a/b',
        reason: 'x'.repeat(4001),
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditInputError);
    const problems = (error as AuditInputError).problems.join('\n');
    expect(problems).toMatch(/actor\.id/);
    expect(problems).toMatch(/action must be one of/);
    expect(problems).toMatch(/region/);
    expect(problems).toMatch(/jobId/);
    expect(problems).toMatch(/reason is 4001 characters/);
    expect(await redis.call('EXISTS', keys.auditLog())).toBe(0);
  });

  it('records the rule and its hash; entries without them (written before rules) verify beside them', async () => {
    const { trail: audit } = trail();
    const before = await audit.append(entry(JOB_A));
    const under = await audit.append(entry(JOB_A, { rule: 'deletes', ruleHash: '0123456789abcdef' }));
    expect(before.rule).toBeUndefined();
    expect(under).toMatchObject({ rule: 'deletes', ruleHash: '0123456789abcdef' });
    expect(
      (await audit.history({ account: 'default', region: REGION, jobId: JOB_A })).map((e) => e.rule),
    ).toEqual([undefined, 'deletes']);
    expect((await audit.verify({ kind: 'job', account: 'default', region: REGION, jobId: JOB_A })).ok).toBe(
      true,
    );
    expect((await audit.verify({ kind: 'global' })).ok).toBe(true);
    const error = await audit
      .append(entry(JOB_A, { rule: 'x'.repeat(64), ruleHash: 'not hex' }))
      .catch((caught: unknown) => caught);
    expect((error as AuditInputError).problems.join('\n')).toMatch(
      /rule is 64 characters[\s\S]*ruleHash must be lowercase hex/,
    );
  });

  it('refuses a JobId COS would refuse (a dot), like every other layer', async () => {
    const { trail: audit } = trail();
    await expect(audit.append(entry('a.b'))).rejects.toThrow(AuditInputError);
  });

  it('accepts newlines and tabs in text but not other control characters', async () => {
    const { trail: audit } = trail();
    const written = await audit.append(entry(JOB_A, { reason: 'line one\n\tline two' }));
    expect(written.reason).toBe('line one\n\tline two');
    await expect(audit.append(entry(JOB_A, { reason: 'bell\u0007' }))).rejects.toThrow(
      /reason contains control/,
    );
  });

  it('stores a lone surrogate as U+FFFD so the stored text still matches its hash', async () => {
    const { trail: audit } = trail();
    const written = await audit.append(entry(JOB_A, { reason: 'broken \ud800 pair' }));
    expect(written.reason).toBe('broken \ufffd pair');
    expect((await audit.history({ account: 'default', region: REGION, jobId: JOB_A }))[0]!.reason).toBe(
      'broken \ufffd pair',
    );
    expect((await audit.verify({ kind: 'global' })).ok).toBe(true);
  });

  it('treats an empty optional field as absent', async () => {
    const { trail: audit } = trail();
    const written = await audit.append(entry(JOB_A, { reason: '', outcome: 'ok' }));
    expect(written).not.toHaveProperty('reason');
    expect(written.outcome).toBe('ok');
  });

  it('refuses to start a new chain over entries whose head was deleted', async () => {
    const { trail: audit, redis, keys } = trail();
    await audit.append(entry(JOB_A));
    await redis.call('DEL', keys.auditHead()); // tampering, done by the test
    const fresh = new RedisAuditTrail(client(redisCtx.url), { keys });
    const error = await fresh.append(entry(JOB_A)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditError);
    expect((error as AuditError).code).toBe('integrity');
    expect((error as Error).message).toMatch(/global head is missing/);
    expect(await redis.call('XLEN', keys.auditLog())).toBe(1);
  });
});

describe('when Redis is down', () => {
  it('fails the append at once with code unavailable and a retry hint (decision connection)', async (ctx) => {
    ctx.skip(redisTestsUseExternalServer(), EXTERNAL_SERVER_SKIP_REASON);
    const server = await startRedisServer();
    const redis = createRedis(
      { url: server.url, keyPrefix: 'x' },
      { role: 'decision', logger: silentLogger },
    );
    try {
      await waitForReady(redis, 5_000);
      const audit = new RedisAuditTrail(redis, { keys: keysFor(redisCtx.keyPrefix) });
      await audit.append(entry(JOB_A));
      await server.kill('SIGKILL');
      const error = await audit
        .append(entry(JOB_A, { entryId: 'while-down' }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AuditError);
      expect((error as AuditError).code).toBe('unavailable');
      expect((error as Error).message).toMatch(/retry with the same entryId/);
      expect((error as Error).cause).toBeInstanceOf(Error);
    } finally {
      await closeRedis(redis);
      await server.stop();
    }
  });
});

describe('history and range', () => {
  it('returns one job\u2019s entries oldest first', async () => {
    const { trail: audit } = trail();
    const a1 = await audit.append(entry(JOB_A));
    await audit.append(entry(JOB_B));
    const a2 = await audit.append(entry(JOB_A, { action: 'approved' }));
    expect(await audit.history({ account: 'default', region: REGION, jobId: JOB_A })).toEqual([a1, a2]);
    expect(await audit.history({ account: 'default', region: REGION, jobId: 'never-seen' })).toEqual([]);
  });

  it('returns global entries with from <= time < to, honouring limit', async () => {
    const { trail: audit } = trail(); // one entry per second from START_MS
    const written: AuditEntry[] = [];
    for (let i = 0; i < 6; i += 1) written.push(await audit.append(entry(i % 2 ? JOB_A : JOB_B)));
    expect(await audit.range(START_MS + 1_000, START_MS + 4_000)).toEqual(written.slice(1, 4));
    expect(await audit.range(START_MS + 1_001, START_MS + 4_001)).toEqual(written.slice(2, 5));
    expect(await audit.range(START_MS, START_MS + 60_000, 2)).toEqual(written.slice(0, 2));
    expect(await audit.range(START_MS + 5_000, START_MS + 5_000)).toEqual([]);
    expect(await audit.range(0, START_MS)).toEqual([]);
    await expect(audit.range(Number.NaN, 1)).rejects.toThrow(RangeError);
    await expect(audit.range(0, 1, 0)).rejects.toThrow(/limit/);
  });

  it('pages through long streams', async () => {
    const { trail: audit } = trail({ pageSize: 3 });
    const written: AuditEntry[] = [];
    for (let i = 0; i < 10; i += 1) written.push(await audit.append(entry(JOB_A)));
    expect(await audit.history({ account: 'default', region: REGION, jobId: JOB_A })).toEqual(written);
    expect(await audit.range(0, START_MS + 100_000, 7)).toEqual(written.slice(0, 7));
    expect(
      await audit.verify({ account: 'default', kind: 'job', region: REGION, jobId: JOB_A }),
    ).toMatchObject({
      ok: true,
      entries: 10,
    });
  });
});

describe('HMAC', () => {
  const KEY = 'an-hmac-key-of-enough-length';

  it('keys the hash when configured, and verifies only with the same key', async () => {
    const { trail: keyed, redis, keys } = trail({ hmacKey: KEY });
    const written = await keyed.append(entry(JOB_A));
    await keyed.append(entry(JOB_A));
    const [record] = await readStream(redis, keys.auditLog());
    expect(written.hash).toBe(specHash(record!.fields, KEY));
    expect(written.hash).not.toBe(specHash(record!.fields));
    expect(await keyed.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 2 });

    const unkeyed = new RedisAuditTrail(redis, { keys });
    expect(await unkeyed.verify({ kind: 'global' })).toMatchObject({
      ok: false,
      problem: { kind: 'edited', seq: 1 },
    });
    const otherKey = new RedisAuditTrail(redis, { keys, hmacKey: 'a-different-key-entirely' });
    expect((await otherKey.verify({ kind: 'global' })).ok).toBe(false);
  });

  it('catches a chain recomputed without the key, which a keyless verifier accepts', async () => {
    const { trail: unkeyedWriter, redis, keys } = trail();
    for (let i = 0; i < 3; i += 1) await unkeyedWriter.append(entry(JOB_A));
    const keyedVerifier = new RedisAuditTrail(redis, { keys, hmacKey: KEY });
    expect(await unkeyedWriter.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 3 });
    const result = await keyedVerifier.verify({ kind: 'global' });
    expect(result).toMatchObject({ ok: false, entries: 0, problem: { kind: 'edited', seq: 1 } });
    expect(result.problem!.detail).toMatch(/plain SHA-256.*without AUDIT_HMAC_KEY/);
  });

  it('never exposes the key', async () => {
    const { trail: keyed } = trail({ hmacKey: KEY });
    expect(JSON.stringify(keyed)).not.toContain(KEY);
    const { inspect } = await import('node:util');
    expect(inspect(keyed, { depth: 5 })).not.toContain(KEY);
  });
});

describe('WAITAOF', () => {
  it('confirms the fsync on Redis >= 7.2, or warns once and carries on where unsupported', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const { trail: audit, redis } = trail({ waitForAof: { timeoutMs: 500 }, logger });
    const info = String(await redis.call('INFO', 'server'));
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    const supported =
      version !== null && (Number(version[1]) > 7 || (version[1] === '7' && Number(version[2]) >= 2));
    const aofOn = /aof_enabled:1/.test(String(await redis.call('INFO', 'persistence')));

    await audit.append(entry(JOB_A));
    await audit.append(entry(JOB_A));
    const warnings = lines.filter((line) => line.includes('not waiting for the AOF fsync'));
    if (supported && aofOn) {
      expect(warnings).toEqual([]);
    } else {
      // This machine's test server: Redis 7.0 (no WAITAOF) or AOF off. One warning, not one per append.
      expect(warnings).toHaveLength(1);
    }
    expect((await audit.verify({ kind: 'global' })).ok).toBe(true);
  });
});
