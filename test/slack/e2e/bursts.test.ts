/**
 * Bursts: more than 5 new jobs in one discovery pass get digest messages (20 jobs each) before any card,
 * every digest row acts exactly like a card, and a decision taken anywhere updates the card and the row.
 */
import { describe, expect, it } from 'vitest';
import { approveValues } from '../../helpers/slack-messages.js';
import {
  ALICE,
  buttonsOf,
  CHANNEL,
  type E2E,
  isDigest,
  REGIONS,
  textOf,
  titleOf,
  useE2E,
} from './harness.js';

const { start } = useE2E();

/** The section of a digest that describes this job (its row's text). */
function rowText(message: { blocks?: unknown[] } | undefined, jobId: string): string {
  const row = ((message?.blocks ?? []) as { type?: string; text?: { text?: string } }[]).find(
    (block) => block.type === 'section' && block.text?.text?.includes(jobId),
  );
  return row?.text?.text ?? '';
}

function createJobs(e2e: E2E, count: number): string[] {
  return Array.from({ length: count }, () => e2e.cos.createSuspendedJob(REGIONS[0]));
}

describe('bursts of new jobs', () => {
  it('posts 60 new jobs as 3 digests of 20 first, each row actionable before its card exists; a decision there updates the digest and later the card', async () => {
    // Paced so the last cards come seconds after the digests: the click below lands before its card.
    const e2e = await start({ regions: [REGIONS[0]], postIntervalMs: 100 });
    const jobIds = createJobs(e2e, 60);

    const pass = e2e.runtime.engine.watcher.pollOnce();
    const digests = await e2e.slack.waitFor((slack) => {
      const found = slack.messages(CHANNEL).filter(isDigest);
      return found.length === 3 ? found : undefined;
    }, 10_000);
    await pass;

    // Digests first: the channel's first three messages, 20 rows each, every job on exactly one row.
    const top = e2e.slack.messages(CHANNEL);
    expect(top.slice(0, 3).every(isDigest)).toBe(true);
    expect(digests.map((d) => approveValues(d).length)).toEqual([20, 20, 20]);
    expect(digests.map((d) => buttonsOf(d).filter((id) => id === 'cosjob_cancel').length)).toEqual([
      20, 20, 20,
    ]);
    expect(digests.flatMap(approveValues).sort()).toEqual(jobIds.map((id) => `${REGIONS[0]}|${id}`).sort());

    // A job of the last digest, whose card is still dozens of messages away.
    const last = digests[2]!;
    const jobId = approveValues(last)[19]!.split('|')[1]!;
    expect(e2e.cardFor(jobId)).toBeUndefined();
    const response = await e2e.click('cosjob_approve', { jobId }, ALICE, { messageTs: last.ts });
    expect(response.status).toBe(200);
    expect(e2e.cardFor(jobId)).toBeUndefined();

    expect(e2e.job(jobId).status).toBe('Ready');
    expect(e2e.job(jobId).statusUpdateReason).toBe('approved by alice (UALICE) via Slack');
    expect(await e2e.auditActions(jobId)).toEqual(['approve_requested', 'approved']);
    // The digest now shows the outcome on that row, without its buttons; the other 19 rows keep theirs.
    const updated = e2e.slack.message(CHANNEL, last.ts);
    expect(updated?.updates).toBeGreaterThanOrEqual(1);
    expect(rowText(updated, jobId)).toContain('*Approved* by <@UALICE>');
    expect(approveValues(updated)).toHaveLength(19);
    expect(approveValues(updated)).not.toContain(`${REGIONS[0]}|${jobId}`);
    // The person who clicked is told privately, since no card carries the outcome yet.
    const told = e2e.slack.responses().map((r) => JSON.stringify(r.body));
    expect(told.some((body) => body.includes('Approved: COS now reports the job as Ready'))).toBe(true);

    await e2e.settled();
    // Every job gets its card after the digests; the approved one is posted already approved.
    const cards = e2e.cards();
    expect(cards).toHaveLength(60);
    const card = e2e.cardFor(jobId)!;
    expect(titleOf(card)).toBe('✅ COS batch job approved');
    expect(buttonsOf(card)).toEqual(['cosjob_audit']);
    const other = e2e.cardFor(jobIds.find((id) => id !== jobId)!)!;
    expect(buttonsOf(other)).toEqual(['cosjob_approve', 'cosjob_cancel', 'cosjob_audit']);
    // Its thread got the audit echo, once.
    expect(e2e.thread(card).map(textOf).join('\n')).toContain('approved the job');
    const record = await e2e.runtime.engine.jobRecord({
      account: 'default',
      region: REGIONS[0],
      jobId: jobId,
    });
    expect(record?.digest).toMatchObject({ channel: CHANNEL, ts: last.ts });
    expect(record?.digest?.jobs).toHaveLength(20);
  }, 60_000);

  it('5 new jobs get cards only', async () => {
    const e2e = await start();
    createJobs(e2e, 5);
    await e2e.poll();
    expect(e2e.digests()).toHaveLength(0);
    expect(e2e.cards()).toHaveLength(5);
  });

  it('6 new jobs get one digest of 6 rows, then their cards; a decision on a card updates its digest row', async () => {
    const e2e = await start();
    const jobIds = createJobs(e2e, 6);
    await e2e.poll();
    const top = e2e.slack.messages(CHANNEL);
    expect(top).toHaveLength(7);
    expect(isDigest(top[0]!)).toBe(true);
    const digest = top[0]!;
    expect(approveValues(digest)).toHaveLength(6);
    expect(e2e.cards()).toHaveLength(6);

    const jobId = jobIds[2]!;
    const card = e2e.cardFor(jobId)!;
    const response = await e2e.click('cosjob_approve', { jobId }, ALICE, { messageTs: card.ts });
    expect(response.status).toBe(200);
    await e2e.settled();

    expect(titleOf(e2e.slack.message(CHANNEL, card.ts))).toBe('✅ COS batch job approved');
    const updated = e2e.slack.message(CHANNEL, digest.ts);
    expect(rowText(updated, jobId)).toContain('*Approved* by <@UALICE>');
    expect(approveValues(updated)).toHaveLength(5);
  });

  it('Cancel on a digest row opens the same reason modal and cancels through the same path, updating the row', async () => {
    const e2e = await start();
    const jobIds = createJobs(e2e, 7);
    await e2e.poll();
    const digest = e2e.digests()[0]!;
    const jobId = jobIds[6]!;

    const response = await e2e.click('cosjob_cancel', { jobId }, ALICE, { messageTs: digest.ts });
    expect(response.status).toBe(200);
    const view = e2e.slack.callsTo('views.open')[0]!.params.view as { private_metadata: string };
    const submitted = await e2e.submitCancel(view.private_metadata, 'wrong manifest', ALICE);
    expect(submitted.status).toBe(200);
    await e2e.settled();

    expect(['Cancelling', 'Cancelled']).toContain(e2e.job(jobId).status);
    expect(e2e.job(jobId).statusUpdateReason).toContain('wrong manifest');
    expect(await e2e.auditActions(jobId)).toEqual(['posted', 'cancel_requested', 'cancelled']);
    const updated = e2e.slack.message(CHANNEL, digest.ts);
    expect(rowText(updated, jobId)).toContain('*Cancelled* by <@UALICE>');
    expect(approveValues(updated)).toHaveLength(6);
    expect(titleOf(e2e.slack.message(CHANNEL, e2e.cardFor(jobId)!.ts))).toBe('🛑 COS batch job cancelled');
  });
});
