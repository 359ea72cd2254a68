import { describe, expect, it } from 'vitest';
import type { DecisionOutcome } from '../../src/approvals/decision.js';
import { outcomeText } from '../../src/decision-text.js';
import { copyJobInput, REGIONS } from '../helpers/cos-fixture.js';
import { APPROVERS, actor, type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { redisTestsUseExternalServer, useRedis } from '../helpers/redis.js';

const REGION = REGIONS[0];
const redisCtx = useRedis({ persistence: 'aof' });

const stack = useEngineStack(redisCtx);
const { engine } = stack;

/** A Suspended job the watcher has announced, as a card click would find it. */
async function announcedJob(fx: EngineFixture, region: string = REGION): Promise<string> {
  const id = stack.cos.createSuspendedJob(region);
  const job = await stack.cos.clients.get(region)!.describeJob(id);
  expect(
    await fx.records.createIfAbsent({ account: 'default', region: region }, job, stack.cos.clock.now()),
  ).toBe(true);
  return id;
}

const statusUpdatesFor = (jobId: string) =>
  stack.cos.emulator.stats.statusUpdates.filter((u) => u.jobId === jobId);

describe('decide', () => {
  it('approves: COS gets Ready with the human in statusUpdateReason; intent then result are audited', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    const outcome = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: { id: 'UALICE', name: 'Alice' },
      reason: 'looks right',
      source: 'slack-button',
      requireAnnouncedJob: true,
    });
    expect(outcome).toMatchObject({ kind: 'approved', cosStatus: 'Ready', auditRecorded: true });
    const job = stack.cos.emulator.store.getJob(REGION, jobId)!;
    expect(job.status).toBe('Ready');
    expect(job.statusUpdateReason).toBe('approved by Alice (UALICE) via Slack: looks right');
    expect(statusUpdatesFor(jobId)).toHaveLength(1);
    // The card renders from the record: it must show the status COS reports after the decision.
    expect((await fx.records.get({ account: 'default', region: REGION, jobId: jobId }))?.job.status).toBe(
      'Ready',
    );

    const history = await fx.audit.history({ account: 'default', region: REGION, jobId: jobId });
    expect(history.map((e) => [e.action, e.outcome])).toEqual([
      ['approve_requested', 'intent'],
      ['approved', 'applied'],
    ]);
    expect(history[1]).toMatchObject({
      intentId: history[0]!.entryId,
      cosStatus: 'Ready',
      actor: { id: 'UALICE' },
    });
    expect((await fx.audit.verify({ account: 'default', kind: 'job', region: REGION, jobId })).ok).toBe(true);

    const again = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UBOB'),
      source: 'slack-button',
    });
    expect(again).toMatchObject({ kind: 'refused', code: 'already_decided', heldBy: { id: 'UALICE' } });
    expect(statusUpdatesFor(jobId)).toHaveLength(1);
  });

  it('treats a damaged job record in Redis as a stop, not as data', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    await fx.redis.hset(`{${redisCtx.keyPrefix}:job:${REGION}:${jobId}}:record`, 'job', '{not json');
    const outcome = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    expect(outcome).toMatchObject({ kind: 'failed', code: 'store_unavailable', damagedRecord: true });
    expect(outcomeText({ account: 'default', action: 'approve', region: REGION, jobId }, outcome)).toMatch(
      /record for job .* is damaged.*Nothing was sent to COS/,
    );
    expect(statusUpdatesFor(jobId)).toHaveLength(0);
  });

  it('cuts the COS reason to 256 bytes on a character boundary', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    // 252 bytes: within the person's limit, past COS's 256 once "cancelled by … via cosjob CLI: " leads it.
    const reason = '取消'.repeat(42);
    const tooLong = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'cancel',
      actor: actor('UALICE'),
      reason: `${reason}abcde`,
      source: 'cli',
    });
    expect(tooLong).toMatchObject({ kind: 'refused', code: 'invalid_input', problem: 'reason_too_long' });
    const outcome = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'cancel',
      actor: actor('UALICE'),
      reason,
      source: 'cli',
    });
    expect(outcome.kind).toBe('cancelled');
    const stored = stack.cos.emulator.store.getJob(REGION, jobId)!.statusUpdateReason!;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(256);
    expect(stored.startsWith('cancelled by alice (UALICE) via cosjob CLI: 取消')).toBe(true);
    expect(stored).not.toContain('\uFFFD');
  });

  it('refuses a non-approver, audits the attempt as denied, and calls COS not at all', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    const before = stack.cos.emulator.stats.totalRequests;
    const outcome = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UMALLORY'),
      source: 'slack-button',
    });
    expect(outcome).toMatchObject({ kind: 'refused', code: 'not_approver' });
    expect(stack.cos.emulator.stats.totalRequests).toBe(before);
    const history = await fx.audit.history({ account: 'default', region: REGION, jobId: jobId });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'denied', outcome: 'refused', actor: { id: 'UMALLORY' } });
  });

  it('accepts members of an approver user group through the directory port', async () => {
    let lookups = 0;
    const fx = await engine({
      approverUserIds: [],
      approverUsergroupIds: ['SOPS'],
      directory: {
        membersOf: async (group) => {
          lookups += 1;
          return group === 'SOPS' ? ['UGROUPIE'] : [];
        },
      },
    });
    const a = await announcedJob(fx);
    const b = await announcedJob(fx);
    expect(
      (
        await fx.engine.decide({
          account: 'default',
          region: REGION,
          jobId: a,
          action: 'approve',
          actor: actor('UGROUPIE'),
          source: 'slack-button',
        })
      ).kind,
    ).toBe('approved');
    expect(
      (
        await fx.engine.decide({
          account: 'default',
          region: REGION,
          jobId: b,
          action: 'approve',
          actor: actor('UOUTSIDER'),
          source: 'slack-button',
        })
      ).kind,
    ).toBe('refused');
    expect(lookups).toBe(1);
  });

  it('refuses a job it never announced when the click requires one, and input that is not a JobId', async () => {
    const fx = await engine();
    const stranger = stack.cos.createSuspendedJob(REGION);
    expect(
      await fx.engine.decide({
        account: 'default',
        region: REGION,
        jobId: stranger,
        action: 'approve',
        actor: actor('UALICE'),
        source: 'slack-button',
        requireAnnouncedJob: true,
      }),
    ).toMatchObject({ kind: 'refused', code: 'unknown_job' });
    expect(
      await fx.engine.decide({
        account: 'default',
        region: REGION,
        jobId: '../../jobs',
        action: 'approve',
        actor: actor('UALICE'),
        source: 'cli',
      }),
    ).toMatchObject({
      kind: 'refused',
      code: 'invalid_input',
    });
    expect(
      await fx.engine.decide({
        account: 'default',
        region: 'eu-nowhere',
        jobId: stranger,
        action: 'approve',
        actor: actor('UALICE'),
        source: 'cli',
      }),
    ).toMatchObject({
      kind: 'refused',
      code: 'unknown_region',
    });
    expect(statusUpdatesFor(stranger)).toHaveLength(0);
  });

  it('requires a reason to cancel, then cancels with it', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    expect(
      await fx.engine.decide({
        account: 'default',
        region: REGION,
        jobId,
        action: 'cancel',
        actor: actor('UBOB'),
        source: 'slash-command',
      }),
    ).toMatchObject({
      kind: 'refused',
      code: 'reason_required',
    });
    const outcome = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'cancel',
      actor: actor('UBOB'),
      reason: 'wrong bucket',
      source: 'slack-modal',
    });
    expect(outcome).toMatchObject({ kind: 'cancelled' });
    const job = stack.cos.emulator.store.getJob(REGION, jobId)!;
    expect(['Cancelling', 'Cancelled']).toContain(job.status);
    expect(job.statusUpdateReason).toBe('cancelled by bob (UBOB) via Slack: wrong bucket');
    const actions = (await fx.audit.history({ account: 'default', region: REGION, jobId: jobId })).map(
      (e) => e.action,
    );
    expect(actions).toEqual(['cancel_requested', 'cancelled']);
  });

  it('refuses to approve a job that changed since it was posted, and audits the refusal', async () => {
    const fx = await engine();
    const etagChanged = await announcedJob(fx);
    const priorityChanged = await announcedJob(fx);
    stack.cos.emulator.store.setManifestEtag(REGION, etagChanged, 'ffffffffffffffffffffffffffffffff');
    stack.cos.emulator.store.setPriority(REGION, priorityChanged, 99);
    for (const jobId of [etagChanged, priorityChanged]) {
      const outcome = await fx.engine.decide({
        account: 'default',
        region: REGION,
        jobId,
        action: 'approve',
        actor: actor('UALICE'),
        source: 'slack-button',
      });
      expect(outcome).toMatchObject({ kind: 'refused', code: 'job_changed' });
      expect(statusUpdatesFor(jobId)).toHaveLength(0);
      const [entry] = await fx.audit.history({ account: 'default', region: REGION, jobId: jobId });
      expect(entry).toMatchObject({ action: 'denied', outcome: 'refused' });
      expect(entry!.reason).toMatch(/changed since it was posted/);
    }
    // Cancel stays possible on a changed job.
    expect(
      (
        await fx.engine.decide({
          account: 'default',
          region: REGION,
          jobId: etagChanged,
          action: 'cancel',
          actor: actor('UALICE'),
          reason: 'changed',
          source: 'slack-modal',
        })
      ).kind,
    ).toBe('cancelled');
  });

  it('refuses approval of a job that is no longer Suspended, and cancel of a finished one', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    stack.cos.emulator.store.setStatus(REGION, jobId, 'Complete');
    expect(
      (
        await fx.engine.decide({
          account: 'default',
          region: REGION,
          jobId,
          action: 'approve',
          actor: actor('UALICE'),
          source: 'cli',
        })
      ).kind,
    ).toBe('refused');
    expect(
      await fx.engine.decide({
        account: 'default',
        region: REGION,
        jobId,
        action: 'cancel',
        actor: actor('UALICE'),
        reason: 'x',
        source: 'cli',
      }),
    ).toMatchObject({
      kind: 'refused',
      code: 'finished',
    });
    expect(statusUpdatesFor(jobId)).toHaveLength(0);
  });

  it('100 concurrent decisions on 10 jobs by several approvers make exactly 10 COS calls, with a consistent audit', async () => {
    const fx = await engine();
    const jobs = await Promise.all(Array.from({ length: 10 }, () => announcedJob(fx)));
    const calls = jobs.flatMap((jobId, j) =>
      Array.from({ length: 10 }, (_, k) =>
        fx.engine.decide({
          account: 'default',
          region: REGION,
          jobId,
          action: (j + k) % 3 === 0 ? 'cancel' : 'approve',
          actor: actor(APPROVERS[k % APPROVERS.length]!),
          reason: 'concurrency test',
          source: 'slack-button',
        }),
      ),
    );
    const outcomes = await Promise.all(calls);
    expect(stack.cos.emulator.stats.statusUpdates.filter((u) => jobs.includes(u.jobId))).toHaveLength(10);
    for (const jobId of jobs) expect(statusUpdatesFor(jobId)).toHaveLength(1);
    const winners = outcomes.filter((o) => o.kind === 'approved' || o.kind === 'cancelled');
    expect(winners).toHaveLength(10);
    let denied = 0;
    for (const jobId of jobs)
      denied += (await fx.audit.history({ account: 'default', region: REGION, jobId: jobId })).filter(
        (e) => e.action === 'denied',
      ).length;
    expect(denied).toBe(outcomes.filter((o) => o.kind === 'refused').length);
    expect(
      outcomes
        .filter((o) => o.kind === 'refused')
        .every((o) => ['busy', 'already_decided'].includes((o as { code: string }).code)),
    ).toBe(true);
    await assertOneResultPerJob(fx, jobs);
  });

  it('two engine instances on one Redis still make exactly one COS call per job', async () => {
    const a = await engine();
    const b = await engine({ instanceId: 'replica-b' });
    const jobs = await Promise.all(Array.from({ length: 10 }, () => announcedJob(a)));
    const outcomes = await Promise.all(
      jobs.flatMap((jobId) =>
        APPROVERS.flatMap((approver, i) => [
          (i % 2 === 0 ? a : b).engine.decide({
            account: 'default',
            region: REGION,
            jobId,
            action: 'approve',
            actor: actor(approver),
            source: 'slack-button',
          }),
          (i % 2 === 0 ? b : a).engine.decide({
            account: 'default',
            region: REGION,
            jobId,
            action: 'approve',
            actor: actor(approver),
            source: 'slack-button',
          }),
        ]),
      ),
    );
    for (const jobId of jobs) expect(statusUpdatesFor(jobId)).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'approved')).toHaveLength(10);
    await assertOneResultPerJob(a, jobs);
  });

  it('N of M: distinct approvers vote; the same person twice counts once; a cancel wins at once', async () => {
    const fx = await engine({ requiredApprovals: 2 });
    const jobId = await announcedJob(fx);
    const first = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    expect(first).toMatchObject({ kind: 'vote_recorded', votes: 1, required: 2, voterIds: ['UALICE'] });
    const twice = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slash-command',
    });
    expect(twice).toMatchObject({ kind: 'refused', code: 'already_voted', votes: 1 });
    expect(statusUpdatesFor(jobId)).toHaveLength(0);
    const second = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UBOB'),
      source: 'slack-button',
    });
    expect(second).toMatchObject({ kind: 'approved' });
    expect(
      (second as Extract<DecisionOutcome, { kind: 'approved' | 'cancelled' }>).approverIds.sort(),
    ).toEqual(['UALICE', 'UBOB']);
    expect(statusUpdatesFor(jobId)).toHaveLength(1);
    // The repeated vote is refused and that refusal is audited too.
    expect(
      (await fx.audit.history({ account: 'default', region: REGION, jobId: jobId })).map((e) => e.action),
    ).toEqual(['approve_vote', 'denied', 'approve_vote', 'approve_requested', 'approved']);

    const other = await announcedJob(fx);
    await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId: other,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    const cancel = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId: other,
      action: 'cancel',
      actor: actor('UCAROL'),
      reason: 'no',
      source: 'slack-modal',
    });
    expect(cancel.kind).toBe('cancelled');
    expect(statusUpdatesFor(other).map((u) => u.requested)).toEqual(['Cancelled']);
  });

  it('N of M: when the final attempt fails, a voter can retry instead of being stuck at "already voted"', async () => {
    const fx = await engine({ requiredApprovals: 2 });
    const jobId = await announcedJob(fx);
    await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    // The final attempt fails at COS (the vote itself was counted after its re-check).
    stack.cos.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'status5xx', statusCode: 503, times: 1 });
    const failed = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UBOB'),
      source: 'slack-button',
    });
    expect(failed).toMatchObject({ kind: 'failed', code: 'cos_error' });
    const retried = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    expect(retried).toMatchObject({ kind: 'approved' });
    expect(statusUpdatesFor(jobId)).toHaveLength(1);
  });

  it('a job approved by mistake can still be cancelled while it runs', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
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
    const cancel = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'cancel',
      actor: actor('UBOB'),
      reason: 'wrong manifest',
      source: 'slash-command',
    });
    expect(cancel).toMatchObject({ kind: 'cancelled' });
    expect(statusUpdatesFor(jobId).map((u) => u.requested)).toEqual(['Ready', 'Cancelled']);
    expect(await fx.store.decision({ account: 'default', region: REGION, jobId: jobId })).toMatchObject({
      action: 'cancel',
      actor: { id: 'UBOB' },
    });
    // A second approval after that is refused.
    expect(
      await fx.engine.decide({
        account: 'default',
        region: REGION,
        jobId,
        action: 'approve',
        actor: actor('UCAROL'),
        source: 'cli',
      }),
    ).toMatchObject({
      kind: 'refused',
      code: 'already_decided',
    });
  });

  it('a replica starting up leaves another replica’s decision in flight alone', async () => {
    const a = await engine({ instanceId: 'a' });
    const jobId = await announcedJob(a);
    stack.cos.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'latency', latencyMs: 400, times: 1 });
    const deciding = a.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const b = await engine({ instanceId: 'b' });
    expect(await b.engine.reconciler.reconcile(0)).toMatchObject({ examined: 0, inFlight: 1 });
    const cancel = await b.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'cancel',
      actor: actor('UBOB'),
      reason: 'race',
      source: 'slack-modal',
    });
    expect(cancel).toMatchObject({ kind: 'refused', code: 'busy' });
    expect(await deciding).toMatchObject({ kind: 'approved' });
    expect(statusUpdatesFor(jobId).map((u) => u.requested)).toEqual(['Ready']);
    expect(
      (await a.audit.history({ account: 'default', region: REGION, jobId: jobId })).map((e) => e.action),
    ).not.toContain('reconciled');
  });

  it('an ambiguous COS failure is reconciled with DescribeJob, never sent twice', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    stack.cos.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'reset', afterEffect: true, times: 1 });
    const outcome = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    expect(outcome).toMatchObject({ kind: 'approved', cosStatus: 'Ready' });
    expect(statusUpdatesFor(jobId)).toHaveLength(1);
    const result = (await fx.audit.history({ account: 'default', region: REGION, jobId: jobId })).at(-1)!;
    expect(result.action).toBe('approved');
    expect(result.outcome).toMatch(/confirmed by DescribeJob/);
  });

  it('a COS failure that did not apply is audited as failed, releases the claim, and a retry can succeed', async () => {
    const fx = await engine();
    const jobId = await announcedJob(fx);
    stack.cos.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'status5xx', times: 1 });
    const failed = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    expect(failed).toMatchObject({ kind: 'failed', code: 'cos_error' });
    expect(
      (await fx.audit.history({ account: 'default', region: REGION, jobId: jobId })).at(-1),
    ).toMatchObject({
      action: 'failed',
      outcome: 'not_applied',
    });
    const retried = await fx.engine.decide({
      account: 'default',
      region: REGION,
      jobId,
      action: 'approve',
      actor: actor('UALICE'),
      source: 'slack-button',
    });
    expect(retried.kind).toBe('approved');
  });

  it.skipIf(redisTestsUseExternalServer())(
    'Redis down before a decision: refused, and zero calls to COS',
    async () => {
      const fx = await engine();
      const jobId = await announcedJob(fx);
      const before = stack.cos.emulator.stats.totalRequests;
      await redisCtx.server!.kill('SIGKILL');
      try {
        const outcome = await fx.engine.decide({
          account: 'default',
          region: REGION,
          jobId,
          action: 'approve',
          actor: actor('UALICE'),
          source: 'slack-button',
        });
        expect(outcome).toMatchObject({ kind: 'failed', code: 'store_unavailable', damagedRecord: false });
        expect(
          outcomeText({ account: 'default', action: 'approve', region: REGION, jobId }, outcome),
        ).toMatch(/nothing was sent to COS/);
        expect(stack.cos.emulator.stats.totalRequests).toBe(before);
        expect(stack.cos.emulator.store.getJob(REGION, jobId)!.status).toBe('Suspended');
      } finally {
        await redisCtx.server!.restart();
      }
    },
    60_000,
  );

  it.skipIf(redisTestsUseExternalServer())(
    'Redis dies between the COS call and its result: reconciled after restart',
    async () => {
      const fx = await engine({ claimTtlMs: 300 });
      const jobId = await announcedJob(fx);
      stack.cos.emulator.setHook(async ({ api }) => {
        if (api === 'UpdateJobStatus') await redisCtx.server!.kill('SIGKILL');
      });
      const outcome = await fx.engine.decide({
        account: 'default',
        region: REGION,
        jobId,
        action: 'approve',
        actor: actor('UALICE'),
        source: 'slack-button',
      });
      stack.cos.emulator.setHook(undefined);
      expect(outcome).toMatchObject({ kind: 'approved', auditRecorded: false });
      expect(statusUpdatesFor(jobId)).toHaveLength(1);

      await redisCtx.server!.restart();
      const recovered = await engine();
      // While the claim still names the intent, the act may be in flight elsewhere: it is left alone.
      const claimKey = `{${redisCtx.keyPrefix}:job:${REGION}:${jobId}}:claim`;
      if ((await recovered.redis.exists(claimKey)) === 1) {
        expect(await recovered.engine.reconciler.reconcile(0)).toMatchObject({ examined: 0, inFlight: 1 });
      }
      for (let i = 0; i < 100 && (await recovered.redis.exists(claimKey)) === 1; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const report = await recovered.engine.reconciler.reconcile(0);
      expect(report).toMatchObject({ examined: 1, applied: 1 });
      const history = await recovered.audit.history({ account: 'default', region: REGION, jobId: jobId });
      expect(history.map((e) => [e.action, e.outcome])).toEqual([
        ['approve_requested', 'intent'],
        ['reconciled', 'applied'],
      ]);
      expect(
        await recovered.store.decision({ account: 'default', region: REGION, jobId: jobId }),
      ).toMatchObject({
        action: 'approve',
        actor: { id: 'UALICE' },
      });
      expect((await recovered.engine.reconciler.reconcile(0)).examined).toBe(0);
      expect(statusUpdatesFor(jobId)).toHaveLength(1);
      expect((await recovered.audit.verify({ kind: 'global' })).ok).toBe(true);
    },
    60_000,
  );

  it.skipIf(REGIONS.length < 2)(
    'keeps regions apart: the same JobId in two regions are two jobs',
    async () => {
      const fx = await engine();
      const a = await announcedJob(fx, REGIONS[0]);
      const job = stack.cos.emulator.store.createJob(
        REGIONS[1],
        { ...copyJobInput() },
        { status: 'Suspended', id: a },
      );
      await fx.records.createIfAbsent(
        { account: 'default', region: REGIONS[1] },
        await stack.cos.clients.get(REGIONS[1])!.describeJob(job.id),
        stack.cos.clock.now(),
      );
      expect(
        (
          await fx.engine.decide({
            account: 'default',
            region: REGIONS[1],
            jobId: a,
            action: 'approve',
            actor: actor('UALICE'),
            source: 'slack-button',
          })
        ).kind,
      ).toBe('approved');
      expect(stack.cos.emulator.store.getJob(REGIONS[0], a)!.status).toBe('Suspended');
    },
  );
});

async function assertOneResultPerJob(fx: EngineFixture, jobs: string[]): Promise<void> {
  for (const jobId of jobs) {
    const history = await fx.audit.history({ account: 'default', region: REGION, jobId: jobId });
    const intents = history.filter((e) => e.outcome === 'intent');
    const results = history.filter((e) => e.action === 'approved' || e.action === 'cancelled');
    expect(intents).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(results[0]!.intentId).toBe(intents[0]!.entryId);
  }
  const verify = await fx.audit.verify({ kind: 'global' });
  expect(verify.ok).toBe(true);
}
