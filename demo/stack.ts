/**
 * Everything the demo runs, started in one place and stopped in reverse order: Redis (REDIS_URL or a
 * private redis-server), the COS emulator, the fake Slack Web API, and cosjob itself through the same
 * composition root as `npm start` (startRuntime) with its real Bolt HTTP receiver.
 *
 * Every secret is random per run: the Bolt receiver listens on a real port, and a signing secret printed
 * in the source would let anyone nearby click the demo's buttons.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AppConfig, accountFromEnvironment } from '../src/config/index.js';
import { isFinished } from '../src/cos/model.js';
import { createLogger, type Logger } from '../src/logger.js';
import {
  closeRedis,
  createRedis,
  parseRedisUrl,
  type RedisClient,
  redactRedisUrl,
  waitForReady,
} from '../src/redis/connection.js';
import { KeySpace } from '../src/redis/keys.js';
import { replyArray, replyString, UnexpectedReplyError } from '../src/redis/replies.js';
import { type Runtime, startRuntime } from '../src/runtime.js';
import type { CreateJobInput } from '../tools/cos/create-job-xml.js';
import {
  type EmulatedJob,
  type EmulatorAccount,
  loadSeedFile,
  type RunningEmulator,
  type SeedJob,
  startEmulator,
} from '../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../tools/fakes/fake-slack.js';
import { startRedisServer, type TestRedisServer } from '../tools/redis-server.js';

export const REGIONS = ['ap-guangzhou', 'ap-shanghai'] as const;
export const CHANNEL = 'C0DEMOJOBS';
export const BOT = { botId: 'B0DEMOBOT', botUserId: 'U0DEMOBOT' } as const;

export interface DemoPerson {
  id: string;
  name: string;
}
export const ALICE: DemoPerson = { id: 'UALICE', name: 'alice' };
export const BOB: DemoPerson = { id: 'UBOB', name: 'bob' };
export const MALLORY: DemoPerson = { id: 'UMALLORY', name: 'mallory' };
export const PEOPLE = [ALICE, BOB, MALLORY] as const;

/** Setting problems the person running the demo can fix (exit code 2), as opposed to demo failures. */
export class DemoSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoSetupError';
  }
}

export interface DemoStackOptions {
  /** REDIS_URL when set: the demo then uses its own key prefix there and deletes its keys at the end. */
  redisUrl?: string;
  /** PATH to look for redis-server in (default process.env.PATH). */
  searchPath?: string;
  /** Where cosjob's own log lines go (already redacted JSON). */
  writeLog: (line: string) => void;
}

export interface StoryJobs {
  copy: EmulatedJob;
  restore: EmulatedJob;
  destroy: EmulatedJob;
}

export interface DemoStack {
  readonly runId: string;
  readonly config: AppConfig;
  readonly signingSecret: string;
  readonly redisDescription: string;
  readonly externalRedis: boolean;
  readonly emulator: RunningEmulator;
  readonly slack: FakeSlack;
  readonly runtime: Runtime;
  /** The demo's own connection (tamper copy, clean-up); cosjob keeps its own. */
  readonly admin: RedisClient;
  readonly account: EmulatorAccount;
  /** Creates the three jobs the story is about, waiting for confirmation. */
  createStoryJobs(): StoryJobs;
  /** Stops everything that was started, in reverse order; safe to call more than once. */
  stop(): Promise<void>;
}

/** Lifecycle steps short enough that a job runs to the end in a few seconds of real time. */
const FAST_LIFECYCLE = {
  newMs: 150,
  preparingMs: 200,
  readyMs: 200,
  tasksPerSecond: 2_000,
  completingMs: 200,
  cancellingMs: 200,
  failingMs: 200,
  tickMs: 50,
};

const COPY_TASKS = 4_800;

