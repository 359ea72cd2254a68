/** What the watcher sees reaches the card and its thread: progress, the end, outside changes, reminders, expiry. */
import { describe, expect, it } from 'vitest';
import { ALICE, buttonsOf, type E2E, REGIONS, textOf, titleOf, useE2E } from './harness.js';

const { start } = useE2E();

/** Moves the emulator's clock and jobs forward and polls until `done` (at most `rounds` polls). */
async function runUntil(e2e: E2E, done: () => boolean, stepMs = 5_000, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds && !done(); i += 1) {
    e2e.cos.clock.advance(stepMs);
    e2e.cos.emulator.tick();
    await e2e.poll();
  }
  expect(done()).toBe(true);
}

describe('watcher updates in Slack', () => {
  it('posts progress in the thread and a finished summary, and the card ends finished', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();

    await runUntil(e2e, () => e2e.job(jobId).status === 'Complete');
    await e2e.poll();

    const replies = e2e.thread(card).map(textOf);
    const progress = replies.filter((r) => r.includes('⏳ Job'));
    expect(progress.some((r) => r.includes('*Active*'))).toBe(true);
    const summaries = replies.filter((r) => r.includes('🏁 Complete'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toContain('1,200 tasks (1,200 succeeded, 0 failed)');
    // The summary comes last, after every progress reply.
    expect(replies.at(-1)).toContain('🏁 Complete');
    const final = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(titleOf(final)).toBe('🏁 COS batch job finished: Complete');
    expect(buttonsOf(final)).toEqual(['cosjob_audit']);
    expect(await e2e.auditActions(jobId)).toContain('finished');
  });

  it('names every failure reason of a failed job in the summary', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    e2e.cos.emulator.store.markToFail(REGIONS[0], jobId, [
      { code: 'ManifestNotFound', reason: 'manifest list.csv is missing' },
      { code: 'AccessDenied', reason: 'the role cannot read the source bucket' },
    ]);
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();

    await runUntil(e2e, () => e2e.job(jobId).status === 'Failed');
    await e2e.poll();

    const summary = e2e
      .thread(card)
      .map(textOf)
      .find((r) => r.includes('❌ Failed'));
    expect(summary).toBeDefined();
    expect(summary).toContain('Failure reasons (2)');
    expect(summary).toContain('ManifestNotFound');
    expect(summary).toContain('manifest list.csv is missing');
    expect(summary).toContain('AccessDenied');
    expect(summary).toContain('the role cannot read the source bucket');
    const final = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(titleOf(final)).toBe('🏁 COS batch job finished: Failed');
    expect(textOf(final)).toContain('ManifestNotFound');
  });

  it('says when the job was confirmed outside Slack, and removes the buttons', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    e2e.cos.emulator.store.setStatus(REGIONS[0], jobId, 'Ready', 'confirmed in the COS console');
    await e2e.poll();

    const final = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(titleOf(final)).toBe('↪️ COS batch job changed outside Slack');
    expect(buttonsOf(final)).toEqual(['cosjob_audit']);
    const replies = e2e.thread(card).map(textOf);
    expect(replies.filter((r) => r.includes('changed outside Slack'))).toHaveLength(1);
    const entries = await e2e.auditEntries(jobId);
    const outside = entries.find((e) => e.action === 'changed_outside');
    expect(outside?.reason).toBe('confirmed in the COS console');
    expect(e2e.statusUpdates()).toHaveLength(0);

    // Seen once: later polls do not say it again.
    await e2e.poll();
    expect(
      e2e
        .thread(card)
        .map(textOf)
        .filter((r) => r.includes('changed outside Slack')),
    ).toHaveLength(1);
  });

  it('reminds the approvers by mention once the job has waited long enough', async () => {
    const e2e = await start({ engine: { remindAfterMs: 30 * 60_000 } });
    const { jobId, card } = await e2e.pendingCard();
    e2e.cos.clock.advance(29 * 60_000);
    await e2e.poll();
    expect(e2e.thread(card)).toHaveLength(0);

    e2e.cos.clock.advance(2 * 60_000);
    await e2e.poll();
    const replies = e2e.thread(card).map(textOf);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('🔔');
    expect(replies[0]).toContain('<@UALICE>');
    expect(replies[0]).toContain('<@UBOB>');
    expect(replies[0]).toContain('31 minutes');
    expect(await e2e.auditActions(jobId)).toEqual(['posted', 'reminded']);
  });

  it('auto-cancels an expired request, says so in the thread and shows the card expired', async () => {
    const e2e = await start({ autoCancelAfterHours: 1 });
    const { jobId, card } = await e2e.pendingCard();
    e2e.cos.clock.advance(61 * 60_000);
    await e2e.poll();

    const job = e2e.job(jobId);
    expect(['Cancelling', 'Cancelled']).toContain(job.status);
    expect(job.statusUpdateReason).toBe(
      'cancelled by cosjob (system) via cosjob: expired: not approved within 1 h',
    );
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    const final = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(titleOf(final)).toBe('⌛ COS batch job approval request expired');
    expect(buttonsOf(final)).toEqual(['cosjob_audit']);
    expect(
      e2e
        .thread(card)
        .map(textOf)
        .some((r) => r.includes('⌛ No decision within 1 hour')),
    ).toBe(true);
    expect(await e2e.auditActions(jobId)).toEqual(
      expect.arrayContaining(['cancel_requested', 'cancelled', 'expired']),
    );

    // Once cancelled, the card stays expired (not "finished") and nothing is cancelled twice.
    await runUntil(e2e, () => e2e.job(jobId).status === 'Cancelled');
    await e2e.poll();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(titleOf(e2e.slack.message(e2e.config.slack.channelId, card.ts))).toBe(
      '⌛ COS batch job approval request expired',
    );
  });
});
