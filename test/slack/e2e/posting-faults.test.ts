/**
 * Slack failures while posting a card: a 429 delays it, an ambiguous 500 is checked against the
 * channel history, and in every case the card appears exactly once and its ts is recorded.
 * These tests wait through the poster's real back-off (Retry-After 1 s; 2 s after a 500).
 */
import { describe, expect, it } from 'vitest';
import { ALICE, CHANNEL, type E2E, REGIONS, textOf, useE2E } from './harness.js';

const { start } = useE2E();

function topLevelPosts(e2e: E2E) {
  return e2e.slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === undefined);
}

describe('posting cards through Slack failures', () => {
  it('waits out a 429 and posts the card once', async () => {
    const e2e = await start();
    e2e.slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    const jobId = e2e.cos.createSuspendedJob(REGIONS[0]);
    await e2e.runtime.engine.watcher.pollOnce();
    // Queued, not lost: the card is still owed while the poster waits.
    expect(e2e.runtime.slack.poster.pending).toBe(1);
    await e2e.settled();

    const posts = topLevelPosts(e2e);
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect(e2e.cards()).toHaveLength(1);
    expect(
      (await e2e.runtime.engine.jobRecord({ account: 'default', region: REGIONS[0], jobId: jobId }))?.card
        ?.ts,
    ).toBe(e2e.cards()[0]?.ts);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
  });

  it('after a 500 that did post, finds the card in the channel history instead of posting it twice', async () => {
    const e2e = await start();
    e2e.slack.failNext('chat.postMessage', { status: 500, afterEffect: true });
    const jobId = e2e.cos.createSuspendedJob(REGIONS[0]);
    await e2e.poll();

    expect(topLevelPosts(e2e).map((c) => c.status)).toEqual([500]);
    expect(e2e.slack.callsTo('conversations.history')).toHaveLength(1);
    const cards = e2e.cards();
    expect(cards).toHaveLength(1);
    const record = await e2e.runtime.engine.jobRecord({
      account: 'default',
      region: REGIONS[0],
      jobId: jobId,
    });
    expect(record?.card).toEqual({ channel: CHANNEL, ts: cards[0]!.ts });
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);

    // The recovered card works like any other: an approval updates that very message.
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(textOf(e2e.slack.message(CHANNEL, cards[0]!.ts))).toContain('*Approved*');
  });

  it('after a 500 that did not post, posts the card once', async () => {
    const e2e = await start();
    e2e.slack.failNext('chat.postMessage', { status: 500 });
    const jobId = e2e.cos.createSuspendedJob(REGIONS[0]);
    await e2e.poll();

    expect(topLevelPosts(e2e).map((c) => c.status)).toEqual([500, 200]);
    expect(e2e.slack.callsTo('conversations.history')).toHaveLength(1);
    expect(e2e.cards()).toHaveLength(1);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
  });
});
