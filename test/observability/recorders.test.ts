/** The Slack fetch observer against the fake Slack Web API: calls by method and result, and 429s. */
import { type FetchFunction, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosjobMetrics } from '../../src/observability/metrics.js';
import { observedSlackFetch } from '../../src/observability/recorders.js';
import { BufferedResponse, bufferedSlackFetch } from '../../src/slack/http-fetch.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';

const TOKEN = 'xoxb-recorders-0000-test';
let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack({ expectedToken: TOKEN });
});
afterAll(async () => {
  await slack.close();
});

async function value(
  metrics: CosjobMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const family = (await metrics.registry.getMetricsAsJSON()).find((f) => f.name === name);
  return (family?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('observedSlackFetch', () => {
  it('counts each Web API call by method and result, and rate-limited answers', async () => {
    const metrics = new CosjobMetrics({ defaultMetrics: false });
    const client = new WebClient(TOKEN, {
      slackApiUrl: slack.apiUrl,
      fetch: observedSlackFetch(metrics),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    await client.chat.postMessage({ channel: 'CREC', text: 'one' });
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    await expect(client.chat.postMessage({ channel: 'CREC', text: 'two' })).rejects.toThrow();
    await expect(client.conversations.info({ channel: 'not a channel' })).rejects.toThrow();
    const bad = new WebClient('xoxb-wrong', {
      slackApiUrl: slack.apiUrl,
      fetch: observedSlackFetch(metrics),
      retryConfig: { retries: 0 },
    });
    await expect(bad.auth.test()).rejects.toThrow();

    expect(
      await value(metrics, 'cosjob_slack_api_calls_total', { method: 'chat.postMessage', result: 'ok' }),
    ).toBe(1);
    expect(
      await value(metrics, 'cosjob_slack_api_calls_total', {
        method: 'chat.postMessage',
        result: 'rate_limited',
      }),
    ).toBe(1);
    expect(await value(metrics, 'cosjob_slack_rate_limited_total')).toBe(1);
    expect(
      await value(metrics, 'cosjob_slack_api_calls_total', {
        method: 'conversations.info',
        result: 'channel_not_found',
      }),
    ).toBe(1);
    expect(
      await value(metrics, 'cosjob_slack_api_calls_total', { method: 'auth.test', result: 'invalid_auth' }),
    ).toBe(1);
    expect(await value(metrics, 'cosjob_slack_api_calls_total')).toBe(slack.calls.length);
  });

  it('by default answers with the buffered fetch, handing on the very response it read the result from', async () => {
    const metrics = new CosjobMetrics({ defaultMetrics: false });
    const init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${TOKEN}` },
      body: 'channel=CREC&text=buffered',
    };
    const byDefault = await observedSlackFetch(metrics)(`${slack.apiUrl}chat.postMessage`, init);
    expect(byDefault).toBeInstanceOf(BufferedResponse);

    const seen: unknown[] = [];
    const buffered = bufferedSlackFetch();
    const base: FetchFunction = async (url, options) => {
      const answer = await buffered(url, options);
      seen.push(answer);
      return answer;
    };
    const answer = await observedSlackFetch(metrics, base)(`${slack.apiUrl}chat.postMessage`, init);
    expect(answer).toBe(seen[0]);
    // The observer read the result; the caller reads it all the same.
    expect(await answer.json()).toMatchObject({ ok: true, channel: 'CREC' });
    expect(
      await value(metrics, 'cosjob_slack_api_calls_total', { method: 'chat.postMessage', result: 'ok' }),
    ).toBe(2);
  });

  it("hands another base's response on as a fresh one with the same status, headers and body", async () => {
    const metrics = new CosjobMetrics({ defaultMetrics: false });
    const answer = await observedSlackFetch(metrics, globalThis.fetch as FetchFunction)(
      `${slack.apiUrl}auth.test`,
      { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } },
    );
    expect(answer).not.toBeInstanceOf(BufferedResponse);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await answer.json()).toMatchObject({ ok: true });
    expect(await value(metrics, 'cosjob_slack_api_calls_total', { method: 'auth.test', result: 'ok' })).toBe(
      1,
    );
  });

  it("passes a 429 on to WebClient's rate-limit handling: Retry-After read, the call retried or rejected", async () => {
    const metrics = new CosjobMetrics({ defaultMetrics: false });
    const waiting = new WebClient(TOKEN, {
      slackApiUrl: slack.apiUrl,
      fetch: observedSlackFetch(metrics),
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 1, factor: 1, minTimeout: 0, maxTimeout: 0 },
    });
    const limits: number[] = [];
    waiting.on(WebClientEvent.RATE_LIMITED, (retryAfter: number) => limits.push(retryAfter));
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 0 });
    const before = slack.callsTo('chat.postMessage').length;
    const posted = await waiting.chat.postMessage({ channel: 'CREC', text: 'after a wait' });
    expect(posted.ok).toBe(true);
    expect(limits).toEqual([0]);
    expect(
      slack
        .callsTo('chat.postMessage')
        .slice(before)
        .map((c) => c.status),
    ).toEqual([429, 200]);

    const rejecting = new WebClient(TOKEN, {
      slackApiUrl: slack.apiUrl,
      fetch: observedSlackFetch(metrics),
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    await expect(rejecting.chat.postMessage({ channel: 'CREC', text: 'refused' })).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 7,
    });

    expect(await value(metrics, 'cosjob_slack_rate_limited_total')).toBe(2);
    expect(
      await value(metrics, 'cosjob_slack_api_calls_total', {
        method: 'chat.postMessage',
        result: 'rate_limited',
      }),
    ).toBe(2);
    expect(
      await value(metrics, 'cosjob_slack_api_calls_total', { method: 'chat.postMessage', result: 'ok' }),
    ).toBe(1);
  });
});
