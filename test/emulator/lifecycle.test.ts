import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isoSeconds } from '../../tools/emulator/store.js';
import { type Harness, jobInput, parseXml, REGION, startHarness } from './helpers.js';

const LIFE = {
  newMs: 1_000,
  preparingMs: 2_000,
  readyMs: 3_000,
  tasksPerSecond: 10,
  completingMs: 4_000,
  cancellingMs: 5_000,
  failingMs: 6_000,
  defaultTotalTasks: 100,
};

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ lifecycle: LIFE });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.store.deleteAll();
});

function step(ms: number): void {
  h.clock.advance(ms);
  h.emulator.tick();
}

function job(id: string) {
  const found = h.emulator.store.getJob(REGION, id);
  if (!found) throw new Error(`job ${id} vanished`);
  return found;
}

describe('emulator: job lifecycle on the clock', () => {
  it('ConfirmationRequired: New → Preparing → Suspended, then waits indefinitely', () => {
    const created = h.emulator.store.createJob(REGION, jobInput({ confirmationRequired: true }));
    const t0 = h.clock.now();
    expect(created.status).toBe('New');
    step(999);
    expect(job(created.id).status).toBe('New');
    step(1);
    expect(job(created.id).status).toBe('Preparing');
    step(2_000);
    const suspended = job(created.id);
    expect(suspended.status).toBe('Suspended');
    expect(suspended.suspendedDate).toBe(isoSeconds(t0 + 3_000));
    expect(suspended.suspendedCause).toMatch(/confirmation/);
    step(30 * 24 * 3600_000);
    expect(job(created.id).status).toBe('Suspended');
    expect(job(created.id).terminationDate).toBeUndefined();
  });

  it('without confirmation: Preparing → Ready → Active → Completing → Complete, counters advancing', () => {
    const created = h.emulator.store.createJob(REGION, jobInput({ confirmationRequired: false }));
    step(3_000);
    expect(job(created.id).status).toBe('Ready');
    step(3_000);
    expect(job(created.id).status).toBe('Active');
    step(2_500);
    expect(job(created.id).progress).toEqual({ totalTasks: 100, succeededTasks: 25, failedTasks: 0 });
    step(7_500);
    expect(job(created.id).status).toBe('Completing');
    expect(job(created.id).progress.succeededTasks).toBe(100);
    step(4_000);
    const done = job(created.id);
    expect(done.status).toBe('Complete');
    expect(done.statusUpdateReason).toBe('Job complete');
    expect(done.terminationDate).toBe(isoSeconds(h.clock.now()));
  });

  it('catches up several steps in one tick, dating each from when the previous one ended', () => {
    const created = h.emulator.store.createJob(REGION, jobInput({ confirmationRequired: false }), {
      totalTasks: 50,
    });
    const t0 = h.clock.now();
    step(3_600_000);
    const done = job(created.id);
    expect(done.status).toBe('Complete');
    // New 1 s + Preparing 2 s + Ready 3 s + 50 tasks at 10/s + Completing 4 s.
    expect(done.terminationDate).toBe(isoSeconds(t0 + 1_000 + 2_000 + 3_000 + 5_000 + 4_000));
  });

  it('approving a Suspended job runs it to completion', async () => {
    const created = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended', totalTasks: 20 });
    const reply = await h.call({
      method: 'POST',
      path: `/jobs/${created.id}/status`,
      query: { requestedJobStatus: 'Ready' },
    });
    expect(reply.status).toBe(200);
    step(3_000);
    expect(job(created.id).status).toBe('Active');
    step(2_000);
    step(4_000);
    expect(job(created.id).status).toBe('Complete');
  });

  it('cancelling an Active job: Cancelling → Cancelled, progress frozen, TerminationDate set', async () => {
    const created = h.emulator.store.createJob(REGION, jobInput(), { status: 'Active' });
    step(3_000);
    expect(job(created.id).progress.succeededTasks).toBe(30);
    const reply = await h.call({
      method: 'POST',
      path: `/jobs/${created.id}/status`,
      query: { requestedJobStatus: 'Cancelled', statusUpdateReason: 'wrong bucket' },
    });
    expect(parseXml(reply.text).UpdateJobStatusResult).toMatchObject({
      Status: 'Cancelling',
      StatusUpdateReason: 'wrong bucket',
    });
    const cancelledAt = h.clock.now();
    step(4_999);
    expect(job(created.id).status).toBe('Cancelling');
    step(1);
    const cancelled = job(created.id);
    expect(cancelled.status).toBe('Cancelled');
    expect(cancelled.terminationDate).toBe(isoSeconds(cancelledAt + 5_000));
    expect(cancelled.progress.succeededTasks).toBe(30);
    expect(cancelled.statusUpdateReason).toBe('wrong bucket');
  });

  it('more than 50% failed after over 1,000 tasks: Failing → Failed with FailureRateExceeded', async () => {
    const created = h.emulator.store.createJob(REGION, jobInput(), {
      status: 'Active',
      totalTasks: 5_000,
      failedTaskShare: 0.6,
    });
    step(100_000); // 1,000 tasks: not over the threshold yet
    expect(job(created.id).status).toBe('Active');
    expect(job(created.id).progress).toEqual({ totalTasks: 5_000, succeededTasks: 400, failedTasks: 600 });
    step(100);
    expect(job(created.id).status).toBe('Failing');
    step(6_000);
    const failed = job(created.id);
    expect(failed.status).toBe('Failed');
    expect(failed.failureReasons.map((f) => f.code)).toEqual(['FailureRateExceeded']);
    expect(failed.terminationDate).toBeDefined();
    const described = parseXml((await h.call({ method: 'GET', path: `/jobs/${created.id}` })).text);
    expect(described.DescribeJobResult.Job.FailureReasons.JobFailure[0].FailureCode).toBe(
      'FailureRateExceeded',
    );
  });

  it('exactly 50% failed does not fail the job; a small job with many failures completes', () => {
    const half = h.emulator.store.createJob(REGION, jobInput(), {
      status: 'Active',
      totalTasks: 2_000,
      failedTaskShare: 0.5,
    });
    const small = h.emulator.store.createJob(REGION, jobInput(), {
      status: 'Active',
      totalTasks: 800,
      failedTaskShare: 0.9,
    });
    step(200_000);
    step(4_000);
    expect(job(half.id).status).toBe('Complete');
    expect(job(half.id).progress).toEqual({ totalTasks: 2_000, succeededTasks: 1_000, failedTasks: 1_000 });
    expect(job(small.id).status).toBe('Complete');
    expect(job(small.id).progress.failedTasks).toBe(720);
  });

  it('a job marked to fail fails when it would run, with every reason listed', async () => {
    const created = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    h.emulator.store.markToFail(REGION, created.id, [
      { code: 'AccessDenied', reason: 'role cannot read the manifest' },
      { code: 'NoSuchBucket', reason: 'target bucket is gone' },
    ]);
    expect(job(created.id).status).toBe('Suspended');
    expect(job(created.id).markedToFail).toBe(true);
    await h.call({
      method: 'POST',
      path: `/jobs/${created.id}/status`,
      query: { requestedJobStatus: 'Ready' },
    });
    step(3_000);
    expect(job(created.id).status).toBe('Failing');
    step(6_000);
    const described = parseXml((await h.call({ method: 'GET', path: `/jobs/${created.id}` })).text)
      .DescribeJobResult.Job;
    expect(described.Status).toBe('Failed');
    expect(described.FailureReasons.JobFailure).toEqual([
      { FailureCode: 'AccessDenied', FailureReason: 'role cannot read the manifest' },
      { FailureCode: 'NoSuchBucket', FailureReason: 'target bucket is gone' },
    ]);
  });

  it('setStatus acts behind the back: Paused waits, Active resumes where it stopped', () => {
    const created = h.emulator.store.createJob(REGION, jobInput(), { status: 'Active' });
    step(4_000);
    h.emulator.store.setStatus(REGION, created.id, 'Paused', 'pre-empted');
    step(60_000);
    expect(job(created.id)).toMatchObject({ status: 'Paused', statusUpdateReason: 'pre-empted' });
    expect(job(created.id).progress.succeededTasks).toBe(40);
    h.emulator.store.setStatus(REGION, created.id, 'Active');
    step(1_000);
    expect(job(created.id).progress.succeededTasks).toBe(50);
  });

  it('an unknown status set behind the back is served as-is and left alone by the lifecycle', async () => {
    const created = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    h.emulator.store.setStatus(REGION, created.id, 'Archiving');
    step(60_000);
    const described = parseXml((await h.call({ method: 'GET', path: `/jobs/${created.id}` })).text);
    expect(described.DescribeJobResult.Job.Status).toBe('Archiving');
  });

  it('setManifestEtag changes what DescribeJob reports', async () => {
    const created = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    h.emulator.store.setManifestEtag(REGION, created.id, 'ffffffffffffffffffffffffffffffff');
    const text = (await h.call({ method: 'GET', path: `/jobs/${created.id}` })).text;
    expect(text).toContain('<ETag>&quot;ffffffffffffffffffffffffffffffff&quot;</ETag>');
    expect(job(created.id).manifest?.location.etag).toBe('"ffffffffffffffffffffffffffffffff"');
  });

  it('autoAdvance runs tick() on its own timer', async () => {
    const auto = await startHarness({ lifecycle: { ...LIFE, tickMs: 5 }, autoAdvance: true });
    try {
      const created = auto.emulator.store.createJob(REGION, jobInput({ confirmationRequired: true }));
      auto.clock.advance(3_000);
      await vi.waitFor(
        () => expect(auto.emulator.store.getJob(REGION, created.id)?.status).toBe('Suspended'),
        {
          timeout: 5_000,
          interval: 5,
        },
      );
    } finally {
      await auto.close();
    }
  });
});
