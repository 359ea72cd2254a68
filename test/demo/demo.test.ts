/**
 * `npm run demo`, run in-process through the same function main.ts calls (so the network guard covers
 * it): the whole story against real Redis, the COS emulator, the fake Slack and the real Bolt receiver.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoIo, runDemoCli } from '../../demo/cli.js';
import { findOnPath } from '../../demo/stack.js';
import { silentLogger } from '../../src/logger.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/redis/connection.js';
import { replyArray, replyString } from '../../src/redis/replies.js';
import { redisTestsUseExternalServer, startRedisServer, type TestRedisServer } from '../helpers/redis.js';

const FULL_RUN_TIMEOUT_MS = 90_000;

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function runDemo(argv: string[], env: DemoIo['env']): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runDemoCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  });
  return { code, stdout, stderr };
}

/** What the brief says the summary must list, each line checked with its count. */
function expectSuccessfulSummary(stdout: string): void {
  expect(stdout).toMatch(/✔ 3 cards posted/);
  expect(stdout).toMatch(/✔ 1 refused \(mallory is not an approver; audited as denied\)/);
  expect(stdout).toMatch(/✔ 1 approved → Complete/);
  expect(stdout).toMatch(
    /✔ 1 cancelled \(delete [0-9a-f-]+: “cancelled by bob \(UBOB\) via Slack: wrong prefix”\)/,
  );
  expect(stdout).toMatch(/✔ 1 changed outside Slack/);
  expect(stdout).toMatch(/✔ audit chain verified: \d+ entries/);
  expect(stdout).toMatch(/✔ tampering detected on a copy: entry #\d+ named as edited/);
  expect(stdout).not.toContain('✘');
}

async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const reply = replyArray(await redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 500), 'SCAN');
    cursor = replyString(reply[0]) ?? '0';
    for (const key of replyArray(reply[1], 'SCAN')) found.push(replyString(key) ?? '');
  } while (cursor !== '0');
  return found.sort();
}