export function findOnPath(command: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Finished jobs from examples/emulator-seed.json, so `/cosjob list all` shows some history. The seed's
 * waiting and running jobs are left out: the story creates its own, and a fourth card would confuse it.
 */
async function historyFromSeed(logger: Logger): Promise<SeedJob[]> {
  const path = fileURLToPath(new URL('../../examples/emulator-seed.json', import.meta.url));
  try {
    return (await loadSeedFile(path)).filter((job) => job.status !== undefined && isFinished(job.status));
  } catch (error) {
    logger.warn('the example seed could not be loaded; the job list will show only the story jobs', {
      error,
    });
    return [];
  }
}

function storyJobInput(account: EmulatorAccount, region: string, runId: string) {
  const bucket = (name: string) => `qcs::cos:${region}:uid/${account.appId}:${name}-${account.appId}`;
  const base = {
    confirmationRequired: true,
    roleArn: `qcs::cam::uin/${account.uin}:roleName/COS_Batch_QcsRole`,
  };
  const manifest = (file: string, etagSeed: string) => ({
    objectArn: `${bucket('manifests')}/batch/${file}`,
    etag: `"${Buffer.from(etagSeed).toString('hex').padEnd(32, '0').slice(0, 32)}"`,
    format: 'COSBatchOperations_CSV_V1',
    fields: ['Bucket', 'Key'],
  });
  const copy: CreateJobInput = {
    ...base,
    clientRequestToken: `demo-copy-${runId}`,
    description: 'Copy 2025 product images to the CDN origin bucket',
    priority: 20,
    manifest: manifest('product-images-2025.csv', 'product-images'),
    operation: { kind: 'COSPutObjectCopy', targetResource: bucket('cdn-origin') },
    report: { bucket: bucket('batch-reports'), enabled: true, prefix: 'job-result', reportScope: 'AllTasks' },
  };
  const restore: CreateJobInput = {
    ...base,
    clientRequestToken: `demo-restore-${runId}`,
    description: 'Restore Q3 audit logs from ARCHIVE for the compliance review',
    priority: 5,
    manifest: manifest('audit-logs-q3.csv', 'audit-logs-q3'),
    operation: { kind: 'COSInitiateRestoreObject', expirationInDays: 7, jobTier: 'Standard' },
  };
  const destroy: CreateJobInput = {
    ...base,
    clientRequestToken: `demo-delete-${runId}`,
    description: 'Delete expired user uploads older than 400 days',
    priority: 1,
    manifest: manifest('expired-uploads.csv', 'expired-uploads'),
    operation: { kind: 'COSDeleteObject' },
  };
  return { copy, restore, destroy };
}

export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  const runId = randomBytes(4).toString('hex');
  const keyPrefix = `cosjob-demo-${runId}`;
  const logger = createLogger({ level: 'info', write: options.writeLog });
  const stops: (() => Promise<void>)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const step of stops.reverse()) {
      await step().catch((error: unknown) => logger.warn('a demo component did not stop cleanly', { error }));
    }
  };

  try {
    // ---- Redis ----
    let redisUrl: string;
    let redisDescription: string;
    const externalRedis = options.redisUrl !== undefined;
    if (options.redisUrl !== undefined) {
      try {
        parseRedisUrl(options.redisUrl);
      } catch (error) {
        throw new DemoSetupError(
          `${(error as Error).message}. Fix REDIS_URL, or unset it to use a private redis-server.`,
        );
      }
      redisUrl = options.redisUrl;
      redisDescription = `${redactRedisUrl(redisUrl)} (REDIS_URL), key prefix ${keyPrefix}`;
    } else {
      if (findOnPath('redis-server', options.searchPath) === undefined) {
        throw new DemoSetupError(
          'redis-server was not found on the PATH. Install Redis (Debian/Ubuntu: apt-get install -y redis-server; ' +
            'macOS: brew install redis), or set REDIS_URL=redis://host:port to use a Redis you already run.',
        );
      }
      let server: TestRedisServer;
      try {
        server = await startRedisServer();
      } catch (error) {
        throw new DemoSetupError(
          `a private redis-server could not be started: ${(error as Error).message}\nSet REDIS_URL to use another Redis.`,
        );
      }
      stops.push(() => server.stop());
      redisUrl = server.url;
      redisDescription = `a private redis-server on 127.0.0.1:${server.port} (stopped at the end)`;
    }
    const admin = createRedis({ url: redisUrl, keyPrefix }, { role: 'background', logger });
    stops.push(() => closeRedis(admin));
    try {
      await waitForReady(admin, 5_000);
    } catch (error) {
      throw new DemoSetupError(
        `Redis at ${redactRedisUrl(redisUrl)} did not answer: ${(error as Error).message}. ` +
          'Check that it runs and that REDIS_URL is right, or unset REDIS_URL to use a private redis-server.',
      );
    }
    if (externalRedis) {
      // The run's keys (and the tamper copy's) go, whatever happened; nothing else is touched.
      stops.push(async () => {
        await deleteRunKeys(admin, [keyPrefix, tamperCopyPrefix(keyPrefix)]);
      });
    }

    // ---- COS emulator ----
    const account: EmulatorAccount = {
      uin: '100000000001',
      appId: '1250000000',
      secretId: `AKIDcosjobDemo${runId}`,
      secretKey: randomBytes(24).toString('hex'),
    };
    const emulator = await startEmulator({
      accounts: [account],
      lifecycle: FAST_LIFECYCLE,
      autoAdvance: true,
      seed: await historyFromSeed(logger),
      defaultRegion: REGIONS[0],
      logger,
    });
    stops.push(() => emulator.close());

    // ---- fake Slack ----
    const botToken = `xoxb-demo-${randomBytes(12).toString('hex')}`;
    const signingSecret = randomBytes(24).toString('hex');
    const slack = await startFakeSlack({
      expectedToken: botToken,
      ...BOT,
      users: PEOPLE.map((p) => ({ id: p.id, name: p.name })),
    });
    stops.push(() => slack.close());

    // ---- cosjob ----
    const config: AppConfig = {
      accounts: [
        accountFromEnvironment({
          secretId: account.secretId,
          secretKey: account.secretKey,
          appId: account.appId,
          uin: account.uin,
          regions: [...REGIONS],
        }),
      ],
      cosEndpoint: emulator.url,
      redis: { url: redisUrl, keyPrefix },
      approvals: {
        approverUserIds: [ALICE.id, BOB.id],
        approverUsergroupIds: [],
        requiredApprovals: 1,
        requireCancelReason: true,
        auditHmacKey: randomBytes(32).toString('hex'),
      },
      audit: { checkpointIntervalMs: 3_600_000, checkpointChannelId: CHANNEL },
      watcher: { pollIntervalSeconds: 1 },
      slack: { botToken, channelId: CHANNEL, signingSecret, port: 0, apiUrl: slack.apiUrl },
    };
    const runtime = await startRuntime({
      config,
      logger,
      cosOverrides: { timeouts: { deadlineMs: 5_000 }, retry: { baseDelayMs: 20, maxDelayMs: 200 } },
      // Answer Slack once the listeners are done, so every card update has happened when a click returns;
      // no pacing (the fake Slack has no rate limit); every progress change is reported.
      slack: { bot: BOT, processBeforeResponse: true, postIntervalMs: 0 },
      engine: { reconcileGraceMs: 0, progressIntervalMs: 0, instanceId: `demo-${runId}` },
      // The story polls by hand, so each step shows the effect of exactly one pass.
      startWatcher: false,
    });
    stops.push(() => runtime.stop());

    return {
      runId,
      config,
      signingSecret,
      redisDescription,
      externalRedis,
      emulator,
      slack,
      runtime,
      admin,
      account,
      createStoryJobs() {
        const inputs = storyJobInput(account, REGIONS[0], runId);
        const restoreInput = storyJobInput(account, REGIONS[1], runId).restore;
        const waiting = { status: 'Suspended' as const };
        return {
          copy: emulator.store.createJob(REGIONS[0], inputs.copy, { ...waiting, totalTasks: COPY_TASKS }),
          restore: emulator.store.createJob(REGIONS[1], restoreInput, { ...waiting, totalTasks: 3_120 }),
          destroy: emulator.store.createJob(REGIONS[0], inputs.destroy, { ...waiting, totalTasks: 125_400 }),
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Where the tamper demonstration copies the audit trail to. */
export function tamperCopyPrefix(keyPrefix: string): string {
  return `${keyPrefix}-copy`;
}

/** Deletes every key of these prefixes (their audit, per-job and plain keys), and nothing else. */
export async function deleteRunKeys(redis: RedisClient, prefixes: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const prefix of prefixes) {
    const patterns = Object.values(new KeySpace(prefix).patterns());
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const reply = replyArray(await redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 200), 'SCAN');
        const next = replyString(reply[0]);
        const keys = replyArray(reply[1], 'SCAN').map(replyString);
        if (next === undefined || keys.some((key) => key === undefined)) {
          throw new UnexpectedReplyError('SCAN', '[cursor, [key, …]]');
        }
        cursor = next;
        if (keys.length > 0) deleted += Number(await redis.call('DEL', ...(keys as string[])));
      } while (cursor !== '0');
    }
  }
  return deleted;
}
