/** Approve from a card: the happy path, refusals, double clicks and redelivered requests. */
import { describe, expect, it } from 'vitest';
import { ALICE, BOB, buttonsOf, MALLORY, textOf, titleOf, updatesOf, useE2E } from './harness.js';

const { start } = useE2E();

describe('Approve button', () => {
  it('starts the job in COS, shows progress then the approved card, and echoes the audit in the thread', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();

    const response = await e2e.click('cosjob_approve', { jobId }, ALICE);
    expect(response.status).toBe(200);
    await e2e.settled();

    const job = e2e.job(jobId);
    expect(job.status).toBe('Ready');
    expect(job.statusUpdateReason).toBe('approved by alice (UALICE) via Slack');
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);

    const updates = updatesOf(e2e.slack, card.ts);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(titleOf(updates[0])).toBe('⏳ COS batch job: approving…');
    expect(textOf(updates[0])).toContain('<@UALICE> is approving this job');
    // While COS is being asked, the buttons are gone so nobody clicks twice.
    expect(buttonsOf(updates[0])).toEqual(['cosjob_audit']);
    const final = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(titleOf(final)).toBe('✅ COS batch job approved');
    expect(textOf(final)).toContain('*Approved* by <@UALICE>');
    expect(buttonsOf(final)).toEqual(['cosjob_audit']);

    const actions = await e2e.auditActions(jobId);
    expect(actions).toEqual(['posted', 'approve_requested', 'approved']);
    const replies = e2e.thread(card);
    expect(replies).toHaveLength(1);
    const echo = textOf(replies[0]);
    expect(echo).toContain('asked COS to start the job');
    expect(echo).toContain('approved the job');
    expect(echo).toContain('#2');
    expect(echo).toContain('#3');
    // The card says it all: no ephemeral on success.
    expect(e2e.slack.ephemerals()).toHaveLength(0);
  });

  it('refuses a non-approver, says why and what to do, audits the denial and never shows progress', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();

    const response = await e2e.click('cosjob_approve', { jobId }, MALLORY);
    expect(response.status).toBe(200);
    await e2e.settled();

    const ephemerals = e2e.slack.ephemerals();
    expect(ephemerals).toHaveLength(1);
    expect(ephemerals[0]?.user).toBe(MALLORY.id);
    const refusal = textOf(ephemerals[0]);
    expect(refusal).toContain('not done');
    expect(refusal).toContain('not an approver');
    expect(refusal).toContain('*What to do:*');
    expect(refusal).toContain('APPROVER_USER_IDS');

    const typed = await e2e.command(`approve ${jobId}`, MALLORY);
    expect(typed.status).toBe(200);
    expect(typed.responses).toHaveLength(1);
    expect(typed.responses[0]?.response_type).toBe('ephemeral');
    expect(textOf(typed.responses[0])).toContain('not an approver');

    expect(e2e.job(jobId).status).toBe('Suspended');
    expect(e2e.statusUpdates()).toHaveLength(0);
    const entries = await e2e.auditEntries(jobId);
    expect(entries.map((e) => e.action)).toEqual(['posted', 'denied', 'denied']);
    expect(entries.filter((e) => e.action === 'denied').map((e) => e.actor.id)).toEqual([
      MALLORY.id,
      MALLORY.id,
    ]);
    expect(updatesOf(e2e.slack, card.ts).some((u) => titleOf(u).includes('⏳'))).toBe(false);
    expect(titleOf(e2e.cardFor(jobId))).toBe('🗂️ COS batch job awaiting approval');
  });

  it('sends exactly one UpdateJobStatus when two approvers double-click at the same moment', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();

    const responses = await Promise.all([
      e2e.click('cosjob_approve', { jobId }, ALICE),
      e2e.click('cosjob_approve', { jobId }, ALICE),
      e2e.click('cosjob_approve', { jobId }, BOB),
      e2e.click('cosjob_approve', { jobId }, BOB),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await e2e.settled();

    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(e2e.job(jobId).status).toBe('Ready');
    const actions = await e2e.auditActions(jobId);
    expect(actions.filter((a) => a === 'approve_requested')).toHaveLength(1);
    expect(actions.filter((a) => a === 'approved')).toHaveLength(1);
    const final = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(titleOf(final)).toBe('✅ COS batch job approved');
    expect(buttonsOf(final)).toEqual(['cosjob_audit']);
    // The three that lost were told so, each naming who acts or acted.
    const told = e2e.slack.ephemerals();
    expect(told).toHaveLength(3);
    for (const message of told) expect(textOf(message)).toMatch(/already (approving|approved)/);
  });

  it('ignores a redelivered click (x-slack-retry-num) without a second COS call or a card flicker', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    const payload = e2e.clickPayload('cosjob_approve', { jobId }, ALICE);

    expect((await e2e.deliver(payload)).status).toBe(200);
    await e2e.settled();
    const updatesBefore = updatesOf(e2e.slack, card.ts).length;
    const retried = await e2e.deliver(payload, {
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(retried.status).toBe(200);
    await e2e.settled();

    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect((await e2e.auditActions(jobId)).filter((a) => a === 'approved')).toHaveLength(1);
    const later = updatesOf(e2e.slack, card.ts).slice(updatesBefore);
    expect(later.every((u) => titleOf(u) === '✅ COS batch job approved')).toBe(true);
    expect(titleOf(e2e.slack.message(e2e.config.slack.channelId, card.ts))).toBe('✅ COS batch job approved');
  });

  it('with two approvals required, the first click records a vote and the second starts the job', async () => {
    const e2e = await start({ requiredApprovals: 2 });
    const { jobId, card } = await e2e.pendingCard();

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);
    const afterVote = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(textOf(afterVote)).toContain('1 of 2 approvals: <@UALICE>');
    expect(buttonsOf(afterVote)).toContain('cosjob_approve');
    expect(textOf(e2e.slack.ephemerals()[0])).toContain('Approval recorded: 1 of 2');

    await e2e.click('cosjob_approve', { jobId }, BOB);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(e2e.job(jobId).statusUpdateReason).toBe('approved by bob (UBOB) via Slack');
    expect(textOf(e2e.slack.message(e2e.config.slack.channelId, card.ts))).toMatch(
      /Approved\* by (<@UALICE> and <@UBOB>|<@UBOB> and <@UALICE>|<@UALICE>, <@UBOB>|<@UBOB>, <@UALICE>)/,
    );
  });
});
