/**
 * Hostile COS answers (issue 9): a `<Status>` that is 100 characters long or carries Slack mrkdwn is not
 * acted on. The UpdateJobStatus answer is treated as ambiguous and the job is read back with a checked
 * DescribeJob, so the decision ends applied (confirmed) or unknown, never "approved" with a status the
 * audit trail cannot record, and nothing COS said reaches Slack unescaped.
 */
import { describe, expect, it } from 'vitest';
import { KeySpace } from '../../../src/redis/keys.js';
import { ALICE, CHANNEL, type E2E, textOf, titleOf, useE2E } from './harness.js';

const { start } = useE2E();

const LONG_STATUS = 'X'.repeat(100);
const MRKDWN_STATUS = '<!channel> <https://evil.example|x>';

function withStatus(body: string, status: string): string {
  const escaped = status.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return body.replace(/<Status>[^<]*<\/Status>/, `<Status>${escaped}</Status>`);
}

/** Every text cosjob sent to Slack: messages, updates, ephemerals and response_url answers. */
function everythingSentToSlack(e2e: E2E): string {
  return e2e.slack.calls.map((c) => JSON.stringify(c.params)).join('\n');
}

/**
 * Alice clicks Approve while the emulator's answers pass through `spoil`, which returns the status to put
 * in an answer to `api` (or undefined to leave it alone); the answers are sane again afterwards.
 */
async function approveWithSpoiledAnswers(
  e2e: E2E,
  jobId: string,
  spoil: (api: string) => string | undefined,
): Promise<void> {
  e2e.cos.emulator.setHook(async ({ api }, { body }) => {
    const status = spoil(api);
    return status === undefined ? undefined : { body: withStatus(body, status) };
  });
  await e2e.click('cosjob_approve', { jobId }, ALICE);
  await e2e.settled();
  e2e.cos.emulator.setHook(undefined);
}

/** The person was told once, in words containing `expected`, and no Slack mrkdwn from COS got through. */
function toldOnceAndEscaped(e2e: E2E, expected: string): void {
  const told = e2e.slack.ephemerals();
  expect(told).toHaveLength(1);
  expect(textOf(told[0])).toContain(expected);
  const sent = everythingSentToSlack(e2e);
  expect(sent).not.toContain('<!channel>');
  expect(sent).not.toContain('<https://evil.example');
}

describe('hostile COS answers', () => {
  it('a 100-character <Status> in the UpdateJobStatus answer: the job is read back and the approval recorded as confirmed', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    await approveWithSpoiledAnswers(e2e, jobId, (api) =>
      api === 'UpdateJobStatus' ? LONG_STATUS : undefined,
    );

    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    const entries = await e2e.auditEntries(jobId);
    expect(entries.map((e) => e.action)).toEqual(['posted', 'approve_requested', 'approved']);
    const approved = entries.find((e) => e.action === 'approved');
    expect(approved?.outcome).toBe('applied (confirmed by DescribeJob)');
    expect(approved?.cosStatus).toBe(e2e.job(jobId).status);
    expect(titleOf(e2e.slack.message(CHANNEL, card.ts))).toBe('✅ COS batch job approved');
    // The claim is released and no intent is left for the reconciler.
    const keys = new KeySpace(e2e.config.redis.keyPrefix);
    expect(
      await e2e.runtime.redis.exists(
        keys.jobClaim({ account: 'default', region: e2e.regions[0]!, jobId: jobId }),
      ),
    ).toBe(0);
    expect(await e2e.runtime.redis.hlen(keys.intents())).toBe(0);
    expect(everythingSentToSlack(e2e)).not.toContain(LONG_STATUS);
  });

  it('a <!channel> link as <Status> when cosjob re-checks the job: nothing is sent to COS, the claim is released, the person is told', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    await approveWithSpoiledAnswers(e2e, jobId, (api) => (api === 'DescribeJob' ? MRKDWN_STATUS : undefined));

    expect(e2e.statusUpdates(jobId)).toHaveLength(0);
    toldOnceAndEscaped(e2e, 'nothing was changed');
    const keys = new KeySpace(e2e.config.redis.keyPrefix);
    expect(
      await e2e.runtime.redis.exists(
        keys.jobClaim({ account: 'default', region: e2e.regions[0]!, jobId: jobId }),
      ),
    ).toBe(0);
    expect(await e2e.auditActions(jobId)).toEqual(['posted', 'failed']);

    // Nothing is stuck: with a sane answer the next click goes through.
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(titleOf(e2e.slack.message(CHANNEL, card.ts))).toBe('✅ COS batch job approved');
  });

  it('a <!channel> link as <Status> in the UpdateJobStatus answer and its read-back: unknown, told so, escaped, and the reconciler settles it later', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    const region = e2e.regions[0]!;
    // The re-check before the update sees a sane job; the update's answer and its read-back do not.
    let updated = false;
    await approveWithSpoiledAnswers(e2e, jobId, (api) => {
      if (api === 'UpdateJobStatus') updated = true;
      return updated ? MRKDWN_STATUS : undefined;
    });

    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    toldOnceAndEscaped(e2e, 'it may still take effect');
    expect(titleOf(e2e.slack.message(CHANNEL, card.ts))).not.toBe('✅ COS batch job approved');

    // Unknown keeps the intent and the claim (COS may have applied it); the audit never saw the status.
    const keys = new KeySpace(e2e.config.redis.keyPrefix);
    expect(await e2e.runtime.redis.hlen(keys.intents())).toBe(1);
    const entries = await e2e.auditEntries(jobId);
    expect(entries.map((e) => e.action)).toEqual(['posted', 'approve_requested', 'failed']);
    expect(entries.at(-1)?.outcome).toBe('unknown');
    // The audit keeps the problem quoted (\u003c…), never the raw mrkdwn.
    expect(entries.map((e) => e.reason ?? '').join('\n')).not.toContain('<!channel>');

    // Once the claim lapses, the reconciler reads the (now sane) job and records what COS did.
    await e2e.runtime.redis.del(keys.jobClaim({ account: 'default', region: region, jobId: jobId }));
    await e2e.runtime.engine.reconciler.reconcile(0);
    expect(await e2e.runtime.redis.hlen(keys.intents())).toBe(0);
    const after = await e2e.auditEntries(jobId);
    expect(after.at(-1)?.action).toBe('reconciled');
    expect(after.at(-1)?.cosStatus).toBe(e2e.job(jobId).status);
  });
});
