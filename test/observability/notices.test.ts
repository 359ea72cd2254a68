/**
 * Region notices across a change of leader: two engines on one Redis, the first leads while COS refuses
 * the key, then hands over; the channel is told once that the region fails and once that it recovered.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { observeEngine } from '../../src/observability/engine-observer.js';
import { CosjobMetrics } from '../../src/observability/metrics.js';
import { ChannelNotices } from '../../src/observability/notices.js';
import { RegionHealthStore } from '../../src/observability/region-health.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
import { TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { useRedis } from '../helpers/redis.js';

const TOKEN = 'xoxb-notices-0000-test';
const CHANNEL = 'CNOTICES';
const redisCtx = useRedis();
const stack = useEngineStack(redisCtx, { pollIntervalMs: 1_000 });
let slack: FakeSlack | undefined;
afterEach(async () => {
  await slack?.close();
});

function observe(fx: EngineFixture, fake: FakeSlack, metrics = new CosjobMetrics({ defaultMetrics: false })) {
  const client = new WebClient(TOKEN, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  observeEngine({
    engine: fx.engine,
    metrics,
    logger: silentLogger,
    clock: stack.cos.clock,
    regionHealth: new RegionHealthStore(fx.redis, redisCtx.keyPrefix),
    notices: new ChannelNotices({ client, channel: CHANNEL, logger: silentLogger }),
  });
  return metrics;
}

describe('region notices', () => {
  it('are posted once per transition, also when the leader changes while the region is failing', async () => {
    slack = await startFakeSlack({ expectedToken: TOKEN });
    const a = await stack.engine({ instanceId: 'a' });
    const b = await stack.engine({ instanceId: 'b' });
    const metricsA = observe(a, slack);
    observe(b, slack);
    const told = (text: string) =>
      slack!.messages(CHANNEL).filter((m) => (m.text ?? '').includes(text)).length;
    const poll = async (fx: EngineFixture) => {
      // Past any back-off, so every call is a real attempt at COS.
      stack.cos.clock.advance(10 * 60_000);
      return fx.engine.watcher.pollOnce();
    };

    stack.cos.emulator.replaceSecretKey(TEST_ACCOUNT.secretId, 'rotated-notices-key-000000');
    await poll(a);
    await poll(a);
    expect(told('cannot reach COS in *ap-guangzhou*')).toBe(0);
    await poll(a);
    expect(told('cannot reach COS in *ap-guangzhou*')).toBe(1);
    expect(slack.messages(CHANNEL).find((m) => m.text?.includes('ap-guangzhou'))?.text).toContain(
      'SignatureDoesNotMatch',
    );
    await poll(a);
    expect(told('cannot reach COS in *ap-guangzhou*')).toBe(1);

    // A hands over; B's own failure count starts again, but the record in Redis says the channel knows.
    await a.engine.stop();
    const report = await poll(b);
    expect(report.leader).toBe(true);
    await poll(b);
    await poll(b);
    expect(told('cannot reach COS in *ap-guangzhou*')).toBe(1);

    stack.cos.emulator.replaceSecretKey(TEST_ACCOUNT.secretId, TEST_ACCOUNT.secretKey);
    await poll(b);
    await poll(b);
    expect(told('reaches COS in *ap-guangzhou* again')).toBe(1);
    expect(told('cannot reach COS in *ap-shanghai*')).toBe(1);
    expect(told('reaches COS in *ap-shanghai* again')).toBe(1);

    const health = await new RegionHealthStore(b.redis, redisCtx.keyPrefix).get({
      account: 'default',
      region: 'ap-guangzhou',
    });
    expect(health).toMatchObject({ failures: 0, alerted: false });
    const errors = (await metricsA.registry.getMetricsAsJSON())
      .find((f) => f.name === 'cosjob_poll_cycles_total')!
      .values.filter((v) => v.labels.region === 'ap-guangzhou' && v.labels.result === 'error');
    expect(errors[0]?.value).toBe(4);
  });
});
