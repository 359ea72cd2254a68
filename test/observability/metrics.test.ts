/**
 * /metrics of a real `npm start` child process after a scripted flow (two waiting jobs, one approved,
 * one click refused): every counter agrees with what the COS emulator, the fake Slack and Redis
 * themselves recorded.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { KeySpace } from '../../src/redis/keys.js';
import { ACTION_IDS } from '../../src/slack/blocks/ids.js';
import { API_NAMES } from '../../tools/emulator/routes.js';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
import { blockActionPayload, postToBolt } from '../../tools/fakes/slack-requests.js';
import {
  BOT_TOKEN,
  type BotProcess,
  botEnv,
  CHANNEL,
  eventually,
  freePort,
  SIGNING_SECRET,
  startBot,
} from '../helpers/bot-process.js';
import { copyJobInput, TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { useRedis } from '../helpers/redis.js';

const redisCtx = useRedis();
let bot: BotProcess | undefined;
let emulator: RunningEmulator | undefined;
let slack: FakeSlack | undefined;

afterEach(async () => {
  bot?.child.kill('SIGKILL');
  await emulator?.close();
  await slack?.close();
});

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The Prometheus text format, enough of it for these assertions (no escaped quotes in our labels). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').match(/\w+="[^"]*"/g) ?? []) {
      const [key, value] = pair.split('=') as [string, string];
      labels[key] = value.slice(1, -1);
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

describe('metrics of npm start', () => {
  it('agree with the emulator, the fake Slack and Redis after a scripted flow', async () => {
    emulator = await startEmulator({ accounts: [TEST_ACCOUNT] });
    const approved = emulator.store.createJob('ap-guangzhou', copyJobInput(), { status: 'Suspended' }).id;
    const other = emulator.store.createJob('ap-guangzhou', copyJobInput(), { status: 'Suspended' }).id;
    slack = await startFakeSlack({ expectedToken: BOT_TOKEN });
    const port = await freePort();
    // One poll at start-up and none during the test: the counts stand still once the flow is done.
    const b = startBot({
      ...botEnv({ emulator, slack, redisUrl: redisCtx.url, keyPrefix: redisCtx.keyPrefix, port }),
      POLL_INTERVAL_SECONDS: '3600',
    });
    bot = b;
    const cards = await eventually(
      async () => {
        // Job cards only: the channel is also told once about unwise configuration (no AUDIT_HMAC_KEY here).
        const posted = slack!
          .messages(CHANNEL)
          .filter((m) => !m.threadTs && !(m.text ?? '').includes('cosjob configuration'));
        return posted.length === 2 && posted;
      },
      30_000,
      'two cards',
    );
    const cardOf = (jobId: string) => cards.find((m) => JSON.stringify(m.blocks).includes(jobId))!;

    const click = (userId: string, jobId: string) =>
      postToBolt(
        `http://127.0.0.1:${port}/slack/events`,
        SIGNING_SECRET,
        blockActionPayload({
          actionId: ACTION_IDS.approve,
          value: `ap-guangzhou|${jobId}`,
          userId,
          channelId: CHANNEL,
          messageTs: cardOf(jobId).ts,
          responseUrl: slack!.responseUrl(`click-${userId}`, { user: userId, channel: CHANNEL }),
        }),
        { kind: 'payload' },
      );
    expect((await click('UMALLORY', other)).status).toBe(200);
    expect((await click('UALICE', approved)).status).toBe(200);
    await eventually(async () => emulator!.stats.statusUpdates.length === 1, 20_000, 'the approval at COS');

    const keys = new KeySpace(redisCtx.keyPrefix);
    const redis = new Redis(redisCtx.url);
    try {
      // Settled: both decisions are in the audit (approved result and the refusal) and Slack is quiet.
      let seen = '';
      await eventually(
        async () => {
          const m = parseMetrics((await b.get('/metrics')).text);
          const pairs = [
            [sum(m, 'cosjob_decisions_total'), 2],
            [sum(m, 'cosjob_audit_entries_total'), await redis.xlen(keys.auditLog())],
            // Bolt's respond() to a response_url goes through the same client fetch and is counted too.
            [sum(m, 'cosjob_slack_api_calls_total'), slack!.calls.length],
          ];
          seen = JSON.stringify(pairs);
          return pairs.every(([a, e]) => a === e);
        },
        20_000,
        'the counters to settle',
      ).catch((error) => {
        throw new Error(`${String(error)}: ${seen}; ${slack!.calls.map((c) => `${c.path}`).join(' ')}`);
      });
      const metrics = parseMetrics((await b.get('/metrics')).text);

      for (const api of API_NAMES) {
        expect(sum(metrics, 'cosjob_cos_requests_total', { api }), api).toBe(emulator.stats.requests[api]);
        expect(sum(metrics, 'cosjob_cos_request_duration_seconds_count', { api }), api).toBe(
          emulator.stats.requests[api],
        );
      }
      expect(emulator.stats.requests.UpdateJobStatus).toBe(1);
      expect(sum(metrics, 'cosjob_cos_requests_total', { api: 'UpdateJobStatus', status: '200' })).toBe(1);

      expect(sum(metrics, 'cosjob_decisions_total', { action: 'approve', outcome: 'approved' })).toBe(1);
      expect(sum(metrics, 'cosjob_decisions_total', { action: 'approve', outcome: 'refused' })).toBe(1);
      expect(sum(metrics, 'cosjob_refusals_total', { code: 'not_approver' })).toBe(1);

      // Audit entries by kind equal what the global stream holds, kind by kind.
      const stream = (await redis.xrange(keys.auditLog(), '-', '+')) as [string, string[]][];
      const byKind = new Map<string, number>();
      for (const [, fields] of stream) {
        const action = fields[fields.indexOf('action') + 1]!;
        byKind.set(action, (byKind.get(action) ?? 0) + 1);
      }
      expect(byKind.get('posted')).toBe(2);
      for (const [kind, count] of byKind)
        expect(sum(metrics, 'cosjob_audit_entries_total', { kind }), kind).toBe(count);
      expect(sum(metrics, 'cosjob_audit_entries_total')).toBe(stream.length);

      const apiCalls = slack.calls.filter((c) => c.path.startsWith('/api/'));
      expect(sum(metrics, 'cosjob_slack_api_calls_total', { method: 'chat.postMessage' })).toBe(
        apiCalls.filter((c) => c.method === 'chat.postMessage').length,
      );
      expect(
        sum(metrics, 'cosjob_slack_api_calls_total', { method: 'auth.test', result: 'ok' }),
      ).toBeGreaterThan(0);
      expect(sum(metrics, 'cosjob_slack_api_calls_total', { method: 'response_url' })).toBe(
        slack.calls.filter((c) => c.path.startsWith('/response/')).length,
      );
      expect(sum(metrics, 'cosjob_slack_rate_limited_total')).toBe(0);

      expect(sum(metrics, 'cosjob_poll_cycles_total', { region: 'ap-guangzhou', result: 'ok' })).toBe(1);
      expect(sum(metrics, 'cosjob_jobs_waiting', { region: 'ap-guangzhou' })).toBe(2);
      expect(sum(metrics, 'cosjob_leader')).toBe(1);
      // prom-client's default process metrics are there too.
      expect(metrics.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
      expect(metrics.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);

      // The info-level log has one line per card, decision and refusal.
      const lines = b
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.filter((l) => l.msg === 'card posted')).toHaveLength(2);
      const decision = lines.find((l) => l.msg === 'decision');
      expect(decision).toMatchObject({
        level: 'info',
        jobId: approved,
        slackUser: 'UALICE',
        outcome: 'approved',
      });
      expect(typeof decision?.cosRequestId).toBe('string');
      expect(lines.find((l) => l.msg === 'decision refused')).toMatchObject({
        jobId: other,
        slackUser: 'UMALLORY',
        code: 'not_approver',
      });
      for (const secret of [BOT_TOKEN, SIGNING_SECRET, TEST_ACCOUNT.secretKey]) {
        expect(b.output()).not.toContain(secret);
      }
    } finally {
      redis.disconnect();
    }
  }, 90_000);
});
