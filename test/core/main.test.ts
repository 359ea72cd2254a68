/** `npm start` as a person runs it: the real entry point, configured only by environment variables. */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
import { copyJobInput, TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { useRedis } from '../helpers/redis.js';

const redisCtx = useRedis();
const BOT_TOKEN = 'xoxb-main-test-0000-secretpart';
const SIGNING_SECRET = 'main-test-signing-secret-abcdef0';

let child: ChildProcess | undefined;
let emulator: RunningEmulator | undefined;
let fake: FakeSlack | undefined;

afterEach(async () => {
  child?.kill('SIGKILL');
  await emulator?.close();
  await fake?.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('npm start (src/main.ts)', () => {
  it('starts from the environment, posts a card for a waiting job, answers /healthz, and stops cleanly on SIGTERM', async () => {
    emulator = await startEmulator({ accounts: [TEST_ACCOUNT] });
    const jobId = emulator.store.createJob('ap-guangzhou', copyJobInput(), { status: 'Suspended' }).id;
    fake = await startFakeSlack({ expectedToken: BOT_TOKEN });
    const port = await freePort();
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH,
        COS_SECRET_ID: TEST_ACCOUNT.secretId,
        COS_SECRET_KEY: TEST_ACCOUNT.secretKey,
        COS_APPID: TEST_ACCOUNT.appId,
        COS_UIN: TEST_ACCOUNT.uin,
        COS_REGIONS: 'ap-guangzhou',
        COS_ENDPOINT: emulator.url,
        REDIS_URL: redisCtx.url,
        REDIS_KEY_PREFIX: redisCtx.keyPrefix,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_CHANNEL_ID: 'CMAINTEST',
        SLACK_API_URL: fake.apiUrl,
        PORT: String(port),
        APPROVER_USER_IDS: 'UALICE',
        POLL_INTERVAL_SECONDS: '1',
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const card = await fake.waitFor(
      (f) => f.messages('CMAINTEST').find((m) => JSON.stringify(m.blocks).includes(jobId)),
      20_000,
    );
    expect(card.threadTs).toBeUndefined();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.text()).toBe('ok');
    const unsigned = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'command=%2Fcosjob&text=help',
    });
    expect(unsigned.status).toBe(401);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('cosjob is running');
    for (const secret of [BOT_TOKEN, SIGNING_SECRET, TEST_ACCOUNT.secretKey])
      expect(output).not.toContain(secret);
  }, 40_000);

  it('exits 2 and names every missing setting when the environment is incomplete', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, COS_SECRET_KEY: 'do-not-print-me-please' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child!.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(output).toContain('COS_SECRET_ID is missing');
    expect(output).toContain('SLACK_BOT_TOKEN is missing');
    expect(output).not.toContain('do-not-print-me-please');
  }, 20_000);
});
