/**
 * ioredis 6 speaks RESP3 by default. cosjob pins RESP2, but the readers must not depend on that: this
 * checks the raw reply shapes of the commands the audit trail uses under RESP2, RESP3 with ioredis'
 * default 'legacy' mapping, and RESP3 with `replyMapping: 'resp3'`, and that the trail reads and
 * verifies identically through all three.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { RedisClient } from '../../src/redis/connection.js';
import { replyOptionalStrings, replyPairs, replyStreamRecords } from '../../src/redis/replies.js';
import { RedisScript } from '../../src/redis/scripts.js';
import { useRedis } from '../helpers/redis.js';
import { entry, JOB_A, JOB_B, keysFor, REGION, START_MS, SteppingClock } from './support.js';

const redisCtx = useRedis();
const open: Redis[] = [];
afterEach(() => {
  for (const client of open.splice(0)) client.disconnect();
});

type Flavour = 'resp2' | 'resp3-legacy' | 'resp3-mapped';
const FLAVOURS: Flavour[] = ['resp2', 'resp3-legacy', 'resp3-mapped'];

function connect(flavour: Flavour): RedisClient {
  const client =
    flavour === 'resp2'
      ? new Redis(redisCtx.url, { protocol: 2 })
      : flavour === 'resp3-legacy'
        ? new Redis(redisCtx.url, { protocol: 3 })
        : new Redis(redisCtx.url, { protocol: 3, replyMapping: 'resp3' });
  client.on('error', () => undefined);
  open.push(client as Redis);
  // Only call() is used, whose result is `unknown` whatever the mapping; the cast drops the mapping type.
  return client as unknown as RedisClient;
}

describe.each(FLAVOURS)('raw reply shapes (%s)', (flavour) => {
  it('really speaks the protocol under test', async () => {
    const info = String(await connect(flavour).call('CLIENT', 'INFO'));
    expect(info).toContain(flavour === 'resp2' ? 'resp=2' : 'resp=3');
  });

  it('XRANGE: [[id, [field, value, …]], …]', async () => {
    const redis = connect(flavour);
    const key = `${redisCtx.keyPrefix}:stream`;
    const id = String(await redis.call('XADD', key, '*', 'a', '1', 'b', '2'));
    const raw = await redis.call('XRANGE', key, '-', '+');
    expect(raw).toEqual([[id, ['a', '1', 'b', '2']]]);
    expect(replyStreamRecords(raw, 'XRANGE')).toEqual([
      {
        id,
        fields: [
          ['a', '1'],
          ['b', '2'],
        ],
      },
    ]);
  });

  it('HMGET: [value | null, …]', async () => {
    const redis = connect(flavour);
    const key = `${redisCtx.keyPrefix}:hash`;
    await redis.call('HSET', key, 'seq', '7', 'hash', 'h');
    const raw = await redis.call('HMGET', key, 'seq', 'hash', 'missing');
    expect(raw).toEqual(['7', 'h', null]);
    expect(replyOptionalStrings(raw, 'HMGET', 3)).toEqual(['7', 'h', null]);
  });

  it('HGETALL: a flat array, except an object under the resp3 mapping; both read the same', async () => {
    const redis = connect(flavour);
    const key = `${redisCtx.keyPrefix}:hash2`;
    await redis.call('HSET', key, 'seq', '7', 'hash', 'h');
    const raw = await redis.call('HGETALL', key);
    if (flavour === 'resp3-mapped') expect(raw).toEqual({ seq: '7', hash: 'h' });
    else expect(raw).toEqual(['seq', '7', 'hash', 'h']);
    expect(replyPairs(raw, 'HGETALL')).toEqual([
      ['seq', '7'],
      ['hash', 'h'],
    ]);
  });

  it('XINFO STREAM: a flat array, except an object under the resp3 mapping', async () => {
    const redis = connect(flavour);
    const key = `${redisCtx.keyPrefix}:stream2`;
    const id = String(await redis.call('XADD', key, '*', 'a', '1'));
    const raw = await redis.call('XINFO', 'STREAM', key);
    const pairs = flavour === 'resp3-mapped' ? Object.entries(raw as object) : chunk(raw as unknown[]);
    expect(Object.fromEntries(pairs)['last-generated-id']).toBe(id);
  });

  it('a Lua table reply: an array of strings', async () => {
    const redis = connect(flavour);
    const script = new RedisScript('shape', 1, "return {'ok', ARGV[1], tostring(#KEYS)}");
    expect(await script.run(redis, [`${redisCtx.keyPrefix}:k`], ['1767225600000-0'])).toEqual([
      'ok',
      '1767225600000-0',
      '1',
    ]);
  });
});

function chunk(items: unknown[]): [unknown, unknown][] {
  const pairs: [unknown, unknown][] = [];
  for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
  return pairs;
}

describe('the audit trail under each protocol', () => {
  it('appends, reads and verifies the same trail identically', async () => {
    const keys = keysFor(redisCtx.keyPrefix);
    const clock = new SteppingClock();
    const writers = FLAVOURS.map((flavour) => new RedisAuditTrail(connect(flavour), { keys, clock }));
    // Each flavour appends: the script's reply is parsed under every protocol.
    for (let i = 0; i < 6; i += 1) {
      await writers[i % 3]!.append(entry(i % 2 ? JOB_A : JOB_B, { reason: `step ${i}` }));
    }
    const views = await Promise.all(
      writers.map(async (trail) => ({
        history: await trail.history({ account: 'default', region: REGION, jobId: JOB_A }),
        range: await trail.range(START_MS, START_MS + 60_000),
        global: await trail.verify({ kind: 'global' }),
        job: await trail.verify({ account: 'default', kind: 'job', region: REGION, jobId: JOB_B }),
      })),
    );
    expect(views[0]!.history).toHaveLength(3);
    expect(views[0]!.range.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(views[0]!.global).toMatchObject({ ok: true, entries: 6 });
    expect(views[0]!.job).toMatchObject({ ok: true, entries: 3 });
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
  });
});
