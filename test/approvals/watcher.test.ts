import diagnostics_channel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { JobRecords } from '../../src/approvals/job-records.js';
import type { EngineEventMap, EngineEventName } from '../../src/approvals/ports.js';
import { POLL_CHANNEL, type PollTiming } from '../../src/approvals/watcher.js';
import { CosJobsClient } from '../../src/cos/client.js';
import { silentLogger } from '../../src/logger.js';
import { copyJobInput, REGIONS, TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { actor, type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { useRedis } from '../helpers/redis.js';

const REGION = REGIONS[0];
const redisCtx = useRedis();

const stack = useEngineStack(redisCtx, { progressIntervalMs: 0 });
const { engine } = stack;

type Recorded = { [K in EngineEventName]: EngineEventMap[K][] };

/**
 * What a writer does after writing a record: replace the records' version, so remembered records are read
 * again. Tests that edit Redis by hand call it to say "this record changed", as JobRecords' writes do.
 */
let handEdits = 0;
async function announceHandEdit(fx: EngineFixture): Promise<void> {
  handEdits += 1;
  await fx.redis.set(fx.keys.jobRecordsVersion(), `hand-edit:${handEdits}`);
}

/** How many times Redis ran `command` so far (scripts' calls included), from INFO commandstats. */
async function commandCalls(fx: EngineFixture, command: string): Promise<number> {
  const stats = await fx.redis.info('commandstats');
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats);
  return Number(match?.[1] ?? 0);
}

function record(fx: EngineFixture): Recorded {
  const seen = {
    job_pending: [],
    job_progress: [],
    job_finished: [],
    job_changed_outside: [],
    job_reminder: [],
    job_expired: [],
    job_rule_changed: [],
    job_decided: [],
    job_reconciled: [],
    decision_made: [],
    region_polled: [],
    region_discovery_started: [],
  } as Recorded;
  for (const name of Object.keys(seen) as EngineEventName[]) {
    fx.engine.events.on(name, (event) => {
      (seen[name] as unknown[]).push(event);
    });
  }
  return seen;
}

describe('job watcher', () => {
  it('announces each Suspended job exactly once, across polls and replicas, in every region', async () => {
    const a = await engine({ instanceId: 'a' });
    const b = await engine({ instanceId: 'b' });
    const seenA = record(a);
    const seenB = record(b);
    const ids = [
      stack.cos.createSuspendedJob(REGIONS[0]),
      stack.cos.createSuspendedJob(REGIONS[0]),
      stack.cos.createSuspendedJob(REGIONS[1]),
    ];
    stack.cos.emulator.store.createJob(REGION, copyJobInput(), {
      status: 'Active',
    });

    await a.engine.watcher.pollOnce();
    await a.engine.watcher.pollOnce();
    const bReport = await b.engine.watcher.pollOnce();
    expect(bReport.leader).toBe(false);
    const announced = [...seenA.job_pending, ...seenB.job_pending].map((e) => e.job.id).sort();
    expect(announced).toEqual([...ids].sort());
    expect(seenA.job_pending.every((e) => e.redelivery === false && e.job.status === 'Suspended')).toBe(true);

    // Even when two replicas briefly both believe they lead, the record is created once (SET NX semantics).
    const late = stack.cos.createSuspendedJob(REGION);
    const job = await stack.cos.clients.get(REGION)!.describeJob(late);
    const created = await Promise.all([
      a.records.createIfAbsent({ account: 'default', region: REGION }, job, stack.cos.clock.now()),
      b.records.createIfAbsent({ account: 'default', region: REGION }, job, stack.cos.clock.now()),
    ]);
    expect(created.filter(Boolean)).toHaveLength(1);
  });

  it('describes a tracked job again only once it has left the waiting list', async () => {
    const fx = await engine();
    const waiting = stack.cos.createSuspendedJob(REGION);
    const leaving = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    const describes = () => stack.cos.emulator.stats.requests.DescribeJob;

    // Both still listed as Suspended: their status is known from the listing, nothing is described.
    let before = describes();
    await fx.engine.watcher.pollOnce();
    expect(describes() - before).toBe(0);

    // One left the list (confirmed in the console): that one is described and reported, the other is not.
    const seen = record(fx);
    stack.cos.emulator.store.setStatus(REGION, leaving, 'Ready', 'confirmed in the console');
    before = describes();
    await fx.engine.watcher.pollOnce();
    expect(describes() - before).toBe(1);
    expect(seen.job_changed_outside.map((e) => e.job.id)).toEqual([leaving]);
    expect((await fx.records.get({ account: 'default', region: REGION, jobId: waiting }))?.lastStatus).toBe(
      'Suspended',
    );
  });

  it('leaves a quiet waiting job alone between polls, but not past its next reminder nor once its record changes', async () => {
    const fx = await engine({ remindAfterMs: 30 * 60_000 });
    const seen = record(fx);
    const jobId = stack.cos.createSuspendedJob(REGION);
    const ref = { account: 'default', region: REGION, jobId };
    await fx.engine.watcher.pollOnce();
    expect(seen.job_pending).toHaveLength(1);
    stack.cos.clock.advance(31 * 60_000);
    await fx.engine.watcher.pollOnce();
    expect(seen.job_reminder.map((r) => r.waitingMinutes)).toEqual([31]);

    // The reminder changed the record, so the next poll follows the job again: it tries to claim the same
    // reminder (an HSETNX that finds it claimed). Followed every poll, it would do so each time; left alone
    // until the next one is due, it costs no command of its own.
    let claims = await commandCalls(fx, 'hsetnx');
    stack.cos.clock.advance(60_000);
    await fx.engine.watcher.pollOnce();
    expect(await commandCalls(fx, 'hsetnx')).toBe(claims + 1);
    claims += 1;
    for (let minute = 37; minute < 60; minute += 5) {
      stack.cos.clock.advance(5 * 60_000);
      await fx.engine.watcher.pollOnce();
    }
    expect(await commandCalls(fx, 'hsetnx')).toBe(claims);
    expect(seen.job_reminder).toHaveLength(1);
    stack.cos.clock.advance(4 * 60_000);
    await fx.engine.watcher.pollOnce();
    expect(seen.job_reminder.map((r) => r.waitingMinutes)).toEqual([31, 61]);

    // Its record changed (by hand here, as a replica's write would): it is followed again at once, and
    // being unannounced now, announced.
    await fx.redis.hdel(fx.keys.jobRecord(ref), 'announcedAt');
    await announceHandEdit(fx);
    await fx.engine.watcher.pollOnce();
    expect(seen.job_pending.map((e) => [e.job.id, e.redelivery])).toEqual([
      [jobId, false],
      [jobId, false],
    ]);
  });

  it('reads many records at once, a damaged one failing only its own entry', async () => {
    const fx = await engine();
    const good = stack.cos.createSuspendedJob(REGION);
    const damaged = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    await fx.redis.hset(
      fx.keys.jobRecord({ account: 'default', region: REGION, jobId: damaged }),
      'job',
      '{not json',
    );
    await announceHandEdit(fx);
    const refs = [good, damaged, 'nosuchjob'].map((jobId) => ({ account: 'default', region: REGION, jobId }));
    const [a, b, c] = await fx.records.getMany(refs);
    expect(a).toMatchObject({ ok: true, value: { jobId: good, lastStatus: 'Suspended' } });
    expect(b?.ok).toBe(false);
    expect(b?.ok === false && String(b.error)).toContain('damaged');
    expect(c).toEqual({ ok: true, value: undefined });
    expect((await fx.records.existsMany(refs)).map((r) => r.ok && r.value)).toEqual([true, true, false]);
  });

  it('reads many records again as they are now, whether or not they changed since the last read', async () => {
    const fx = await engine();
    const jobId = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    const refs = [{ account: 'default', region: REGION, jobId }];
    const [first] = await fx.records.getMany(refs);
    const [unchanged] = await fx.records.getMany(refs);
    expect(unchanged).toEqual(first);
    expect(unchanged?.ok && unchanged.value?.card).toBeUndefined();
    await fx.records.setCard({ account: 'default', region: REGION, jobId: jobId }, 'C1', '1.0001');
    const [carded] = await fx.records.getMany(refs);
    expect(carded?.ok && carded.value?.card).toEqual({ channel: 'C1', ts: '1.0001' });
    await fx.records.update({ account: 'default', region: REGION, jobId: jobId }, { lastStatus: 'Ready' });
    const [updated] = await fx.records.getMany(refs);
    expect(updated?.ok && updated.value?.lastStatus).toBe('Ready');
    // A key of the wrong type fails its own entry only.
    const other = { account: 'default', region: REGION, jobId: 'not-a-hash' };
    await fx.redis.set(
      fx.keys.jobRecord({ account: 'default', region: REGION, jobId: other.jobId }),
      'a string',
    );
    await announceHandEdit(fx);
    const [stillRead, wrongType] = await fx.records.getMany([...refs, other]);
    expect(stillRead?.ok && stillRead.value?.lastStatus).toBe('Ready');
    expect(wrongType?.ok === false && String(wrongType.error)).toContain('WRONGTYPE');
    await fx.redis.del(fx.keys.jobRecord({ account: 'default', region: REGION, jobId: jobId }));
    await announceHandEdit(fx);
    expect(await fx.records.getMany(refs)).toEqual([{ ok: true, value: undefined }]);
  });

  it('asks Redis for no record while none was written, sees every write through JobRecords at once, and a hand edit within the recheck time', async () => {
    const fx = await engine();
    const jobId = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    const ref = { account: 'default', region: REGION, jobId };
    const records = new JobRecords(fx.redis, fx.keys, { recheckMs: 300 });
    const statusOf = async () => {
      const [read] = await records.getMany([ref]);
      return read?.ok ? read.value?.lastStatus : undefined;
    };
    expect(await statusOf()).toBe('Suspended');
    const hgetallsBefore = await commandCalls(fx, 'hgetall');
    expect(await statusOf()).toBe('Suspended');
    // The version is unchanged: not even the fingerprint script ran (it reads the record with HGETALL).
    expect(await commandCalls(fx, 'hgetall')).toBe(hgetallsBefore);
    // A write through any JobRecords instance (another replica's, here the engine's) replaces the version.
    await fx.records.update(ref, { lastStatus: 'Ready' });
    expect(await statusOf()).toBe('Ready');
    // An edit by hand leaves the version as it is: the remembered record stands until the recheck.
    await fx.redis.hset(fx.keys.jobRecord(ref), 'lastStatus', 'Active');
    expect(await statusOf()).toBe('Ready');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await statusOf()).toBe('Active');
    // Without a version in Redis (none written yet, or deleted), every record is read.
    await fx.redis.del(fx.keys.jobRecordsVersion());
    await fx.redis.hset(fx.keys.jobRecord(ref), 'lastStatus', 'Failed');
    expect(await statusOf()).toBe('Failed');
  });

  it('publishes each poll’s bounds on the cosjob:poll diagnostics channel, for whoever subscribes', async () => {
    const fx = await engine();
    stack.cos.createSuspendedJob(REGION);
    const seen: PollTiming[] = [];
    const listener = (message: unknown) => seen.push(message as PollTiming);
    diagnostics_channel.subscribe(POLL_CHANNEL, listener);
    try {
      const before = Date.now();
      const report = await fx.engine.watcher.pollOnce();
      expect(seen).toHaveLength(1);
      const [poll] = seen;
      expect(poll?.leader).toBe(true);
      expect(poll?.tracked).toBe(report.tracked);
      expect(poll?.startedAt).toBeGreaterThanOrEqual(before);
      expect(poll?.endedAt).toBeGreaterThanOrEqual(poll?.startedAt ?? Number.POSITIVE_INFINITY);
      expect(poll?.endedAt).toBeLessThanOrEqual(Date.now());
    } finally {
      diagnostics_channel.unsubscribe(POLL_CHANNEL, listener);
    }
  });

  it('hands out an unchanged record read again without letting one reader spoil it for the next', async () => {
    const fx = await engine();
    const jobId = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    const refs = [{ account: 'default', region: REGION, jobId }];
    const [first] = await fx.records.getMany(refs);
    if (!first?.ok || !first.value) throw new Error('the record was not read');
    const pristine = structuredClone(first.value);
    // A reader changing its own copy's fields changes nothing the next reader sees.
    first.value.lastStatus = 'Ready';
    // The nested objects are shared between readers, so they cannot be changed at all.
    expect(() => {
      (first.value as { job: { status: string } }).job.status = 'Ready';
    }).toThrow(TypeError);
    expect(() => {
      (first.value as { shown: { manifestEtag: string } }).shown.manifestEtag = 'other';
    }).toThrow(TypeError);
    const [again] = await fx.records.getMany(refs);
    expect(again?.ok && again.value).toEqual(pristine);
    // A record changed in Redis by anyone (here by hand, with the version replaced) is read and parsed afresh.
    await fx.redis.hset(
      fx.keys.jobRecord(refs[0] as (typeof refs)[number]),
      'job',
      JSON.stringify({ ...pristine.job, status: 'Ready' }),
    );
    await announceHandEdit(fx);
    const [changed] = await fx.records.getMany(refs);
    expect(changed?.ok && changed.value?.job.status).toBe('Ready');
  });

  it('reports a job confirmed behind cosjob’s back as changed outside, once', async () => {
    const fx = await engine();
    const seen = record(fx);
    const jobId = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    stack.cos.emulator.store.setStatus(REGION, jobId, 'Ready', 'confirmed in the console');
    await fx.engine.watcher.pollOnce();
    await fx.engine.watcher.pollOnce();
    expect(seen.job_changed_outside.map((e) => e.job.id)).toEqual([jobId]);
    const history = await fx.audit.history({ account: 'default', region: REGION, jobId: jobId });
    expect(history.filter((e) => e.action === 'changed_outside')).toHaveLength(1);
  });

  it('does not call a decision made in cosjob "outside", and follows the job to its end', async () => {
    const fx = await engine();
    const seen = record(fx);
    const jobId = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    expect(
      (
        await fx.engine.decide({
          account: 'default',
          region: REGION,
          jobId,
          action: 'approve',
          actor: actor('UALICE'),
          source: 'slack-button',
        })
      ).kind,
    ).toBe('approved');
    for (let i = 0; i < 200 && seen.job_finished.length === 0; i += 1) {
      stack.cos.clock.advance(5_000);
      stack.cos.emulator.tick();
      await fx.engine.watcher.pollOnce();
    }
    expect(seen.job_changed_outside).toHaveLength(0);
    expect(seen.job_progress.length).toBeGreaterThan(0);
    expect(seen.job_progress.map((e) => e.job.status)).toContain('Active');
    expect(seen.job_finished).toHaveLength(1);
    expect(seen.job_finished[0]).toMatchObject({
      status: 'Complete',
      progress: { totalTasks: 1200, succeededTasks: 1200 },
    });
    expect((await fx.records.tracked()).length).toBe(0);
    const actions = (await fx.audit.history({ account: 'default', region: REGION, jobId: jobId })).map(
      (e) => e.action,
    );
    expect(actions).toContain('status_changed');
    expect(actions.at(-1)).toBe('finished');
  });

  it('does not call a status change "outside" while a decision holds the job’s claim', async () => {
    const fx = await engine();
    const seen = record(fx);
    const jobId = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    const claimKey = `{${redisCtx.keyPrefix}:job:${REGION}:${jobId}}:claim`;
    await fx.redis.set(
      claimKey,
      JSON.stringify({ intentId: 'in-flight', actor: actor('UALICE'), action: 'approve' }),
      'PX',
      60_000,
    );
    stack.cos.emulator.store.setStatus(REGION, jobId, 'Ready');
    await fx.engine.watcher.pollOnce();
    expect(seen.job_changed_outside).toHaveLength(0);
    await fx.redis.del(claimKey);
    stack.cos.emulator.store.setStatus(REGION, jobId, 'Suspended');
    await fx.engine.watcher.pollOnce();
    stack.cos.emulator.store.setStatus(REGION, jobId, 'Ready');
    await fx.engine.watcher.pollOnce();
    expect(seen.job_changed_outside.map((e) => e.job.id)).toEqual([jobId]);
  });

  it('announces a job first recorded by a typed command whose approval failed', async () => {
    const fx = await engine();
    const seen = record(fx);
    await fx.engine.watcher.pollOnce();
    const jobId = stack.cos.createSuspendedJob(REGION);
    stack.cos.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'status5xx', times: 1 });
    const outcome = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slash-command',
    });
    expect(outcome.kind).toBe('failed');
    await fx.engine.watcher.pollOnce();
    await fx.engine.watcher.pollOnce();
    expect(seen.job_pending.map((e) => [e.job.id, e.redelivery])).toEqual([[jobId, false]]);
  });

  it('lets one replica at a time post a card, and the same replica renew its claim', async () => {
    const fx = await engine();
    const jobId = stack.cos.createSuspendedJob(REGION);
    expect(
      await fx.records.claimCardPosting(
        { account: 'default', region: REGION, jobId: jobId },
        'replica-a',
        60_000,
      ),
    ).toBe(true);
    expect(
      await fx.records.claimCardPosting(
        { account: 'default', region: REGION, jobId: jobId },
        'replica-b',
        60_000,
      ),
    ).toBe(false);
    expect(
      await fx.records.claimCardPosting(
        { account: 'default', region: REGION, jobId: jobId },
        'replica-a',
        60_000,
      ),
    ).toBe(true);
  });

  it('reports failures with every failure reason', async () => {
    const fx = await engine();
    const seen = record(fx);
    const jobId = stack.cos.createSuspendedJob(REGION);
    stack.cos.emulator.store.markToFail(REGION, jobId, [
      { code: 'ManifestNotFound', reason: 'manifest missing' },
      { code: 'AccessDenied', reason: 'role cannot read the bucket' },
    ]);
    await fx.engine.watcher.pollOnce();
    await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    for (let i = 0; i < 100 && seen.job_finished.length === 0; i += 1) {
      stack.cos.clock.advance(5_000);
      stack.cos.emulator.tick();
      await fx.engine.watcher.pollOnce();
    }
    expect(seen.job_finished[0]?.status).toBe('Failed');
    expect(seen.job_finished[0]?.failureReasons.map((f) => f.code)).toEqual([
      'ManifestNotFound',
      'AccessDenied',
    ]);
  });

  it('reminds after REMIND_AFTER_MINUTES and again each interval, then auto-cancels when enabled', async () => {
    const fx = await engine({ remindAfterMs: 30 * 60_000, autoCancelAfterMs: 2 * 3_600_000 });
    const seen = record(fx);
    const jobId = stack.cos.createSuspendedJob(REGION);
    await fx.engine.watcher.pollOnce();
    stack.cos.clock.advance(29 * 60_000);
    await fx.engine.watcher.pollOnce();
    expect(seen.job_reminder).toHaveLength(0);
    stack.cos.clock.advance(2 * 60_000);
    await fx.engine.watcher.pollOnce();
    await fx.engine.watcher.pollOnce();
    expect(seen.job_reminder).toHaveLength(1);
    stack.cos.clock.advance(30 * 60_000);
    await fx.engine.watcher.pollOnce();
    expect(seen.job_reminder.map((r) => r.waitingMinutes)).toEqual([31, 61]);

    stack.cos.clock.advance(60 * 60_000);
    await fx.engine.watcher.pollOnce();
    expect(seen.job_expired).toEqual([
      { account: 'default', region: REGION, jobId, hours: 2, outcome: 'cancelled' },
    ]);
    const job = stack.cos.emulator.store.getJob(REGION, jobId)!;
    expect(['Cancelling', 'Cancelled']).toContain(job.status);
    expect(job.statusUpdateReason).toBe(
      'cancelled by cosjob (system) via cosjob: expired: not approved within 2 h',
    );
    const actions = (await fx.audit.history({ account: 'default', region: REGION, jobId: jobId })).map(
      (e) => e.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['reminded', 'cancel_requested', 'cancelled', 'expired']));
    await fx.engine.watcher.pollOnce();
    expect(seen.job_expired).toHaveLength(1);
  });

  it('backs off a failing region without stopping the others, and skips one bad job', async () => {
    const deadRegion = 'ap-chengdu';
    const dead = new CosJobsClient({
      region: deadRegion,
      appId: TEST_ACCOUNT.appId,
      uin: TEST_ACCOUNT.uin,
      credentials: { secretId: TEST_ACCOUNT.secretId, secretKey: TEST_ACCOUNT.secretKey },
      endpoint: 'http://127.0.0.1:9',
      clock: stack.cos.clock,
      logger: silentLogger,
      retry: { maxAttempts: 1 },
      timeouts: { deadlineMs: 1_000 },
    });
    const clients = new Map([
      [REGION, stack.cos.clients.get(REGION)!],
      [deadRegion, dead],
    ]);
    const fx = await engine({ clients });
    const seen = record(fx);
    const bad = stack.cos.createSuspendedJob(REGION);
    const good = stack.cos.createSuspendedJob(REGION);
    // Every attempt of the first DescribeJob (the oldest job's) answers with broken XML.
    stack.cos.emulator.faults.add({ api: 'DescribeJob', kind: 'malformedXml', times: 4 });

    const report = await fx.engine.watcher.pollOnce();
    const deadReport = report.regions.find((r) => r.region === deadRegion)!;
    expect(deadReport.error).toBeDefined();
    expect(fx.engine.watcher.regionHealth({ account: 'default', region: deadRegion })?.failures).toBe(1);
    expect(seen.job_pending.map((e) => e.job.id)).toEqual([good]);
    expect(report.regions.find((r) => r.region === REGION)!.badJobs).toEqual([bad]);

    const second = await fx.engine.watcher.pollOnce();
    expect(second.regions.find((r) => r.region === deadRegion)!.skipped).toBe('backoff');
    expect(seen.job_pending.map((e) => e.job.id)).toEqual([good, bad]);
  });

  it('when the leader dies, another replica takes over and announces nothing twice', async () => {
    const a = await engine({ instanceId: 'a', leaseTtlMs: 400 });
    const b = await engine({ instanceId: 'b', leaseTtlMs: 400 });
    const seenA = record(a);
    const seenB = record(b);
    const first = stack.cos.createSuspendedJob(REGION);
    expect((await a.engine.watcher.pollOnce()).leader).toBe(true);
    expect((await b.engine.watcher.pollOnce()).leader).toBe(false);

    // The leader crashes: its connection goes away without releasing the lease.
    a.redis.disconnect();
    const second = stack.cos.createSuspendedJob(REGION);

    let tookOver = false;
    for (let i = 0; i < 100 && !tookOver; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      tookOver = (await b.engine.watcher.pollOnce()).leader;
    }
    expect(tookOver).toBe(true);
    expect(seenA.job_pending.map((e) => e.job.id)).toEqual([first]);
    expect(seenB.job_pending.filter((e) => !e.redelivery).map((e) => e.job.id)).toEqual([second]);
    // The new leader re-offers only a card that was never posted, flagged as a redelivery.
    expect(seenB.job_pending.filter((e) => e.redelivery).map((e) => e.job.id)).toEqual([first]);
  });
});
