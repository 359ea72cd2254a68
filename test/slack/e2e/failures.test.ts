/** When COS or Redis fails during a click, the person is told what happened and the card tells the truth. */
import { describe, expect, it } from 'vitest';
import { redisTestsUseExternalServer } from '../../helpers/redis.js';
import { ALICE, buttonsOf, CHANNEL, textOf, titleOf, useE2E } from './harness.js';

const { start, redis } = useE2E();

describe('failures during a decision', () => {
  it('COS fails the update without applying it: the card is pending again and the clicker learns why', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    e2e.cos.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'status5xx', statusCode: 503, times: 1 });

    const response = await e2e.click('cosjob_approve', { jobId }, ALICE);
    expect(response.status).toBe(200);
    await e2e.settled();

    expect(e2e.job(jobId).status).toBe('Suspended');
    const final = e2e.slack.message(CHANNEL, card.ts);
    expect(titleOf(final)).toBe('🗂️ COS batch job awaiting approval');
    expect(buttonsOf(final)).toEqual(['cosjob_approve', 'cosjob_cancel', 'cosjob_audit']);
    const told = e2e.slack.ephemerals();
    expect(told).toHaveLength(1);
    expect(told[0]?.user).toBe(ALICE.id);
    const text = textOf(told[0]);
    expect(text).toContain('not done');
    expect(text).toContain('*What to do:*');
    expect(text).toMatch(/COS error code/);
    const actions = await e2e.auditActions(jobId);
    expect(actions).toEqual(['posted', 'approve_requested', 'failed']);

    // Nothing is stuck: a second click goes through.
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(e2e.job(jobId).status).toBe('Ready');
    expect(titleOf(e2e.slack.message(CHANNEL, card.ts))).toBe('✅ COS batch job approved');
  });

  it('COS applies the update but the answer is lost: cosjob reads the job back and reports it approved', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    e2e.cos.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'status5xx', afterEffect: true, times: 1 });

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();

    expect(e2e.job(jobId).status).toBe('Ready');
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(titleOf(e2e.slack.message(CHANNEL, card.ts))).toBe('✅ COS batch job approved');
    const approved = (await e2e.auditEntries(jobId)).find((e) => e.action === 'approved');
    expect(approved?.outcome).toBe('applied (confirmed by DescribeJob)');
    expect(e2e.slack.ephemerals()).toHaveLength(0);
  });

  it('Slack cannot update the card: the decision still goes through and the thread still records it', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    e2e.slack.failNext('chat.update', { error: 'cant_update_message' }, 2);

    const response = await e2e.click('cosjob_approve', { jobId }, ALICE);
    expect(response.status).toBe(200);
    await e2e.settled();
    expect(e2e.job(jobId).status).toBe('Ready');
    expect(e2e.thread(card).map(textOf).join('\n')).toContain('approved the job');
  });

  // Kills this file's own redis-server, so it cannot run against a shared REDIS_URL.
  it.skipIf(redisTestsUseExternalServer())(
    'Redis is down: nothing is sent to COS and the clicker is told to try again',
    async () => {
      const e2e = await start();
      const { jobId } = await e2e.pendingCard();
      await redis.server!.kill();
      try {
        const response = await e2e.click('cosjob_approve', { jobId }, ALICE);
        expect(response.status).toBe(200);
        await e2e.settled();
        expect(e2e.statusUpdates()).toHaveLength(0);
        expect(e2e.job(jobId).status).toBe('Suspended');
        const told = e2e.slack.ephemerals().map(textOf).join('\n');
        expect(told).toContain('Redis store is unavailable');
        expect(told).toContain('nothing was sent to COS');
      } finally {
        await redis.server!.restart();
      }
    },
  );
});
