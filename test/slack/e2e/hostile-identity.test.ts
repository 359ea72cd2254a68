/**
 * Issue 9, identity from Slack: the name written into COS `statusUpdateReason` and the audit comes from
 * users.info, never from the request payload; when Slack cannot say, only the user id is recorded.
 */
import { describe, expect, it } from 'vitest';
import { ALICE, BOB, useE2E } from './harness.js';

const { start } = useE2E();

describe('who acted comes from Slack, not from the payload', () => {
  it('a click whose payload claims another name is recorded under the name users.info gives', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    await e2e.click('cosjob_approve', { jobId }, { id: ALICE.id, name: 'The CEO' });
    await e2e.settled();

    expect(e2e.job(jobId).statusUpdateReason).toBe('approved by alice (UALICE) via Slack');
    const requested = (await e2e.auditEntries(jobId)).find((e) => e.action === 'approve_requested');
    expect(requested?.actor).toEqual({ id: ALICE.id, name: 'alice' });
    expect(JSON.stringify(await e2e.auditEntries(jobId))).not.toContain('The CEO');
  });

  it('the display name is preferred, control characters are dropped, and users.info is asked once per few minutes', async () => {
    const e2e = await start({ requiredApprovals: 2 });
    e2e.slack.setUser({ id: BOB.id, name: 'bob', displayName: 'Bob\u001b[31m B.\u202e' });
    const { jobId } = await e2e.pendingCard();
    const before = e2e.slack.callsTo('users.info').length;
    await e2e.click('cosjob_approve', { jobId }, { id: BOB.id, name: 'forged' });
    await e2e.click('cosjob_approve', { jobId }, { id: BOB.id, name: 'forged' });
    await e2e.settled();
    expect(e2e.slack.callsTo('users.info').length - before).toBe(1);
    const vote = (await e2e.auditEntries(jobId)).find((e) => e.action === 'approve_vote');
    expect(vote?.actor).toEqual({ id: BOB.id, name: 'Bob[31m B.' });
  });

  it('when users.info fails, only the user id is recorded', async () => {
    const e2e = await start();
    e2e.slack.failNext('users.info', { error: 'user_not_found' });
    const { jobId } = await e2e.pendingCard();
    await e2e.click('cosjob_approve', { jobId }, { id: ALICE.id, name: 'The CEO' });
    await e2e.settled();
    expect(e2e.job(jobId).statusUpdateReason).toBe('approved by UALICE (UALICE) via Slack');
    const approved = (await e2e.auditEntries(jobId)).find((e) => e.action === 'approved');
    expect(approved?.actor).toEqual({ id: ALICE.id, name: ALICE.id });
  });

  it('/cosjob approve records the directory name, not the user_name the command carried', async () => {
    const e2e = await start();
    const jobId = e2e.cos.createSuspendedJob(e2e.regions[0]);
    await e2e.command(`approve ${jobId} --region ${e2e.regions[0]}`, {
      id: ALICE.id,
      name: 'someone-else',
    });
    expect(e2e.job(jobId).statusUpdateReason).toBe('approved by alice (UALICE) via Slack');
  });
});
