/**
 * engine.cardStates (a digest's rows, read in two batched reads) against cardState job by job, on a real
 * redis-server: the same answer for every kind of job, in the order asked, and the same failures.
 */
import { describe, expect, it } from 'vitest';
import type { JobRef } from '../../src/jobs/job-ref.js';
import { REGIONS } from '../helpers/cos-fixture.js';
import { actor, type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { useRedis } from '../helpers/redis.js';

const redisCtx = useRedis();
// Three approvals, so a job can hold several votes without being decided.
const stack = useEngineStack(redisCtx, { requiredApprovals: 3 });

/** A Suspended job with a record, as the watcher leaves it once it has announced the job. */
async function announced(fx: EngineFixture, region: string = REGIONS[0]): Promise<JobRef> {
  const jobId = stack.cos.createSuspendedJob(region);
  const job = await stack.cos.clients.get(region)!.describeJob(jobId);
  expect(await fx.records.createIfAbsent({ account: 'default', region }, job, stack.cos.clock.now())).toBe(
    true,
  );
  return { account: 'default', region, jobId };
}

async function approve(fx: EngineFixture, ref: JobRef, by: string): Promise<string> {
  const outcome = await fx.engine.decide({
    ...ref,
    action: 'approve',
    actor: actor(by),
    source: 'slack-button',
  });
  return outcome.kind;
}

/** Every kind of row a digest can have, and the order they are asked in. */
async function mixedJobs(fx: EngineFixture) {
  const waiting = await announced(fx);
  const noRecord: JobRef = { account: 'default', region: REGIONS[0], jobId: stack.cos.createSuspendedJob() };
  const decided = await announced(fx);
  expect(await approve(fx, decided, 'UALICE')).toBe('vote_recorded');
  expect(await approve(fx, decided, 'UBOB')).toBe('vote_recorded');
  expect(await approve(fx, decided, 'UDAVE')).toBe('approved');
  const voted = await announced(fx, REGIONS[1]);
  expect(await approve(fx, voted, 'UCAROL')).toBe('vote_recorded');
  expect(await approve(fx, voted, 'UDAVE')).toBe('vote_recorded');
  const damaged = await announced(fx);
  await fx.redis.set(fx.keys.jobDecision(damaged), '{not json');
  const wrongShape = await announced(fx);
  await fx.redis.set(fx.keys.jobDecision(wrongShape), JSON.stringify({ action: 7, actor: 'UALICE' }));
  return { waiting, noRecord, decided, voted, damaged, wrongShape };
}

describe('engine.cardStates', () => {
  it('equals cardState for each job, in request order: no record, waiting, decided, voted, damaged decision', async () => {
    const fx = await stack.engine();
    const jobs = await mixedJobs(fx);
    const refs = [
      jobs.voted,
      jobs.noRecord,
      jobs.decided,
      jobs.damaged,
      jobs.waiting,
      jobs.wrongShape,
      // The same job twice, as two rows would ask for it.
      jobs.voted,
    ];
    const one = await Promise.all(refs.map((ref) => fx.engine.cardState(ref)));
    const batched = await fx.engine.cardStates(refs);
    expect(batched).toEqual(one);

    // And the answer is the right one, not merely the same.
    expect(batched.map((state) => state?.record.jobId)).toEqual([
      jobs.voted.jobId,
      undefined,
      jobs.decided.jobId,
      jobs.damaged.jobId,
      jobs.waiting.jobId,
      jobs.wrongShape.jobId,
      jobs.voted.jobId,
    ]);
    const [voted, , decided, damaged, waiting, wrongShape] = batched;
    expect(voted).toMatchObject({ decision: undefined, requiredApprovals: 3 });
    expect([...(voted?.voterIds ?? [])].sort()).toEqual(['UCAROL', 'UDAVE']);
    expect(voted?.record.region).toBe(REGIONS[1]);
    expect(decided?.decision).toMatchObject({ action: 'approve', actor: { id: 'UDAVE' } });
    expect([...(decided?.decision?.approverIds ?? [])].sort()).toEqual(['UALICE', 'UBOB', 'UDAVE']);
    // Once decided the votes are spent: the decision names the approvers.
    expect(decided?.voterIds).toEqual([]);
    expect(waiting).toMatchObject({ decision: undefined, voterIds: [], requiredApprovals: 3 });
    expect(waiting?.rule.rule.requires.approvals).toBe(3);
    // A decision that cannot be read still means decided: no buttons come back for it.
    for (const state of [damaged, wrongShape]) {
      expect(state?.decision).toMatchObject({ action: 'approve', actor: { id: 'unknown' } });
      expect(state?.voterIds).toEqual([]);
    }
  });

  it('answers an empty list with an empty list', async () => {
    const fx = await stack.engine();
    expect(await fx.engine.cardStates([])).toEqual([]);
  });

  it('fails as cardState fails when a read fails: a damaged record, a key of the wrong type', async () => {
    const fx = await stack.engine();
    const good = await announced(fx);
    const damagedRecord = await announced(fx);
    await fx.redis.hset(fx.keys.jobRecord(damagedRecord), 'job', '{not json');
    await expect(fx.engine.cardState(damagedRecord)).rejects.toThrow();
    await expect(fx.engine.cardStates([good, damagedRecord])).rejects.toThrow();

    const wrongType = await announced(fx);
    await fx.redis.set(fx.keys.jobVotes(wrongType), 'not a set');
    await expect(fx.engine.cardState(wrongType)).rejects.toThrow(/WRONGTYPE/);
    await expect(fx.engine.cardStates([good, wrongType])).rejects.toThrow(/WRONGTYPE/);

    // The good job alone still reads.
    expect(await fx.engine.cardStates([good])).toEqual([await fx.engine.cardState(good)]);
  });
});
