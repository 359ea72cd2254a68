/**
 * Redis Cluster: a one-node cluster owning all 16384 slots is a real cluster as far as clients are
 * concerned (MOVED routing, CROSSSLOT checks), which is what the hash tags must satisfy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditVerifier } from '../../src/audit/cross-check.js';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import { silentLogger } from '../../src/logger.js';
import { closeRedis, createRedis, type RedisClient, waitForReady } from '../../src/redis/connection.js';
import { KeySpace } from '../../src/redis/keys.js';
import { RedisScript } from '../../src/redis/scripts.js';
import {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  startOneNodeCluster,
  type TestRedisServer,
} from '../helpers/redis.js';
import { entry, JOB_A, JOB_B, REGION, SteppingClock } from './support.js';

const external = redisTestsUseExternalServer();

describe('on Redis Cluster', () => {
  let server: TestRedisServer | undefined;
  let cluster: RedisClient | undefined;

  beforeAll(async () => {
    if (external) return;
    server = await startOneNodeCluster();
    cluster = createRedis(
      {
        url: 'redis://127.0.0.1',
        keyPrefix: 'cosjob',
        clusterNodes: [{ host: '127.0.0.1', port: server.port }],
      },
      { role: 'decision', logger: silentLogger },
    );
    await waitForReady(cluster, 10_000);
  });
  afterAll(async () => {
    if (cluster) await closeRedis(cluster);
    await server?.stop();
  });
  beforeEach((ctx) => ctx.skip(external, EXTERNAL_SERVER_SKIP_REASON));

  it('connects as a Cluster client', () => {
    expect(cluster!.isCluster).toBe(true);
  });

  it('appends, reads and verifies: every audit key of a script shares one slot', async () => {
    const keys = new KeySpace('cluster-audit');
    const trail = new RedisAuditTrail(cluster!, {
      keys,
      clock: new SteppingClock(),
      waitForAof: { timeoutMs: 100 },
    });
    const first = await trail.append(entry(JOB_A));
    await trail.append(entry(JOB_B));
    const third = await trail.append(entry(JOB_A, { action: 'approved' }));
    expect(await trail.append(entry(JOB_A, { entryId: first.entryId }))).toEqual(first);
    expect(await trail.history({ account: 'default', region: REGION, jobId: JOB_A })).toEqual([first, third]);
    expect(await trail.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 3 });
    expect(
      await trail.verify({ account: 'default', kind: 'job', region: REGION, jobId: JOB_A }),
    ).toMatchObject({
      ok: true,
      entries: 2,
    });
  });

  it('cross-checks chains, index and decisions (SCAN on every master, pipelines in the audit slot)', async () => {
    const keys = new KeySpace('cluster-cross');
    const trail = new RedisAuditTrail(cluster!, { keys, clock: new SteppingClock() });
    await trail.append(entry(JOB_A));
    await trail.append(entry(JOB_B));
    const approved = await trail.append(entry(JOB_A, { action: 'approved', outcome: 'applied' }));
    await cluster!.set(keys.jobDecision({ account: 'default', region: REGION, jobId: JOB_A }), '{}');
    const verifier = new AuditVerifier(cluster!, { keys, trail });
    expect(await verifier.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 3 });
    expect(
      await verifier.verify({ account: 'default', kind: 'job', region: REGION, jobId: JOB_A }),
    ).toMatchObject({ ok: true });
    await cluster!.call('XDEL', keys.auditLog(), approved.streamId);
    await cluster!.hset(keys.auditHead(), 'seq', '2', 'hash', approved.prevHash);
    expect((await verifier.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'rolled_back',
      streamId: approved.streamId,
    });
  });

  it('would refuse the same script over keys without a shared tag (why the tags exist)', async () => {
    const script = new RedisScript(
      'two-keys',
      2,
      "redis.call('SET', KEYS[1], 1); return redis.call('SET', KEYS[2], 1)",
    );
    await expect(script.run(cluster!, ['cosjob:audit:log', 'cosjob:audit:head'], [])).rejects.toThrow(
      /CROSSSLOT/,
    );
    const keys = new KeySpace('cosjob');
    await expect(
      script.run(
        cluster!,
        [
          keys.jobClaim({ account: 'default', region: REGION, jobId: JOB_A }),
          keys.jobVotes({ account: 'default', region: REGION, jobId: JOB_A }),
        ],
        [],
      ),
    ).resolves.toBe('OK');
  });
});
