/**
 * The waiting list the Home tab shows (engine.waitingJobs → readWaitingJobs), read in batches of 100 on a
 * real redis-server: more followed jobs than one batch, decided and damaged ones among them.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/cos/model.js';
import { type JobRef, jobRefKey } from '../../src/jobs/job-ref.js';
import { copyJobInput, REGIONS } from '../helpers/cos-fixture.js';
import { actor, type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { useRedis } from '../helpers/redis.js';

const REGION = REGIONS[0];
const redisCtx = useRedis();
// Two approvals, so a job can hold a vote and still wait.
const stack = useEngineStack(redisCtx, { requiredApprovals: 2 });

interface Followed {
  fx: EngineFixture;
  /** Every job that should be listed as waiting, by JobId. */
  waiting: string[];
  /** Waiting jobs made from one COS job's description, by index (JobIds sort by index). */
  bulk: JobRef[];
  voted: JobRef;
}

/**
 * `bulk` followed jobs that wait (records copied from one described job, so COS is asked once), and
 * beside them: a job with a vote, a decided one, one COS reports Ready, one with a damaged record, one with
 * a damaged decision, a member of an account cosjob does not serve, and a member without a record.
 */
async function followed(bulkCount: number): Promise<Followed & { damagedRecord: JobRef }> {
  const fx = await stack.engine();
  const now = stack.cos.clock.now();
  const at = { account: 'default', region: REGION };
  // Named so they sort after the bulk ones: the batches each test looks at hold only bulk jobs.
  const describe = async (id: string): Promise<Job> => {
    stack.cos.emulator.store.createJob(REGION, copyJobInput(), { status: 'Suspended', totalTasks: 1200, id });
    return stack.cos.clients.get(REGION)!.describeJob(id);
  };
  const template = await describe('real-template');
  const bulk: JobRef[] = [];
  for (let i = 0; i < bulkCount; i += 1) {
    const job = { ...template, id: `bulk-${String(i).padStart(4, '0')}` };
    expect(await fx.records.createIfAbsent(at, job, now)).toBe(true);
    bulk.push({ ...at, jobId: job.id });
  }
  const real = async (id: string): Promise<JobRef> => {
    const job = await describe(id);
    expect(await fx.records.createIfAbsent(at, job, now)).toBe(true);
    return { ...at, jobId: job.id };
  };
  const decide = (ref: JobRef, by: string) =>
    fx.engine.decide({ ...ref, action: 'approve', actor: actor(by), source: 'slack-button' });

  const voted = await real('real-voted');
  expect((await decide(voted, 'UALICE')).kind).toBe('vote_recorded');
  const decided = await real('real-decided');
  expect((await decide(decided, 'UALICE')).kind).toBe('vote_recorded');
  expect((await decide(decided, 'UBOB')).kind).toBe('approved');
  const ready = { ...template, id: 'ready-0001', status: 'Ready' as const };
  expect(await fx.records.createIfAbsent(at, ready, now)).toBe(true);
  const damagedRecord = bulk[150]!;
  await fx.redis.hset(fx.keys.jobRecord(damagedRecord), 'job', '{not json');
  const damagedDecision = bulk[60]!;
  await fx.redis.set(fx.keys.jobDecision(damagedDecision), '{not json');
  // A record of an account this installation does not serve (another deployment's, on a shared Redis).
  const foreign = { ...template, id: 'foreign-0001' };
  expect(await fx.records.createIfAbsent({ account: 'acme', region: REGION }, foreign, now)).toBe(true);
  await fx.redis.sadd(fx.keys.tracked(), `${REGION}|no-record-0001`);

  const excluded = new Set([damagedRecord.jobId, damagedDecision.jobId]);
  const waiting = [...bulk.filter((ref) => !excluded.has(ref.jobId)).map((ref) => ref.jobId), voted.jobId];
  return { fx, waiting: waiting.sort(), bulk, voted, damagedRecord };
}

describe('engine.waitingJobs', () => {
  it('lists every waiting job across batches, leaves out decided, ended, foreign and missing ones, counts the damaged', async () => {
    const { fx, waiting, voted } = await followed(230);
    const read = await fx.engine.waitingJobs();
    // 230 bulk + voted + decided + ready + two members without a record of this installation.
    expect(read.tracked).toBe(230 + 5);
    expect(read.unread).toBe(0);
    expect(read.unreadable).toBe(1);
    expect(read.jobs.map((job) => job.record.jobId)).toEqual(waiting);
    const votedRow = read.jobs.find((job) => job.record.jobId === voted.jobId);
    expect(votedRow).toMatchObject({ voterIds: ['UALICE'], requiredApprovals: 2 });
    expect(read.jobs.every((job) => job.requiredApprovals === 2)).toBe(true);
    expect(read.jobs.filter((job) => job.voterIds.length > 0)).toHaveLength(1);
  });

  it('reads no more than maxRead followed jobs, in member order, and says how many it left', async () => {
    const { fx, bulk } = await followed(230);
    const read = await fx.engine.waitingJobs(120);
    expect(read.unread).toBe(235 - 120);
    // Members sort by their key text: the bulk ones (`<region>|bulk-…`) come after `acme|…` only.
    const members = [...(await fx.records.tracked())].sort().slice(0, 120);
    expect(members[0]).toBe(`acme|${REGION}|foreign-0001`);
    expect(members.at(-1)).toBe(`${REGION}|bulk-0118`);
    const expected = bulk
      .filter((ref) => members.includes(jobRefKey(ref)) && ref.jobId !== 'bulk-0060')
      .map((ref) => ref.jobId);
    expect(read.jobs.map((job) => job.record.jobId)).toEqual(expected);
    expect(read.unreadable).toBe(0);
  });

  it('a batch whose decisions cannot be read counts as unreadable; the other batches are still listed', async () => {
    const { fx, waiting } = await followed(230);
    const members = [...(await fx.records.tracked())].sort();
    // A waiting job of the second batch (members 100–199) whose votes key is not a set.
    const broken = members[130]!;
    expect(broken).toMatch(/\|bulk-/);
    const jobId = broken.split('|').at(-1)!;
    await fx.redis.set(fx.keys.jobVotes({ account: 'default', region: REGION, jobId }), 'not a set');

    const read = await fx.engine.waitingJobs();
    const secondBatch = new Set(members.slice(100, 200).map((member) => member.split('|').at(-1)));
    const listed = waiting.filter((id) => !secondBatch.has(id));
    expect(read.jobs.map((job) => job.record.jobId)).toEqual(listed);
    // Every waiting job of that batch (99 bulk jobs), and the damaged record, count as unreadable.
    const waitingInBatch = waiting.filter((id) => secondBatch.has(id)).length;
    expect(waitingInBatch).toBe(99);
    expect(read.unreadable).toBe(waitingInBatch + 1);
    expect(read.jobs.length + waitingInBatch).toBe(waiting.length);
  });
});
