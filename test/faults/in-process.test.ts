/**
 * Fault scenarios against the in-process runtime (the real Bolt receiver, the COS emulator, the fake Slack
 * and a real redis-server with appendonly yes + appendfsync always): Redis killed and out of memory during
 * a click storm, COS failing in every way during decisions, Slack failing chat.update. Each ends with the
 * checks in world.ts.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/types.js';
import type { FaultRule } from '../../tools/emulator/server.js';
import {
  EXTERNAL_SERVER_SKIP_REASON,
  type RedisTestContext,
  redisTestsUseExternalServer,
  startRedisServer,
  type TestRedisServer,
  useRedis,
} from '../helpers/redis.js';
import { CHANNEL, E2E, type E2EOptions, SIGNING_SECRET, textOf } from '../slack/e2e/harness.js';
import {
  type AuditReader,
  auditReader,
  expectInvariants,
  IntentLedger,
  type TrackedClick,
  trackedClick,
  unanswered,
} from './world.js';

const redis = useRedis({ persistence: 'aof' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const skipKill = redisTestsUseExternalServer();
if (skipKill) console.warn(`fault suite: ${EXTERNAL_SERVER_SKIP_REASON}`);

interface Stage {
  e2e: E2E;
  reader: AuditReader;
  ledger: IntentLedger;
}

async function stage(ctx: RedisTestContext, options: E2EOptions = {}): Promise<Stage> {
  const e2e = await E2E.start(ctx, {
    // Short claims, so an intent a fault left behind is the reconciler's within a second.
    engine: { claimTtlMs: 800, ...options.engine },
    ...options,
  });
  const reader = auditReader(ctx.url, e2e.config.redis.keyPrefix);
  const ledger = new IntentLedger(e2e.cos.emulator, reader);
  cleanups.push(
    () => e2e.close(),
    () => reader.close(),
  );
  return { e2e, reader, ledger };
}

async function cards(e2e: E2E, count: number): Promise<{ jobId: string; ts: string }[]> {
  const jobIds = Array.from({ length: count }, () => e2e.cos.createSuspendedJob());
  await e2e.poll();
  return jobIds.map((jobId) => {
    const card = e2e.cardFor(jobId);
    if (!card) throw new Error(`no card for ${jobId}`);
    return { jobId, ts: card.ts };
  });
}

function click(e2e: E2E, job: { jobId: string; ts: string }, user: string, actionId?: string) {
  return trackedClick({
    eventsUrl: e2e.eventsUrl,
    signingSecret: SIGNING_SECRET,
    slack: e2e.slack,
    channel: CHANNEL,
    region: e2e.regions[0]!,
    jobId: job.jobId,
    messageTs: job.ts,
    user,
    ...(actionId ? { actionId } : {}),
  });
}

/** Every approver clicks every card `perUser` times at once, and a non-approver once per card. */
function storm(e2e: E2E, jobs: { jobId: string; ts: string }[], perUser = 2): Promise<TrackedClick[]> {
  const all: Promise<TrackedClick>[] = [];
  for (const job of jobs) {
    for (let i = 0; i < perUser; i += 1) {
      for (const user of ['UALICE', 'UBOB']) all.push(click(e2e, job, user));
    }
    all.push(click(e2e, job, 'UMALLORY'));
  }
  return Promise.all(all);
}

