/**
 * Hostile stores: a COS endpoint that dribbles its body, a Redis key of the wrong type, and a read-only
 * replica. Each decision is refused before COS is called (or the read ends at the deadline), and the
 * audit trail is left as it was.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { CosJobsClient } from '../../src/cos/client.js';
import { CosError } from '../../src/cos/errors.js';
import { copyJobInput, REGIONS } from '../helpers/cos-fixture.js';
import { actor, type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { redisTestsUseExternalServer, startRedisServer, useRedis } from '../helpers/redis.js';

const REGION = REGIONS[0];
const redisCtx = useRedis({ persistence: 'aof' });
const stack = useEngineStack(redisCtx);
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function announcedJob(fx: EngineFixture): Promise<string> {
  const id = stack.cos.emulator.store.createJob(REGION, copyJobInput(), {
    status: 'Suspended',
    totalTasks: 5,
  }).id;
  const job = await stack.cos.clients.get(REGION)!.describeJob(id);
  await fx.records.createIfAbsent({ account: 'default', region: REGION }, job, stack.cos.clock.now());
  return id;
}

const approve = (fx: EngineFixture, jobId: string) =>
  fx.engine.decide({
    account: 'default',
    region: REGION,
    jobId,
    action: 'approve',
    actor: actor('UALICE'),
    source: 'slack-button',
    requireAnnouncedJob: true,
  });

describe('hostile COS bodies', () => {
  it('a 200 whose body arrives a byte at a time ends at the deadline with Timeout, not a hang', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<?xml version="1.0"?><DescribeJobResult><Job>');
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const client = new CosJobsClient({
      region: REGION,
      uin: '100000000001',
      appId: '1250000000',
      credentials: {
        secretId: 'AKIDslowbody000000000000000000000000',
        secretKey: 'slow-body-secret-key-0000000000',
      },
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      clock: new ManualClock(Date.now()),
      timeouts: { deadlineMs: 400 },
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    closers.push(() => client.close());
    const error = await client.describeJob('53dc6228-c50b-46f7-8ad7-65e7159f1aae').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CosError);
    expect((error as CosError).code).toBe('Timeout');
  });
});

describe('hostile Redis', () => {
  it('WRONGTYPE on the job claim: the decision fails cleanly, nothing reaches COS, the trail still verifies', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    const admin = new Redis(redisCtx.url);
    closers.push(async () => void admin.disconnect());
    const claimKey = fx.keys.jobClaim({ account: 'default', region: REGION, jobId: jobId });
    await admin.rpush(claimKey, 'not-a-claim');

    const outcome = await approve(fx, jobId).catch((error: unknown) => ({ kind: 'threw', error }));
    expect(outcome.kind).toBe('failed');
    expect(stack.cos.emulator.stats.requests.UpdateJobStatus).toBe(0);
    expect(stack.cos.emulator.store.getJob(REGION, jobId)?.status).toBe('Suspended');
    expect((await fx.audit.verify({ kind: 'global' })).ok).toBe(true);
  });

  it('WRONGTYPE on the audit head: the append is refused and nothing is written', async () => {
    const fx = await engine();
    const admin = new Redis(redisCtx.url);
    closers.push(async () => void admin.disconnect());
    await admin.rpush(fx.keys.auditHead(), 'not-a-head');
    const error = await fx.audit
      .append({
        account: 'default',
        actor: actor('UALICE'),
        action: 'denied',
        region: REGION,
        jobId: 'job-1',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(await admin.exists(fx.keys.auditLog())).toBe(0);
  });

  it.skipIf(redisTestsUseExternalServer())(
    'a read-only replica: the decision is refused before COS is called',
    async () => {
      // A diskless full sync without the default 5 s wait for more replicas.
      const master = new Redis(redisCtx.url);
      closers.push(async () => void master.disconnect());
      await master.config('SET', 'repl-diskless-sync-delay', '0');
      const replica = await startRedisServer({
        extraArgs: ['--replicaof', '127.0.0.1', String(redisCtx.server!.port)],
      });
      closers.push(() => replica.stop());
      const writer = await engine();
      const jobId = await announcedJob(writer);
      // Wait until the replica holds the job's record, so the refusal is about writing, not a job the
      // replica has not seen yet. (WAIT on this connection would not do: it counts only this connection's
      // writes, and answers as soon as the replica is attached, possibly before its first sync is done.)
      const fx = await engine({ redisUrl: replica.url });
      let replicated = false;
      for (let i = 0; i < 200 && !replicated; i += 1) {
        replicated = (await fx.records.get({ account: 'default', region: REGION, jobId })) !== undefined;
        if (!replicated) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(replicated).toBe(true);
      const outcome = await approve(fx, jobId).catch((error: unknown) => ({ kind: 'threw', error }));
      expect(outcome.kind).not.toBe('approved');
      expect(stack.cos.emulator.stats.requests.UpdateJobStatus).toBe(0);
      expect(stack.cos.emulator.store.getJob(REGION, jobId)?.status).toBe('Suspended');
      expect(outcome).toMatchObject({ kind: 'failed', code: 'store_unavailable' });
    },
  );
});

const engine = (options: Parameters<typeof stack.engine>[0] = {}) => stack.engine(options);
