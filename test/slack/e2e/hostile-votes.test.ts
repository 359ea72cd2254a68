/**
 * Issue 9, N-of-M votes re-validated when the decision is taken: a vote is only counted for the job the
 * card showed, and when the Nth vote arrives only votes of people the current policy accepts count.
 */
import { describe, expect, it } from 'vitest';
import { KeySpace } from '../../../src/redis/keys.js';
import { ALICE, BOB, CHANNEL, textOf, titleOf, useE2E } from './harness.js';

const { start } = useE2E();
const CAROL = { id: 'UCAROL', name: 'carol' };
const GROUP = 'S0APPROVERS';

describe('N-of-M votes are re-validated', () => {
  it('a vote for a job whose manifest ETag changed after the card was posted is refused and not counted', async () => {
    const e2e = await start({ requiredApprovals: 2 });
    const { jobId } = await e2e.pendingCard();
    const region = e2e.regions[0]!;
    e2e.cos.emulator.store.setManifestEtag(
      { uin: e2e.config.accounts[0]!.uin, region },
      jobId,
      '"ffffffffffffffffffffffffffffffff"',
    );

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();

    const votes = await e2e.runtime.redis.smembers(
      new KeySpace(e2e.config.redis.keyPrefix).jobVotes({ account: 'default', region, jobId }),
    );
    expect(votes).toEqual([]);
    const entries = await e2e.auditEntries(jobId);
    expect(entries.map((e) => e.action)).toEqual(['posted', 'denied']);
    expect(entries[1]?.reason).toMatch(/changed since it was posted/);
    expect(textOf(e2e.slack.ephemerals()[0])).toMatch(/changed since it was posted/);
    expect(e2e.statusUpdates()).toHaveLength(0);
  });

  it('at the Nth vote, the vote of someone since removed from the approver group is dropped and audited; the job waits for another approver', async () => {
    const e2e = await start({ requiredApprovals: 2, approverUsergroupIds: [GROUP] });
    e2e.slack.setUser(CAROL);
    e2e.slack.setUsergroup(GROUP, [CAROL.id]);
    const { jobId, card } = await e2e.pendingCard();
    const region = e2e.regions[0]!;

    await e2e.click('cosjob_approve', { jobId }, CAROL);
    await e2e.settled();
    expect(await e2e.auditActions(jobId)).toEqual(['posted', 'approve_vote']);

    // Carol leaves the group; the policy's cached membership expires.
    e2e.slack.setUsergroup(GROUP, []);
    e2e.cos.clock.advance(61_000);

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(e2e.statusUpdates()).toHaveLength(0);
    const entries = await e2e.auditEntries(jobId);
    const dropped = entries.find((e) => e.action === 'approve_vote' && e.outcome === 'dropped');
    expect(dropped?.actor.id).toBe(CAROL.id);
    expect(dropped?.reason).toContain('not an approver now');
    const keys = new KeySpace(e2e.config.redis.keyPrefix);
    expect(
      await e2e.runtime.redis.smembers(keys.jobVotes({ account: 'default', region: region, jobId: jobId })),
    ).toEqual([ALICE.id]);
    expect(titleOf(e2e.slack.message(CHANNEL, card.ts))).not.toBe('✅ COS batch job approved');

    // A second current approver completes it, and the decision names only current approvers.
    await e2e.click('cosjob_approve', { jobId }, BOB);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId).map((u) => u.requested)).toEqual(['Ready']);
    const decision = JSON.parse(
      (await e2e.runtime.redis.get(keys.jobDecision({ account: 'default', region: region, jobId: jobId })))!,
    ) as {
      approverIds: string[];
    };
    expect(decision.approverIds.sort()).toEqual([ALICE.id, BOB.id]);
  });
});
