/**
 * `npm start`'s entry point (src/main.ts) as a real child process, configured only by environment
 * variables, against the COS emulator, the fake Slack and a real redis-server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import type { RunningEmulator } from '../../tools/emulator/server.js';
import type { FakeSlack } from '../../tools/fakes/fake-slack.js';
import { TEST_ACCOUNT } from './cos-fixture.js';

export const BOT_TOKEN = 'xoxb-obs-test-0000-secretpart';
export const SIGNING_SECRET = 'obs-test-signing-secret-abcdef0123456';
export const CHANNEL = 'COBSTEST';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface BotProcess {
  child: ChildProcess;
  port: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  get(path: string): Promise<{ status: number; text: string }>;
  stop(): Promise<number | null>;
}

export function botEnv(o: {
  emulator: RunningEmulator;
  slack: FakeSlack;
  redisUrl: string;
  keyPrefix: string;
  port: number;
  regions?: string;
}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    COS_SECRET_ID: TEST_ACCOUNT.secretId,
    COS_SECRET_KEY: TEST_ACCOUNT.secretKey,
    COS_APPID: TEST_ACCOUNT.appId,
    COS_UIN: TEST_ACCOUNT.uin,
    COS_REGIONS: o.regions ?? 'ap-guangzhou',
    COS_ENDPOINT: o.emulator.url,
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: o.keyPrefix,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL_ID: CHANNEL,
    SLACK_API_URL: o.slack.apiUrl,
    PORT: String(o.port),
    APPROVER_USER_IDS: 'UALICE',
    POLL_INTERVAL_SECONDS: '1',
    LOG_LEVEL: 'info',
  };
}

export function startBot(env: Record<string, string>, entry = 'src/main.ts'): BotProcess {
  const port = Number(env.PORT);
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    port,
    output: () => output,
    exited,
    async get(path) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, text: await response.text() };
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls until `check` returns a value (or throws after `timeoutMs`); connection errors count as not yet. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
