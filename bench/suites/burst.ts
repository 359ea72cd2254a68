/**
 * 7. A burst of new jobs: 60 Suspended jobs found by one watcher pass, through the production runtime
 * (startRuntime: Bolt, the paced channel poster at Slack's one message a second, digests) against the
 * emulator, a real redis-server and the fake Slack Web API. Measured: from the pass's discovery to the
 * moment the last of the 60 jobs has an Approve button in Slack (its digest row), the "every one
 * of 60 new jobs actionable in Slack within 5 s of discovery".
 */
import { performance } from 'node:perf_hooks';
import { type AppConfig, accountFromEnvironment } from '../../src/config/index.js';
import { silentLogger } from '../../src/logger.js';
import { type Runtime, startRuntime } from '../../src/runtime.js';
import { approveValues } from '../../test/helpers/slack-messages.js';
import { startEmulator } from '../../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
import { BENCH_ACCOUNT, BENCH_REGION, benchJobInput } from '../fixtures.js';
import { measurementFromSamples } from '../harness.js';
import type { BenchParams } from '../params.js';
import { startBenchRedis } from '../redis.js';
import { type BenchGroup, row } from '../report.js';

const BURST_JOBS = 60;
const TARGET_S = 5;
const BOT = { botId: 'B0BENCH', botUserId: 'U0BENCH' };
const BOT_TOKEN = 'xoxb-bench-0000-burst';
const ACTIONABLE_TIMEOUT_MS = 30_000;

/** The `region|jobId` values of every Approve button in the channel's top-level messages. */
function actionableJobs(slack: FakeSlack, channel: string): Set<string> {
  return new Set(slack.messages(channel).flatMap((message) => approveValues(message)));
}

interface BurstRun {
  /** Seconds from the discovery pass's start to the last job's first Approve button. */
  allActionableS: number;
  /** Per job: seconds from its own discovery (job_pending) to its first Approve button. */
  perJobS: number[];
  digests: number;
}

export async function runBurstBench(params: BenchParams): Promise<BenchGroup> {
  const repetitions = Math.max(1, params.decisions.repetitions);
  const redis = await startBenchRedis('none');
  const slack = await startFakeSlack({ expectedToken: BOT_TOKEN, ...BOT });
  const runs: BurstRun[] = [];
  try {
    for (let repetition = 0; repetition < repetitions; repetition++) {
      runs.push(await oneBurst(redis.url, redis.newPrefix(), slack, `C0BURST${repetition}`));
    }
  } finally {
    await slack.close();
    await redis.close();
  }
  const allActionable = runs.map((r) => r.allActionableS);
  const worst = Math.max(...allActionable);
  const measurement = measurementFromSamples(
    'burst all actionable',
    allActionable.map((s) => s * 1000),
    allActionable.map((s) => BURST_JOBS / s),
    BURST_JOBS,
  );
  const perJob = runs.flatMap((r) => r.perJobS);
  return {
    id: 'burst',
    title:
      'A burst of 60 new jobs (src/slack/digests.ts, startRuntime + emulator + redis-server + fake Slack)',
    rows: [
      row('burst.all_actionable_s', `every one of ${BURST_JOBS} new jobs actionable in Slack`, measurement, {
        unit: 'jobs/s',
        headline: 'latency',
        details: {
          all_actionable_s: Number(worst.toFixed(3)),
          target_s: TARGET_S,
          within_target: worst <= TARGET_S ? 'yes' : 'no',
          per_job_max_s: Number(Math.max(...perJob).toFixed(3)),
          digests_per_burst: runs[0]?.digests ?? 0,
        },
      }),
    ],
    figures: {
      'burst.all_actionable_s': worst,
      'burst.per_job_max_s': Math.max(...perJob),
      'burst.digests_per_burst': runs[0]?.digests ?? 0,
    },
    notes: [
      `Redis: ${redis.description}. Slack's pace: one message per ${1.1} s per channel (the poster's default).`,
      `${repetitions} burst(s) of ${BURST_JOBS} jobs, each with a fresh runtime, emulator and channel; latency is from the pass's discovery start to the last job's Approve button (worst ${worst.toFixed(2)} s; target ${TARGET_S} s).`,
    ],
  };
}

async function oneBurst(
  redisUrl: string,
  keyPrefix: string,
  slack: FakeSlack,
  channel: string,
): Promise<BurstRun> {
  const emulator = await startEmulator({ accounts: [BENCH_ACCOUNT] });
  let runtime: Runtime | undefined;
  try {
    const config: AppConfig = {
      accounts: [
        accountFromEnvironment({
          secretId: BENCH_ACCOUNT.secretId,
          secretKey: BENCH_ACCOUNT.secretKey,
          appId: BENCH_ACCOUNT.appId,
          uin: BENCH_ACCOUNT.uin,
          regions: [BENCH_REGION],
        }),
      ],
      cosEndpoint: emulator.url,
      redis: { url: redisUrl, keyPrefix },
      approvals: {
        approverUserIds: ['U0BENCHAPPROVER'],
        approverUsergroupIds: [],
        requiredApprovals: 1,
        requireCancelReason: true,
      },
      audit: { checkpointIntervalMs: 3_600_000, checkpointChannelId: channel },
      watcher: { pollIntervalSeconds: 60 },
      slack: {
        botToken: BOT_TOKEN,
        channelId: channel,
        signingSecret: 'bench-signing-secret-0123456789abcdef',
        port: 0,
        apiUrl: slack.apiUrl,
      },
    };
    runtime = await startRuntime({
      config,
      logger: silentLogger,
      slack: { bot: BOT, processBeforeResponse: true },
      startWatcher: false,
    });
    const ids = Array.from(
      { length: BURST_JOBS },
      () =>
        emulator.store.createJob(BENCH_REGION, benchJobInput(), { status: 'Suspended', totalTasks: 1_200 })
          .id,
    );
    const expected = new Set(ids.map((id) => `${BENCH_REGION}|${id}`));
    const discoveredAt = new Map<string, number>();
    const actionableAt = new Map<string, number>();
    let passStartedAt = Number.NaN;
    const offs = [
      runtime.engine.events.on('region_discovery_started', () => {
        if (Number.isNaN(passStartedAt)) passStartedAt = performance.now();
      }),
      runtime.engine.events.on('job_pending', ({ region, job }) => {
        discoveredAt.set(`${region}|${job.id}`, performance.now());
      }),
    ];
    const pass = runtime.engine.watcher.pollOnce();
    await slack.waitFor((fake) => {
      const now = performance.now();
      for (const ref of actionableJobs(fake, channel)) if (!actionableAt.has(ref)) actionableAt.set(ref, now);
      return [...expected].every((ref) => actionableAt.has(ref));
    }, ACTIONABLE_TIMEOUT_MS);
    await pass;
    for (const off of offs) off();
    const lastActionable = Math.max(...[...expected].map((ref) => actionableAt.get(ref) ?? Number.NaN));
    const perJobS = [...expected].map(
      (ref) => ((actionableAt.get(ref) ?? Number.NaN) - (discoveredAt.get(ref) ?? Number.NaN)) / 1000,
    );
    const digests = slack
      .messages(channel)
      .filter(
        (m) => (m.metadata as { event_type?: string } | undefined)?.event_type === 'cosjob_digest',
      ).length;
    return { allActionableS: (lastActionable - passStartedAt) / 1000, perJobS, digests };
  } finally {
    // The remaining cards would take a minute at Slack's pace; they are not what is measured.
    await runtime?.stop();
    await emulator.close();
  }
}
