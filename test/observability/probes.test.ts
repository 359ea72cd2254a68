/**
 * The probe endpoints in Socket Mode (their own server on PORT) and the start-up checks of a real
 * `npm start` child process: an evicting Redis stops it with exit 2.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
import { FakeSocketMode } from '../../tools/fakes/fake-socket-mode.js';
import {
  BOT_TOKEN,
  type BotProcess,
  botEnv,
  eventually,
  freePort,
  startBot,
} from '../helpers/bot-process.js';
import { TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { useRedis } from '../helpers/redis.js';

const APP_TOKEN = 'xapp-1-A0FAKE-2222-obsprobesapptoken';
const redisCtx = useRedis();
const cleanups: (() => Promise<unknown>)[] = [];
let bot: BotProcess | undefined;

afterEach(async () => {
  bot?.child.kill('SIGKILL');
  bot = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stack(): Promise<{ emulator: RunningEmulator; slack: FakeSlack }> {
  const emulator = await startEmulator({ accounts: [TEST_ACCOUNT] });
  cleanups.push(() => emulator.close());
  const slack = await startFakeSlack({ expectedToken: BOT_TOKEN });
  cleanups.push(() => slack.close());
  return { emulator, slack };
}

describe('probes in Socket Mode', () => {
  it('serves /livez, /healthz, /readyz and /metrics on PORT although Socket Mode needs no HTTP', async () => {
    const { emulator, slack } = await stack();
    const socket = await FakeSocketMode.start({ appToken: APP_TOKEN, slack });
    cleanups.push(() => socket.close());
    const env = botEnv({
      emulator,
      slack,
      redisUrl: redisCtx.url,
      keyPrefix: redisCtx.keyPrefix,
      port: await freePort(),
    });
    delete (env as Record<string, string | undefined>).SLACK_SIGNING_SECRET;
    const b = startBot({ ...env, SLACK_APP_TOKEN: APP_TOKEN });
    bot = b;
    const ready = await eventually(
      async () => {
        const r = await b.get('/readyz');
        return r.status === 200 && r;
      },
      30_000,
      '/readyz in Socket Mode',
    );
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'ready', checks: { redis: 'ok', slack: 'ok' } });
    expect(await b.get('/livez')).toEqual({ status: 200, text: 'ok' });
    expect(await b.get('/healthz')).toEqual({ status: 200, text: 'ok' });
    const metrics = await b.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('cosjob_leader 1');
    expect((await b.get('/slack/events')).status).toBe(404);
    expect(b.output()).toContain('start-up check passed');
    expect(b.output()).not.toContain(APP_TOKEN);
    expect(await b.stop()).toBe(0);
  }, 60_000);
});

describe('start-up checks of npm start', () => {
  it('refuse to start (exit 2) on a Redis that may evict keys, and say why', async () => {
    const { emulator, slack } = await stack();
    const admin = new Redis(redisCtx.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    cleanups.push(async () => {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
    });
    const b = startBot(
      botEnv({
        emulator,
        slack,
        redisUrl: redisCtx.url,
        keyPrefix: redisCtx.keyPrefix,
        port: await freePort(),
      }),
    );
    bot = b;
    expect(await b.exited).toBe(2);
    const failed = b
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'start-up check failed');
    expect(failed).toMatchObject({ level: 'error', check: 'redis.maxmemory-policy', fatal: true });
    expect(String(failed?.fix)).toContain('noeviction');
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  }, 60_000);
});
