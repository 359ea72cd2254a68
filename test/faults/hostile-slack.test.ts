/**
 * Hostile Slack input through the real Bolt receiver, correctly signed, that earlier suites do not send:
 * unknown action ids, tampered button values, /cosjob junk, malformed and oversized bodies. Each must be
 * answered (or refused with a 4xx), reach COS not at all, and change nothing.
 */
import { describe, expect, it } from 'vitest';
import { signSlackRequest } from '../helpers/slack-requests.js';
import { ALICE, SIGNING_SECRET, textOf, useE2E } from '../slack/e2e/harness.js';

const { start } = useE2E();

async function signedRaw(url: string, raw: string, contentType = 'application/x-www-form-urlencoded') {
  const headers = { ...signSlackRequest(SIGNING_SECRET, raw), 'content-type': contentType };
  return fetch(url, { method: 'POST', headers, body: raw });
}

/** C0 controls other than tab and newline, DEL, and the bidi embedding and override characters. */
function isControlOrBidi(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return (
    (code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f || (code >= 0x202a && code <= 0x202e)
  );
}

describe('hostile clicks', () => {
  // Bolt answers a request no listener acknowledges with a 404 after its 3 s unhandled-request timeout, so
  // the three kinds go in at once.
  it('signed requests no listener matches (an unknown action id, a JSON-string payload, an unknown JSON body) are refused and run nothing', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const before = e2e.cos.emulator.stats.totalRequests;
    const callsBefore = e2e.slack.calls.length;
    const responses = await Promise.all([
      e2e.click('cosjob_frobnicate', { jobId }, ALICE),
      signedRaw(e2e.eventsUrl, `payload=${encodeURIComponent('"hello"')}`),
      signedRaw(e2e.eventsUrl, '{"type":"block_actions"}', 'application/json'),
    ]);
    // The unknown action reaches Bolt and no listener acks it (404); the request guard in front of Bolt
    // already refuses a payload that is not an object (400) and a body naming no installation (403).
    expect(responses.map((r) => r.status)).toEqual([404, 400, 403]);
    await e2e.settled();
    expect(e2e.cos.emulator.stats.totalRequests).toBe(before);
    expect(e2e.slack.calls.length).toBe(callsBefore);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
    expect(e2e.job(jobId).status).toBe('Suspended');
  });

  it.each([
    ['a JobId with dot segments', (jobId: string) => `ap-guangzhou|../../${jobId}`, /not a job reference/],
    ['a JobId with a query', (jobId: string) => `ap-guangzhou|${jobId}?x=1`, /not a job reference/],
    ['a JobId with a percent escape', (jobId: string) => `ap-guangzhou|${jobId}%2F`, /not a job reference/],
    ['a region cosjob does not watch', (jobId: string) => `eu-frankfurt|${jobId}`, /not one cosjob watches/],
    ['the other watched region', (jobId: string) => `ap-shanghai|${jobId}`, /has no card for job/],
    ['no separator', (jobId: string) => jobId, /not of the form/],
    ['a 10 KB value', () => `ap-guangzhou|${'a'.repeat(10_000)}`, /at most 138/],
  ])('a tampered button value (%s) is refused, nothing reaches COS', async (_label, value, why) => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const before = e2e.cos.emulator.stats.requests.UpdateJobStatus;
    const response = await e2e.click('cosjob_approve', { jobId }, ALICE, { value: value(jobId) });
    await e2e.settled();
    expect(response.status).toBe(200);
    expect(e2e.cos.emulator.stats.requests.UpdateJobStatus).toBe(before);
    expect(e2e.job(jobId).status).toBe('Suspended');
    const told = e2e.slack.ephemerals().map(textOf).join('\n');
    expect(told).toContain('not done');
    expect(told).toMatch(why);
    expect(told).not.toContain('a'.repeat(200));
  });
});

describe('hostile /cosjob text', () => {
  it.each([
    ['10 KB of text', `approve ${'x'.repeat(10_240)}`, /too long \(10248 characters\)/],
    ['control characters', 'approve \u0000\u001b[31mjob\u0007', /is not a valid JobId/],
    ['unicode', 'status ジョブ🙂', /is not a valid JobId/],
    ['a right-to-left override', 'approve \u202Eboj', /is not a valid JobId/],
  ])(
    '/cosjob with %s is refused privately, echoed inert, and nothing reaches COS',
    async (_label, text, why) => {
      const e2e = await start();
      const result = await e2e.command(text, ALICE);
      expect(result.status).toBe(200);
      expect(result.ack?.response_type).toBe('ephemeral');
      const answer = textOf(result.ack);
      expect(answer).toContain('not done');
      expect(answer).toMatch(why);
      // What was typed comes back with control and bidi characters replaced, and cut short.
      expect([...answer].filter(isControlOrBidi)).toEqual([]);
      expect(answer.length).toBeLessThan(2_000);
      expect(e2e.cos.emulator.stats.totalRequests).toBe(0);
    },
  );
});

describe('hostile bodies', () => {
  it.each([
    ['malformed JSON in payload', 'payload=%7Bnot-json', undefined, 400],
    ['an oversized body (2 MB)', `payload=${'a'.repeat(2_000_000)}`, undefined, 400],
    ['a text/plain content type', 'payload=%7B%7D', 'text/plain', 400],
  ])(
    'a signed body with %s is answered with a 4xx and runs nothing',
    async (_label, raw, contentType, status) => {
      const e2e = await start();
      // Start-up itself calls Slack (auth.test, for the installation's team id): count from here.
      const callsBefore = e2e.slack.calls.length;
      const response = await signedRaw(e2e.eventsUrl, raw, contentType);
      expect(response.status).toBe(status);
      await e2e.settled();
      expect(e2e.slack.calls).toHaveLength(callsBefore);
      expect(e2e.cos.emulator.stats.totalRequests).toBe(0);
    },
  );
});
