/** `cosjob doctor` against a real redis-server, the COS emulator and the fake Slack. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
import { FakeSocketMode } from '../../tools/fakes/fake-socket-mode.js';
import { TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { useRedis } from '../helpers/redis.js';

const BOT_TOKEN = 'xoxb-doctor-0000-secretpart';
const APP_TOKEN = 'xapp-1-A0FAKE-3333-doctorapptoken';
const CHANNEL = 'CDOCTOR';
const redisCtx = useRedis();
let emulator: RunningEmulator;
let skewed: RunningEmulator;
let slack: FakeSlack;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [TEST_ACCOUNT] });
  skewed = await startEmulator({ accounts: [TEST_ACCOUNT], clockOffsetMs: 10 * 60_000 });
  slack = await startFakeSlack({ expectedToken: BOT_TOKEN, channelsWithoutBot: ['CNOTINVITED'] });
});
afterAll(async () => {
  await emulator.close();
  await skewed.close();
  await slack.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    COS_SECRET_ID: TEST_ACCOUNT.secretId,
    COS_SECRET_KEY: TEST_ACCOUNT.secretKey,
    COS_APPID: TEST_ACCOUNT.appId,
    COS_UIN: TEST_ACCOUNT.uin,
    COS_REGIONS: 'ap-guangzhou,ap-shanghai',
    COS_ENDPOINT: emulator.url,
    REDIS_URL: redisCtx.url,
    REDIS_KEY_PREFIX: redisCtx.keyPrefix,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: 'doctor-signing-secret-0000000000000',
    SLACK_CHANNEL_ID: CHANNEL,
    SLACK_API_URL: slack.apiUrl,
    APPROVER_USER_IDS: 'UALICE',
    ...overrides,
  };
}

async function doctor(environment: Record<string, string | undefined>, json = false) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(json ? ['doctor', '--json'] : ['doctor'], environment, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  return { code, stdout, stderr };
}

describe('cosjob doctor', () => {
  it('passes every check with good settings (exit 0), warning that the test Redis persists nothing', async () => {
    const result = await doctor(env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const name of [
      'settings',
      'redis',
      'redis.maxmemory-policy',
      'redis.acl',
      'cos.ap-guangzhou',
      'cos.ap-shanghai',
      'slack.token',
      'slack.channel',
    ]) {
      expect(result.stdout).toContain(`✓ ${name}:`);
    }
    expect(result.stdout).toMatch(/! redis\.persistence: AOF and RDB snapshots are both off/);
    expect(result.stdout).toContain('All checks passed.');
  });

  it('fails (exit 1) with a refused COS key, naming the code and the variables to fix, never the key', async () => {
    const result = await doctor(env({ COS_SECRET_KEY: 'wrong-doctor-secret-key-0000' }), true);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: { name: string; status: string; detail: string; fix?: string }[];
    };
    expect(body.ok).toBe(false);
    const cos = body.checks.find((c) => c.name === 'cos.ap-guangzhou')!;
    expect(cos.status).toBe('fail');
    expect(cos.detail).toContain('SignatureDoesNotMatch (HTTP 403)');
    expect(cos.fix).toContain('COS_SECRET_KEY');
    expect(body.checks.find((c) => c.name === 'slack.token')?.status).toBe('pass');
    expect(result.stdout).not.toContain('wrong-doctor-secret-key-0000');
  });

  it('measures and reports clock skew against COS', async () => {
    const result = await doctor(env({ COS_ENDPOINT: skewed.url, COS_REGIONS: 'ap-guangzhou' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ cos\.ap-guangzhou: .*clock is (59\d|60\d) s behind COS/);
    expect(result.stdout).toContain('NTP');
  });

  it('fails with a wrong bot token, and with a channel the bot was not invited to', async () => {
    const badToken = await doctor(env({ SLACK_BOT_TOKEN: 'xoxb-not-the-right-token' }));
    expect(badToken.code).toBe(1);
    expect(badToken.stdout).toContain('✗ slack.token: auth.test: invalid_auth');
    expect(badToken.stdout).toContain('fix: Check SLACK_BOT_TOKEN');
    expect(badToken.stdout).not.toContain('xoxb-not-the-right-token');

    const notInvited = await doctor(env({ SLACK_CHANNEL_ID: 'CNOTINVITED' }));
    expect(notInvited.code).toBe(1);
    expect(notInvited.stdout).toContain('✗ slack.channel: the bot is not a member of CNOTINVITED');
    expect(notInvited.stdout).toContain('/invite @cosjob');
  });

  it('checks the app token in Socket Mode', async () => {
    const socket = await FakeSocketMode.start({ appToken: APP_TOKEN, slack });
    cleanups.push(() => socket.close());
    const socketEnv = env({ SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: APP_TOKEN });
    const good = await doctor(socketEnv);
    expect(good.stdout).toContain('✓ slack.app-token:');
    expect(good.code).toBe(0);
    const bad = await doctor({ ...socketEnv, SLACK_APP_TOKEN: 'xapp-1-A0FAKE-9999-wrong' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('✗ slack.app-token: apps.connections.open: invalid_auth');
    expect(bad.stdout).toContain('SLACK_APP_TOKEN');
  });

  it('fails on an evicting maxmemory-policy, and on an ACL that refuses a command cosjob uses', async () => {
    const admin = new Redis(redisCtx.url);
    cleanups.push(async () => {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.acl('DELUSER', 'doctor-limited');
      admin.disconnect();
    });
    await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    const evicting = await doctor(env());
    expect(evicting.code).toBe(1);
    expect(evicting.stdout).toContain('✗ redis.maxmemory-policy: volatile-lru');
    expect(evicting.stdout).toContain('maxmemory-policy noeviction');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');

    await admin.acl('SETUSER', 'doctor-limited', 'on', '>doctor-pass-123456', '~*', '+@all', '-eval');
    const url = redisCtx.url.replace('redis://', 'redis://doctor-limited:doctor-pass-123456@');
    const limited = await doctor(env({ REDIS_URL: url }));
    expect(limited.code).toBe(1);
    expect(limited.stdout).toContain('✗ redis.acl: the Redis user may not run EVAL');
    expect(limited.stdout).toContain('ACL SETUSER');
    expect(limited.stdout).not.toContain('doctor-pass-123456');
  });

  it('reports settings problems as one failed check', async () => {
    const result = await doctor({ COS_SECRET_KEY: 'x' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✗ settings: .*COS_SECRET_ID is missing/);
  });
});
