/**
 * /readyz of a real `npm start` child process tells the truth: 503 naming the failing check when its
 * Redis is stopped or COS refuses the key, 200 again once they recover, and the channel is told once
 * each way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
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
import { TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { redisTestsUseExternalServer, useRedis } from '../helpers/redis.js';

const redisCtx = useRedis();
let bot: BotProcess | undefined;
let emulator: RunningEmulator | undefined;
let slack: FakeSlack | undefined;

afterEach(async () => {
  bot?.child.kill('SIGKILL');
  await emulator?.close();
  await slack?.close();
});

interface ReadyBody {
  status: 'ready' | 'not_ready';
  checks: { redis: string; slack: string; cos: Record<string, string> };
}

async function ready(b: BotProcess): Promise<{ status: number; body: ReadyBody }> {
  const { status, text } = await b.get('/readyz');
  return { status, body: JSON.parse(text) as ReadyBody };
}

function notices(fake: FakeSlack, text: string): number {
  return fake.messages(CHANNEL).filter((m) => (m.text ?? '').includes(text)).length;
}

describe.skipIf(redisTestsUseExternalServer())('readiness of npm start', () => {
  it('flips to 503 when Redis stops and when COS refuses the key, then back to 200', async () => {
    emulator = await startEmulator({ accounts: [TEST_ACCOUNT] });
    slack = await startFakeSlack({ expectedToken: BOT_TOKEN });
    const env = botEnv({
      emulator,
      slack,
      redisUrl: redisCtx.url,
      keyPrefix: redisCtx.keyPrefix,
      port: await freePort(),
      regions: 'ap-guangzhou,ap-shanghai',
    });
    const b = startBot(env);
    bot = b;

    const first = await eventually(
      async () => {
        const r = await ready(b);
        return r.status === 200 && r;
      },
      30_000,
      'the first 200 from /readyz',
    );
    expect(first.body).toEqual({
      status: 'ready',
      checks: { redis: 'ok', slack: 'ok', cos: { 'ap-guangzhou': 'ok', 'ap-shanghai': 'ok' } },
    });
    expect(await b.get('/livez')).toEqual({ status: 200, text: 'ok' });
    expect(await b.get('/healthz')).toEqual({ status: 200, text: 'ok' });

    // Redis stopped: not ready, naming Redis; the channel is told once.
    await redisCtx.server!.kill('SIGKILL');
    const down = await eventually(
      async () => {
        const r = await ready(b);
        return r.status === 503 && r;
      },
      20_000,
      '503 with Redis stopped',
    );
    expect(down.body.status).toBe('not_ready');
    expect(down.body.checks.redis).not.toBe('ok');
    expect(down.body.checks.redis).toContain('REDIS_URL');
    expect((await b.get('/livez')).status).toBe(200);
    await eventually(
      async () => notices(slack!, 'lost its connection to Redis') === 1,
      20_000,
      'the Redis notice',
    );

    await redisCtx.server!.restart();
    await eventually(async () => (await ready(b)).status === 200, 30_000, '200 after Redis is back');
    await eventually(
      async () => notices(slack!, 'connected to Redis again') === 1,
      20_000,
      'the recovery notice',
    );

    // COS refuses the key in one region's requests (all regions share the account here).
    emulator.replaceSecretKey(TEST_ACCOUNT.secretId, 'rotated-secret-key-0000000000');
    const refused = await eventually(
      async () => {
        const r = await ready(b);
        return r.status === 503 && r.body.checks.cos['ap-guangzhou'] !== 'ok' && r;
      },
      30_000,
      '503 with the key refused',
    );
    expect(refused.body.checks.cos['ap-guangzhou']).toMatch(/^SignatureDoesNotMatch: .*COS_SECRET_KEY/);
    expect(refused.body.checks.redis).toBe('ok');
    await eventually(
      async () => notices(slack!, 'cannot reach COS in *ap-guangzhou*') === 1,
      30_000,
      'the region notice',
    );

    emulator.replaceSecretKey(TEST_ACCOUNT.secretId, TEST_ACCOUNT.secretKey);
    await eventually(
      async () => (await ready(b)).status === 200,
      60_000,
      '200 after the key is accepted again',
    );
    await eventually(
      async () => notices(slack!, 'reaches COS in *ap-guangzhou* again') === 1,
      20_000,
      'the region recovery notice',
    );

    // Told once each way: no repeats while failing, none after recovery.
    expect(notices(slack, 'cannot reach COS in *ap-guangzhou*')).toBe(1);
    expect(notices(slack, 'cannot reach COS in *ap-shanghai*')).toBe(1);
    expect(notices(slack, 'lost its connection to Redis')).toBe(1);
    const output = b.output();
    for (const secret of [BOT_TOKEN, SIGNING_SECRET, TEST_ACCOUNT.secretKey])
      expect(output).not.toContain(secret);
    expect(await b.stop()).toBe(0);
  }, 180_000);
});
