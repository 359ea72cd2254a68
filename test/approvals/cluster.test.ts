/**
 * The approval engine on Redis Cluster: every script and multi-key command touches keys of one hash slot,
 * so a real (one-node) cluster, which enforces CROSSSLOT, runs the same decisions and polls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCore } from '../../src/core.js';
import { singleAccountClients } from '../../src/cos/client-set.js';
import type { JobRef } from '../../src/jobs/job-ref.js';
import { silentLogger } from '../../src/logger.js';
import { closeRedis, createRedis, type RedisClient, waitForReady } from '../../src/redis/connection.js';
import { type CosFixture, REGIONS, startCosFixture } from '../helpers/cos-fixture.js';
import { APPROVERS, actor } from '../helpers/engine-fixture.js';
import {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  startOneNodeCluster,
  type TestRedisServer,
} from '../helpers/redis.js';

const external = redisTestsUseExternalServer();
const REGION = REGIONS[0];

describe('the approval engine on Redis Cluster', () => {
  let server: TestRedisServer | undefined;
  let cluster: RedisClient | undefined;
  let cos: CosFixture;

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
    cos = await startCosFixture();
  });
  afterAll(async () => {
    if (cluster) await closeRedis(cluster);
    await server?.stop();
    await cos?.close();
  });
  beforeEach((ctx) => ctx.skip(external, EXTERNAL_SERVER_SKIP_REASON));

  it('announces, votes, decides, reconciles and audits without a cross-slot error', async () => {
    const core = await buildCore(
      {
        redis: {
          url: 'redis://127.0.0.1',
          keyPrefix: 'cluster-engine',
          clusterNodes: [{ host: '127.0.0.1', port: server!.port }],
        },
        approvals: {
          approverUserIds: [...APPROVERS],
          approverUsergroupIds: [],
          requiredApprovals: 2,
          requireCancelReason: true,
        },
        watcher: { pollIntervalSeconds: 60 },
      },
      {
        logger: silentLogger,
        clock: cos.clock,
        clients: singleAccountClients(cos.clients),
        engine: { reconcileGraceMs: 0 },
      },
    );
    const { engine } = core;
    const pending: string[] = [];
    engine.events.on('job_pending', ({ job }) => {
      pending.push(job.id);
    });
    const approveMe = cos.createSuspendedJob(REGION);
    const cancelMe = cos.createSuspendedJob(REGION);
    expect((await engine.watcher.pollOnce()).leader).toBe(true);
    expect(pending.sort()).toEqual([approveMe, cancelMe].sort());

    expect(
      (
        await engine.decide({
          account: 'default',
          region: REGION,
          jobId: approveMe,
          action: 'approve',
          actor: actor('UALICE'),
          source: 'slack-button',
        })
      ).kind,
    ).toBe('vote_recorded');
    expect(
      (
        await engine.decide({
          account: 'default',
          region: REGION,
          jobId: approveMe,
          action: 'approve',
          actor: actor('UBOB'),
          source: 'slack-button',
        })
      ).kind,
    ).toBe('approved');
    expect(
      (
        await engine.decide({
          account: 'default',
          region: REGION,
          jobId: cancelMe,
          action: 'cancel',
          actor: actor('UCAROL'),
          reason: 'cluster test',
          source: 'slack-modal',
        })
      ).kind,
    ).toBe('cancelled');
    expect(await engine.reconciler.reconcile(0)).toMatchObject({ examined: 0 });
    await engine.watcher.pollOnce();
    expect((await core.audit.verify({ kind: 'global' })).ok).toBe(true);
    expect(cos.emulator.store.getJob(REGION, approveMe)!.status).toBe('Ready');
    await core.close();
  });

  it("reads a digest's card states as cardState does, job by job, without a cross-slot error", async () => {
    const core = await buildCore(
      {
        redis: {
          url: 'redis://127.0.0.1',
          keyPrefix: 'cluster-card-states',
          clusterNodes: [{ host: '127.0.0.1', port: server!.port }],
        },
        approvals: {
          approverUserIds: [...APPROVERS],
          approverUsergroupIds: [],
          requiredApprovals: 3,
          requireCancelReason: true,
        },
        watcher: { pollIntervalSeconds: 60 },
      },
      {
        logger: silentLogger,
        clock: cos.clock,
        clients: singleAccountClients(cos.clients),
        engine: { reconcileGraceMs: 0 },
      },
    );
    try {
      const { engine, records, keys, redis } = core;
      const announced = async (): Promise<JobRef> => {
        const jobId = cos.createSuspendedJob(REGION);
        const job = await cos.clients.get(REGION)!.describeJob(jobId);
        expect(
          await records.createIfAbsent({ account: 'default', region: REGION }, job, cos.clock.now()),
        ).toBe(true);
        return { account: 'default', region: REGION, jobId };
      };
      const approve = async (ref: JobRef, by: string) =>
        (await engine.decide({ ...ref, action: 'approve', actor: actor(by), source: 'slack-button' })).kind;

      const waiting = await announced();
      const noRecord: JobRef = { account: 'default', region: REGION, jobId: cos.createSuspendedJob(REGION) };
      const decided = await announced();
      for (const by of ['UALICE', 'UBOB']) expect(await approve(decided, by)).toBe('vote_recorded');
      expect(await approve(decided, 'UCAROL')).toBe('approved');
      const voted = await announced();
      for (const by of ['UALICE', 'UDAVE']) expect(await approve(voted, by)).toBe('vote_recorded');
      const damaged = await announced();
      await redis.set(keys.jobDecision(damaged), '{not json');

      const refs = [voted, noRecord, decided, damaged, waiting];
      const one = await Promise.all(refs.map((ref) => engine.cardState(ref)));
      const batched = await engine.cardStates(refs);
      expect(batched).toEqual(one);
      expect(batched.map((state) => state?.record.jobId)).toEqual([
        voted.jobId,
        undefined,
        decided.jobId,
        damaged.jobId,
        waiting.jobId,
      ]);
      expect([...(batched[0]?.voterIds ?? [])].sort()).toEqual(['UALICE', 'UDAVE']);
      expect(batched[2]?.decision).toMatchObject({ action: 'approve', actor: { id: 'UCAROL' } });
      expect(batched[3]?.decision).toMatchObject({ action: 'approve', actor: { id: 'unknown' } });
      expect(batched[4]).toMatchObject({ decision: undefined, voterIds: [], requiredApprovals: 3 });

      // A read that fails fails the whole call there too.
      await redis.set(keys.jobVotes(waiting), 'not a set');
      await expect(engine.cardStates(refs)).rejects.toThrow(/WRONGTYPE/);
    } finally {
      await core.close();
    }
  });
});