/** Runs the reconciler until no intent is left (claims expire first), bounded. */
async function reconcileAll(e2e: E2E): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    e2e.cos.clock.advance(1_000);
    const report = await e2e.runtime.engine.reconciler.reconcile(0).catch(() => undefined);
    const left = await e2e.runtime.engine.reconciler.pendingIntents().catch(() => undefined);
    if (report && left?.length === 0) return;
    if (Date.now() > deadline) throw new Error(`intents left after reconciling: ${JSON.stringify(report)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const cardText = (e2e: E2E) => (jobId: string) => textOf(e2e.cardFor(jobId));

describe('fault suite: Redis during a click storm', () => {
  it.skipIf(skipKill)(
    'Redis SIGKILLed at the first applied decision and restarted: nothing lost, nothing sent twice, everyone answered',
    async () => {
      const { e2e, reader, ledger } = await stage(redis);
      const jobs = await cards(e2e, 5);
      let before: AuditEntry[] = [];
      let killed = false;
      ledger.onEffect(async () => {
        if (killed) return;
        killed = true;
        // Everything acknowledged so far (appendfsync always), the first intent included, must survive.
        before = await reader.all();
        await redis.server!.kill('SIGKILL');
        setTimeout(() => void redis.server!.restart(), 150);
      });

      const clicks = await storm(e2e, jobs);
      expect(killed).toBe(true);
      await e2e.settled();
      await reconcileAll(e2e);
      const report = await expectInvariants({ emulator: e2e.cos.emulator, ledger, reader, before });

      expect(clicks.every((c) => c.status === 200)).toBe(true);
      expect(unanswered(e2e.slack, clicks, cardText(e2e))).toEqual([]);
      expect(before.some((e) => e.outcome === 'intent')).toBe(true);
      expect(report.acceptedCalls).toBeGreaterThanOrEqual(1);
      // The job whose result entry was lost with Redis is settled by the reconciler, as COS shows it.
      const reconciled = (await reader.all()).filter((e) => e.action === 'reconciled');
      for (const entry of reconciled) {
        expect(e2e.job(entry.jobId).status).toBe(entry.outcome === 'applied' ? 'Ready' : 'Suspended');
      }
      for (const job of jobs) {
        const status = e2e.job(job.jobId).status;
        const accepted = e2e.statusUpdates(job.jobId).filter((u) => u.httpStatus === 200).length;
        expect(accepted, job.jobId).toBe(status === 'Ready' ? 1 : 0);
      }

      // Redis is back: a second storm decides every job still waiting, each exactly once.
      const beforeSecondStorm = await reader.all();
      const again = await storm(e2e, jobs);
      await e2e.settled();
      await reconcileAll(e2e);
      const after = await expectInvariants({
        emulator: e2e.cos.emulator,
        ledger,
        reader,
        before: beforeSecondStorm,
      });
      expect(after.acceptedCalls).toBe(jobs.length);
      for (const job of jobs) expect(e2e.job(job.jobId).status).toBe('Ready');
      expect(unanswered(e2e.slack, again, cardText(e2e))).toEqual([]);
    },
  );

  it('Redis out of memory (noeviction) during a storm: every click refused cleanly, no COS call, then it recovers', async () => {
    const server: TestRedisServer = await startRedisServer({
      persistence: 'aof',
      extraArgs: ['--maxmemory-policy', 'noeviction'],
    });
    cleanups.push(() => server.stop());
    const ctx: RedisTestContext = { url: server.url, keyPrefix: redis.keyPrefix, server };
    const { e2e, reader, ledger } = await stage(ctx);
    const jobs = await cards(e2e, 4);
    const before = await reader.all();

    // A maxmemory below what the server already holds: with noeviction every write is refused with OOM
    // (one byte over is not enough: freed buffers let a few writes through at the edge).
    const admin = new Redis(server.url);
    cleanups.push(() => void admin.disconnect());
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    await admin.config('SET', 'maxmemory', String(Math.floor(used / 2)));
    const oom = await admin.set('ballast', 'x'.repeat(4_096)).then(
      () => false,
      (error: Error) => /OOM/.test(error.message),
    );
    expect(oom).toBe(true);

    const clicks = await storm(e2e, jobs);
    await e2e.settled();
    expect(e2e.cos.emulator.stats.requests.UpdateJobStatus).toBe(0);
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    expect(unanswered(e2e.slack, clicks, cardText(e2e))).toEqual([]);
    const told = clicks.flatMap((c) => e2e.slack.responses(c.responseId)).map((r) => textOf(r.body as never));
    expect(told.length).toBeGreaterThan(0);
    for (const text of told) expect(text).toMatch(/not done|Redis/);

    // Memory back: the next click decides once.
    await admin.config('SET', 'maxmemory', '0');
    const retry = await click(e2e, jobs[0]!, 'UALICE');
    await e2e.settled();
    expect(retry.status).toBe(200);
    expect(e2e.job(jobs[0]!.jobId).status).toBe('Ready');
    await reconcileAll(e2e);
    const report = await expectInvariants({ emulator: e2e.cos.emulator, ledger, reader, before });
    expect(report.acceptedCalls).toBe(1);
  });
});

describe('fault suite: COS failing during decisions', () => {
  const faults: [string, FaultRule, 'Ready' | 'Suspended' | 'either'][] = [
    ['a 500 before the effect', { api: 'UpdateJobStatus', kind: 'status5xx', times: 1 }, 'Suspended'],
    [
      'a 503 after the effect',
      { api: 'UpdateJobStatus', kind: 'status5xx', statusCode: 503, afterEffect: true, times: 1 },
      'Ready',
    ],
    ['SlowDown', { api: 'UpdateJobStatus', kind: 'slowDown', times: 1 }, 'Suspended'],
    [
      'a reset after the effect',
      { api: 'UpdateJobStatus', kind: 'reset', afterEffect: true, times: 1 },
      'Ready',
    ],
    [
      'a hang after the effect',
      { api: 'UpdateJobStatus', kind: 'hang', afterEffect: true, times: 1 },
      'Ready',
    ],
    [
      'truncated XML after the effect',
      { api: 'UpdateJobStatus', kind: 'malformedXml', afterEffect: true, times: 1 },
      'Ready',
    ],
    ['an HTML 502 page', { api: 'UpdateJobStatus', kind: 'htmlError', times: 1 }, 'Suspended'],
    ['DescribeJob 5xx and SlowDown bursts', { api: 'DescribeJob', kind: 'status5xx', times: 2 }, 'Ready'],
  ];

  it.each(faults)(
    '%s: one COS decision at most, intent first, everyone answered',
    async (_label, rule, expected) => {
      const { e2e, reader, ledger } = await stage(redis);
      const [job] = await cards(e2e, 1);
      const before = await reader.all();
      e2e.cos.emulator.faults.add(rule);
      if (rule.api === 'DescribeJob')
        e2e.cos.emulator.faults.add({ api: 'DescribeJob', kind: 'slowDown', times: 1 });

      const clicks = await Promise.all([click(e2e, job!, 'UALICE'), click(e2e, job!, 'UBOB')]);
      await e2e.settled();
      await reconcileAll(e2e);
      await expectInvariants({ emulator: e2e.cos.emulator, ledger, reader, before });
      expect(clicks.map((c) => c.status)).toEqual([200, 200]);
      expect(unanswered(e2e.slack, clicks, cardText(e2e))).toEqual([]);
      if (expected !== 'either') expect(e2e.job(job!.jobId).status).toBe(expected);
    },
  );
});

describe('fault suite: Slack failing chat.update', () => {
  it.each([
    ['429 with Retry-After', { status: 429 as const, retryAfterSec: 1 }],
    ['500', { status: 500 as const }],
  ])(
    '%s on chat.update: the decision is sent once and recorded, the clicker answered, the thread echoes it',
    async (_label, fault) => {
      const { e2e, reader, ledger } = await stage(redis);
      const [job] = await cards(e2e, 1);
      const before = await reader.all();
      e2e.slack.failNext('chat.update', fault, 2);

      const clicks = await Promise.all([click(e2e, job!, 'UALICE'), click(e2e, job!, 'UBOB')]);
      await e2e.settled();
      await reconcileAll(e2e);
      const report = await expectInvariants({ emulator: e2e.cos.emulator, ledger, reader, before });
      expect(report.acceptedCalls).toBe(1);
      expect(e2e.job(job!.jobId).status).toBe('Ready');
      expect(clicks.map((c) => c.status)).toEqual([200, 200]);
      expect(unanswered(e2e.slack, clicks, cardText(e2e))).toEqual([]);
      const card = e2e.cardFor(job!.jobId)!;
      expect(e2e.thread(card).map(textOf).join('\n')).toContain('approved the job');
    },
  );
});
