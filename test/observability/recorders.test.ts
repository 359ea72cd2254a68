/** The Slack fetch observer against the fake Slack Web API: calls by method and result, and 429s. */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosjobMetrics } from '../../src/observability/metrics.js';
import { observedSlackFetch } from '../../src/observability/recorders.js';
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
});
