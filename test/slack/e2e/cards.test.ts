/** Cards appear once per job (across polls and replicas) and the audit button answers in the thread. */
import { describe, expect, it } from 'vitest';
import { ALICE, buttonsOf, CHANNEL, REGIONS, textOf, titleOf, useE2E } from './harness.js';

const { start } = useE2E();

describe('job cards', () => {
  it('posts a pending job once, with Approve and Cancel, and records the card and a posted entry', async () => {
    const e2e = await start();
    const jobId = e2e.cos.createSuspendedJob(REGIONS[0]);
    await e2e.poll();

    const cards = e2e.cards();
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(titleOf(card)).toBe('🗂️ COS batch job awaiting approval');
    expect(buttonsOf(card)).toEqual(['cosjob_approve', 'cosjob_cancel', 'cosjob_audit']);
    expect(textOf(card)).toContain(jobId);
    expect(e2e.slack.callsTo('chat.postMessage')[0]?.params.metadata).toEqual({
      event_type: 'cosjob_card',
      event_payload: { region: REGIONS[0], job_id: jobId },
    });
    const record = await e2e.runtime.engine.jobRecord({
      account: 'default',
      region: REGIONS[0],
      jobId: jobId,
    });
    expect(record?.card).toEqual({ channel: CHANNEL, ts: card.ts });
    const entries = await e2e.auditEntries(jobId);
    expect(entries.map((e) => e.action)).toEqual(['posted']);
    expect(entries[0]?.outcome).toBe(`card ${CHANNEL}/${card.ts}`);
  });

  it('does not post the card again on a second poll, nor from a replica that takes over', async () => {
    const first = await start();
    const jobId = first.cos.createSuspendedJob(REGIONS[1]);
    await first.poll();
    await first.poll();
    expect(first.cards()).toHaveLength(1);

    // The replica starts while the first one still leads, then takes over after it stops.
    const second = await start({ shareWith: first });
    await second.poll();
    await first.stopRuntime();
    await second.poll();
    await second.poll();

    expect(
      first.slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === undefined),
    ).toHaveLength(1);
    expect(await second.auditActions(jobId, REGIONS[1])).toEqual(['posted']);
    // The new leader did look at COS, so the test would have seen a duplicate.
    expect(second.cos.emulator.stats.requests.ListJobs).toBeGreaterThanOrEqual(6);
  });

  it('posts one card per job, in each region', async () => {
    const e2e = await start();
    const ids = [
      e2e.cos.createSuspendedJob(REGIONS[0]),
      e2e.cos.createSuspendedJob(REGIONS[0]),
      e2e.cos.createSuspendedJob(REGIONS[1]),
    ];
    await e2e.poll();
    expect(e2e.cards()).toHaveLength(3);
    for (const id of ids) expect(e2e.cardFor(id)).toBeDefined();
  });

  it('"View audit trail" replies in the card thread with the trail and its verification', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    const response = await e2e.click('cosjob_audit', { jobId }, ALICE);
    expect(response.status).toBe(200);
    await e2e.settled();

    const replies = e2e.thread(card);
    expect(replies).toHaveLength(1);
    const trail = textOf(replies[0]);
    expect(trail).toContain(`Audit trail for job ${jobId} (${REGIONS[0]})`);
    expect(trail).toContain('✅ Hash chain verified: 1 entry intact');
    expect(trail).toContain('posted the job for approval');
    expect(e2e.slack.ephemerals()).toHaveLength(0);
    // Reading the trail is not an act: nothing was appended and COS was not asked to change anything.
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
    expect(e2e.statusUpdates()).toHaveLength(0);
  });

  it('never writes the bot token, signing secret or COS secret key to its logs', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    const logs = e2e.logLines.join('\n');
    expect(logs).not.toContain(e2e.config.slack.botToken);
    expect(logs).not.toContain(e2e.config.slack.signingSecret);
    expect(logs).not.toContain(e2e.config.accounts[0]!.credentials.secretKey);
  });
});