describe('npm run demo', () => {
  let server: TestRedisServer | undefined;
  let redisUrl = '';
  let redis: RedisClient;

  beforeAll(async () => {
    if (redisTestsUseExternalServer()) {
      redisUrl = process.env.REDIS_URL ?? '';
    } else {
      server = await startRedisServer();
      redisUrl = server.url;
    }
    redis = createRedis({ url: redisUrl, keyPrefix: 'unused' }, { role: 'background', logger: silentLogger });
  });
  afterAll(async () => {
    await closeRedis(redis);
    await server?.stop();
  });

  it(
    'with --quiet and REDIS_URL: exits 0, prints only the summary, and leaves no key of its own behind',
    async () => {
      const foreignKey = `not-the-demo:${process.pid}:${Date.now()}`;
      await redis.call('SET', foreignKey, 'keep me');
      const before = await keysMatching(redis, '*cosjob-demo-*');

      const run = await runDemo(['--quiet'], { REDIS_URL: redisUrl, PATH: '' });

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.trim().startsWith('Summary (')).toBe(true);
      expectSuccessfulSummary(run.stdout);
      // --quiet: no narrative.
      expect(run.stdout).not.toContain('━━');
      expect(run.stdout).not.toContain('│');
      expect(await keysMatching(redis, '*cosjob-demo-*')).toEqual(before);
      expect(await redis.call('GET', foreignKey)).toBe('keep me');
      await redis.call('DEL', foreignKey);
    },
    FULL_RUN_TIMEOUT_MS,
  );

  it.skipIf(findOnPath('redis-server', process.env.PATH) === undefined)(
    'with no settings: starts its own redis-server and tells the whole story',
    async () => {
      const run = await runDemo([], { PATH: process.env.PATH ?? '' });

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const out = run.stdout;
      expect(out).toContain('a private redis-server on 127.0.0.1:');
      // Step 2: three cards, printed as text.
      expect(out.match(/🗂️ COS batch job awaiting approval/g)).toHaveLength(3);
      expect(out).toContain('[ Approve ] [ Cancel ] [ View audit trail ]');
      // Step 3: the ephemeral Mallory sees.
      expect(out).toMatch(/👁 🚫 Approve job [0-9a-f-]+: not done\./);
      // Step 4: approved card, audit echo and progress in the thread, then the Complete summary.
      expect(out).toContain('✅ COS batch job approved');
      expect(out).toMatch(/🧵 #\d+ .* @alice approved the job/);
      expect(out).toMatch(/🧵 ⏳ Job `[0-9a-f-]+` is Active: \d+% done/);
      expect(out).toMatch(/🧵 🏁 Complete · job/);
      // Step 5: the reason modal, then the cancelled card.
      expect(out).toContain('▢ Cancel COS job');
      expect(out).toContain('▢ [ Keep job ] [ Cancel job ]');
      expect(out).toContain('🛑 COS batch job cancelled');
      // Step 6 and 7.
      expect(out).toContain('↪️ COS batch job changed outside Slack');
      expect(out).toContain('👁 COS batch jobs (');
      expect(out).toContain('👁 ✅ Hash chain verified');
      // Step 8: the tamper demonstration names the edited entry.
      expect(out).toMatch(/❌ verify \(copy\): entry #\d+ was edited/);
      expectSuccessfulSummary(out);
      // Demo secrets are random and never printed; nothing that looks like one appears.
      expect(out).not.toMatch(/xoxb-|q-signature|AKID/);
    },
    FULL_RUN_TIMEOUT_MS,
  );

  it(
    'stops everything and exits 1 with a clear message when the deadline passes',
    async () => {
      let stderr = '';
      // Far shorter than the copy job alone takes to run in the emulator, so the deadline always wins.
      const code = await runDemoCli(
        ['--quiet'],
        {
          stdout: () => undefined,
          stderr: (text) => (stderr += text),
          env: { REDIS_URL: redisUrl, PATH: '' },
        },
        { timeoutMs: 1_500 },
      );
      expect(code).toBe(1);
      expect(stderr).toContain('the demo did not finish within 2 s and was stopped');
      expect(stderr).not.toContain('did not all stop');
    },
    FULL_RUN_TIMEOUT_MS,
  );

  it('exits 130 when interrupted (Ctrl-C)', async () => {
    const interrupt = new AbortController();
    interrupt.abort();
    let stderr = '';
    const code = await runDemoCli(
      ['--quiet'],
      { stdout: () => undefined, stderr: (text) => (stderr += text), env: { REDIS_URL: redisUrl, PATH: '' } },
      { signal: interrupt.signal },
    );
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted');
  });

  it('exits 2, saying what to do, when redis-server is missing and REDIS_URL is not set', async () => {
    const run = await runDemo(['--quiet'], { PATH: '/nonexistent-for-cosjob-demo' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('redis-server was not found on the PATH');
    expect(run.stderr).toContain('REDIS_URL');
  });

  it('exits 2 for an unusable REDIS_URL, without echoing its password', async () => {
    const run = await runDemo(['--quiet'], { REDIS_URL: 'http://user:hunter2secret@127.0.0.1:1', PATH: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('REDIS_URL');
    expect(run.stderr).not.toContain('hunter2secret');
  });

  it('exits 2 with the usage for an unknown argument, and 0 for --help', async () => {
    const unknown = await runDemo(['--loud'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown argument "--loud"');
    expect(unknown.stderr).toContain('Usage: npm run demo');
    const help = await runDemo(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--quiet');
  });

  it('main.ts turns the result into the process exit code', () => {
    // The quickest path through the real entry point: no Redis, so it stops at the set-up check.
    const main = fileURLToPath(new URL('../../demo/main.ts', import.meta.url));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: '/nonexistent-for-cosjob-demo' };
    delete env.REDIS_URL;
    const child = spawnSync(process.execPath, ['--import', 'tsx', main, '--quiet'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.status).toBe(2);
    expect(child.stderr).toContain('redis-server was not found on the PATH');
  });
});
