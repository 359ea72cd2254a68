/**
 * 7. What users feel, measured from outside: cosjob (`node dist/src/main.js`, configured by environment
 * only) and a bare Bolt app (bench/bare-bolt.mjs) as child processes, the COS emulator in a third, the
 * fake Slack Web API and a bench redis-server. Clicks are signed block_actions over real HTTP.
 *
 * - click storm: every approver clicks Approve once on every waiting job; the same bodies go to both
 *   apps in alternating rounds, so a noisy moment on the machine hits both.
 * - discovery: 10,000 jobs of which 1,000 wait; the first poll cycle, with clicks answered meanwhile,
 *   then a cycle with nothing new. Cycle bounds come from the emulator's request log (cycles are
 *   separated by the poll interval, in which cosjob makes no COS request).
 * - footprint: RSS and time to ready of both processes.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startFakeSlack } from '../../tools/fakes/fake-slack.js';
import {
  approveClick,
  type Click,
  ClickSender,
  type ClickTarget,
  type SentClick,
  shuffled,
} from '../app/clicks.js';
import {
  type AppProcess,
  BARE_BOLT_ENTRY,
  buildIfStale,
  COSJOB_ENTRY,
  freePort,
  startApp,
  startScriptNodeOptions,
} from '../app/processes.js';
import type { LoggedRequest } from '../emulator-peer.js';
import { type EmulatorProcess, startEmulatorProcess } from '../emulator-process.js';
import { BENCH_ACCOUNT, BENCH_REGION } from '../fixtures.js';
import { measurementFromSamples, percentile } from '../harness.js';
import type { AppParams, BenchParams } from '../params.js';
import { callsBetween, commandCalls, startBenchRedis } from '../redis.js';
import { type BenchGroup, type BenchRow, compare, formatRatio, row } from '../report.js';

const BOT_TOKEN = 'xoxb-bench-0000-notasecret';
const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const CHANNEL = 'CBENCHCARDS';
const APPROVE_ACTION_ID = 'cosjob_approve';
/** Between two clicks rounds, an app counts as quiet when it used less than this share of a core. */
const QUIET_CPU_SHARE = 0.1;
/**
 * A full garbage collection of the bench process, where the runtime allows it (V8's `gc`, exposed here
 * rather than with a command-line flag so `npm run bench` needs none).
 */
const collectBenchGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  return gc ?? (() => undefined);
})();

/** Quiet poll cycles measured after the cards are posted; the figure is their median. */
const STEADY_CYCLES = 5;

type Figures = Record<string, number>;

function approverIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `UBENCHAPPR${i + 1}`);
}

function cosjobEnv(o: {
  emulatorUrl: string;
  slackApiUrl: string;
  redisUrl: string;
  keyPrefix: string;
  approvers: string[];
  pollIntervalSeconds: number;
  postIntervalMs: number;
}): Record<string, string> {
  return {
    COS_SECRET_ID: BENCH_ACCOUNT.secretId,
    COS_SECRET_KEY: BENCH_ACCOUNT.secretKey,
    COS_APPID: BENCH_ACCOUNT.appId,
    COS_UIN: BENCH_ACCOUNT.uin,
    COS_REGIONS: BENCH_REGION,
    COS_ENDPOINT: o.emulatorUrl,
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: o.keyPrefix,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL_ID: CHANNEL,
    SLACK_API_URL: o.slackApiUrl,
    APPROVER_USER_IDS: o.approvers.join(','),
    // One approval decides: the first click per job calls COS, the other approvers' clicks are refused as
    // already decided, so any UpdateJobStatus beyond one per job is a duplicate.
    REQUIRED_APPROVALS: '1',
    POLL_INTERVAL_SECONDS: String(o.pollIntervalSeconds),
    SLACK_POST_INTERVAL_MS: String(o.postIntervalMs),
    LOG_LEVEL: 'info',
  };
}

/** A burst's digest lists many jobs in one message; it is not a job's card. */
function isCard(message: { metadata?: unknown }): boolean {
  return (message.metadata as { event_type?: unknown } | undefined)?.event_type !== 'cosjob_digest';
}

/** The Approve buttons on the channel's cards (not the digests'): what a person would click. */
function cardTargets(
  messages: readonly { ts: string; blocks?: unknown[]; metadata?: unknown }[],
): ClickTarget[] {
  const targets: ClickTarget[] = [];
  for (const message of messages.filter(isCard)) {
    const button = findAction(message.blocks, APPROVE_ACTION_ID);
    if (button?.value === undefined) continue;
    targets.push({ channel: CHANNEL, messageTs: message.ts, value: button.value, job: button.value });
  }
  return targets;
}

function findAction(node: unknown, actionId: string): { value?: string } | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findAction(item, actionId);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  const record = node as Record<string, unknown>;
  if (record.action_id === actionId)
    return { ...(typeof record.value === 'string' ? { value: record.value } : {}) };
  for (const value of Object.values(record)) {
    if (typeof value === 'object') {
      const found = findAction(value, actionId);
      if (found) return found;
    }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function p(samples: readonly number[], q: number): number {
  return percentile(
    [...samples].sort((a, b) => a - b),
    q,
  );
}

function checkAcks(name: string, sent: readonly SentClick[]): void {
  const bad = sent.filter((s) => s.status !== 200);
  if (bad.length > 0) {
    throw new Error(`${name} answered ${bad.length} of ${sent.length} clicks with HTTP ${bad[0]?.status}`);
  }
}

// ---- click storm and footprint ----

/** Waits until `proc` used less than QUIET_CPU_SHARE of a core over 250 ms (at most 60 s). */
async function untilQuiet(proc: AppProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  let before = await proc.cpuMs();
  while (Date.now() < deadline) {
    await sleep(250);
    const now = await proc.cpuMs();
    if (now - before < 250 * QUIET_CPU_SHARE) return;
    before = now;
  }
}

/**
 * cosjob's node options: package.json's start script's, or BENCH_NODE_OPTIONS when it is set (to compare
 * V8 settings on the whole app suite: BENCH_NODE_OPTIONS= runs plain `node`).
 */
function cosjobNodeOptions(): string[] {
  const override = process.env.BENCH_NODE_OPTIONS;
  return override === undefined ? startScriptNodeOptions() : override.split(/\s+/).filter(Boolean);
}

/** What bench/footprint.ts changes in the storm: cosjob's node options, and a look at the process at each phase. */
export interface StormOptions {
  /** Instead of package.json's `start` options. */
  nodeOptions?: readonly string[];
  /** Added to cosjob's environment (e.g. MALLOC_ARENA_MAX, to compare allocator settings). */
  env?: Record<string, string>;
  /** Called with cosjob's process once the idle figures are taken, and once the after-storm ones are. */
  onPhase?: (phase: 'idle' | 'after_storm', cosjob: AppProcess) => Promise<void>;
}

export async function clickStorm(
  app: AppParams,
  figures: Figures,
  rows: BenchRow[],
  notes: string[],
  options: StormOptions = {},
): Promise<void> {
  const approvers = approverIds(app.approvers);
  const fake = await startFakeSlack({
    expectedToken: BOT_TOKEN,
    users: approvers.map((id, i) => ({ id, name: `approver${i + 1}` })),
  });
  const emulator = await startEmulatorProcess(app.stormJobs, app.stormJobs);
  const redis = await startBenchRedis('none');
  const processes: AppProcess[] = [];
  const senders: ClickSender[] = [];
  try {
    const cosjob = await startApp(
      'cosjob',
      COSJOB_ENTRY,
      {
        ...cosjobEnv({
          emulatorUrl: emulator.url,
          slackApiUrl: fake.apiUrl,
          redisUrl: redis.url,
          keyPrefix: redis.newPrefix(),
          approvers,
          // The default: the storm meets the watcher as it runs in production.
          pollIntervalSeconds: 15,
          postIntervalMs: app.postIntervalMs,
        }),
        ...options.env,
      },
      await freePort(),
      options.nodeOptions ?? cosjobNodeOptions(),
    );
    processes.push(cosjob);
    const announceStarted = performance.now();
    const bare = await startApp(
      'bare bolt',
      BARE_BOLT_ENTRY,
      { SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.apiUrl },
      await freePort(),
    );
    processes.push(bare);
    figures['footprint.time_to_ready_s'] = cosjob.timeToReadyS;
    figures['footprint.bare_bolt_time_to_ready_s'] = bare.timeToReadyS;
    notes.push(
      `time to ready: spawn of \`node dist/src/main.js\` until ${cosjob.readyEndpoint} answers 200 ` +
        `(bare Bolt: ${bare.readyEndpoint}); \`npm start\` adds its prestart build (tsc) on top.`,
    );

    // Cards go out at the pace SLACK_POST_INTERVAL_MS sets (Slack's ~1.1 s by default, faster against the
    // fake); the storm waits for every card before it starts.
    const targets = await fake.waitFor(
      (f) => {
        const found = cardTargets(f.messages(CHANNEL));
        return found.length >= app.stormJobs ? found : undefined;
      },
      app.stormJobs * 3_000 + 30_000,
    );
    figures['click_storm.cards_posted_s'] = (performance.now() - announceStarted) / 1000;
    // Idle: a few seconds after the last card (cards once took ~110 s to trickle out, so "idle" came late).
    await sleep(3_000);
    // What cosjob burns doing nothing (lease renewals, timers, the probe's own sampling): the floor under
    // any per-cycle CPU figure, whose window spans about one poll interval.
    const idleCpuBefore = await cosjob.cpuMs();
    await sleep(2_000);
    figures['footprint.idle_cpu_ms_per_s'] = ((await cosjob.cpuMs()) - idleCpuBefore) / 2;
    figures['footprint.rss_idle_mb'] = await cosjob.rssMb();
    figures['footprint.heap_used_idle_mb'] = (await cosjob.memoryMb()).heapUsed;
    figures['footprint.bare_bolt_rss_idle_mb'] = await bare.rssMb();
    await options.onPhase?.('idle', cosjob);

    const clicks: Click[] = shuffled(
      targets.flatMap((target) =>
        approvers.map((userId) =>
          approveClick(
            target,
            userId,
            APPROVE_ACTION_ID,
            fake.responseUrl(`${target.messageTs}-${userId}`, {
              user: userId,
              channel: CHANNEL,
            }),
          ),
        ),
      ),
      20_260_101,
    );
    const bareSender = new ClickSender(bare.baseUrl, SIGNING_SECRET, app.inFlight);
    const cosjobSender = new ClickSender(cosjob.baseUrl, SIGNING_SECRET, app.inFlight);
    senders.push(bareSender, cosjobSender);
    const sent = { bare: [] as SentClick[], cosjob: [] as SentClick[] };
    const rates = { bare: [] as number[], cosjob: [] as number[] };
    // Warm-up, unmeasured: clicks whose button value is not a job reference, which both apps acknowledge
    // and cosjob refuses before any decision, so the JIT and the connections are warm for both.
    const junk: ClickTarget = {
      channel: CHANNEL,
      messageTs: '1700000000.000001',
      value: 'not-a-job-ref',
      job: '',
    };
    const warmup = approvers.flatMap((userId) =>
      Array.from({ length: 8 }, (_, i) =>
        approveClick(junk, userId, APPROVE_ACTION_ID, fake.responseUrl(`warmup-${userId}-${i}`)),
      ),
    );
    for (const sender of [bareSender, cosjobSender])
      checkAcks(sender.baseUrl, await sender.sendAll(warmup, app.inFlight));
    await sleep(500);
    const benchLag = monitorEventLoopDelay({ resolution: 10 });
    benchLag.enable();
    let benchLagMaxMs = 0;
    const redisBefore = await commandCalls(redis.url);
    const stormStart = await cosjob.record();
    const perRound = Math.ceil(clicks.length / app.rounds);
    for (let round = 0; round < app.rounds; round++) {
      const slice = clicks.slice(round * perRound, (round + 1) * perRound);
      if (slice.length === 0) continue;
      const order = round % 2 === 0 ? (['bare', 'cosjob'] as const) : (['cosjob', 'bare'] as const);
      for (const which of order) {
        const sender = which === 'bare' ? bareSender : cosjobSender;
        const t0 = performance.now();
        // Each app's round starts when both are quiet, so the work one app does after its
        // acknowledgements (decisions, card updates) does not land on the other's round.
        await Promise.all([untilQuiet(cosjob), untilQuiet(bare)]);
        // The bench process (senders and fake Slack, whose recorded calls make its heap large) pays its
        // own garbage collection now rather than in the middle of a round, where it would delay the
        // reading of acknowledgements and be counted against whichever app is being measured.
        collectBenchGarbage();
        // Connections warm again: between rounds they sit idle longer than the receiver's keep-alive
        // (Node's 5 s), and reopening twenty at once would be counted as the round's first acknowledgements.
        checkAcks(which, await sender.sendAll(warmup.slice(0, app.inFlight), app.inFlight));
        benchLag.reset();
        const results = await sender.sendAll(slice, app.inFlight);
        benchLagMaxMs = Math.max(benchLagMaxMs, benchLag.max / 1e6);
        rates[which].push(results.length / ((performance.now() - t0) / 1000));
        checkAcks(which, results);
        sent[which].push(...results);
      }
    }
    const stormEnd = Date.now();
    benchLag.disable();
    figures['click_storm.bench_event_loop_lag_max_ms'] = benchLagMaxMs;
    const stormProbe = await cosjob.summary(stormStart, stormEnd);
    // Counted once the storm's clicks are acknowledged: the work after the last acks is still running, so
    // this is a floor; the settled count below includes it.
    const redisAtAcks = await commandCalls(redis.url);

    // The card's final state: the first chat.update after the job's first click that no longer offers
    // Approve (the card shows the decision). cosjob also re-renders the card after every refused click,
    // so the last chat.update of a card only says when the last click on it was answered.
    const firstClick = new Map<string, number>();
    for (const s of sent.cosjob) {
      const before = firstClick.get(s.click.target.messageTs);
      if (before === undefined || s.sentAt < before) firstClick.set(s.click.target.messageTs, s.sentAt);
    }
    const cardUpdates = () => {
      const decided = new Map<string, number>();
      const last = new Map<string, number>();
      for (const call of fake.callsTo('chat.update')) {
        const ts = String(call.params.ts ?? '');
        const clicked = firstClick.get(ts);
        if (clicked === undefined || call.receivedAt < clicked) continue;
        last.set(ts, call.receivedAt);
        if (!decided.has(ts) && findAction(call.params.blocks, APPROVE_ACTION_ID) === undefined) {
          decided.set(ts, call.receivedAt);
        }
      }
      return { decided, last };
    };
    const settleDeadline = Date.now() + 60_000;
    for (;;) {
      const { decided, last } = cardUpdates();
      const newest = Math.max(0, ...last.values());
      if ((decided.size >= firstClick.size && Date.now() - newest > 1_500) || Date.now() > settleDeadline)
        break;
      await sleep(250);
    }
    const { decided, last } = cardUpdates();
    const clickToCard = [...decided].map(([ts, at]) => at - (firstClick.get(ts) ?? at));
    const clickToLastUpdate = [...last].map(([ts, at]) => at - (firstClick.get(ts) ?? at));
    figures['click_storm.cards_without_update'] = firstClick.size - decided.size;
    figures['click_storm.click_to_card_p50_ms'] = p(clickToCard, 50);
    figures['click_storm.click_to_card_p99_ms'] = p(clickToCard, 99);
    figures['click_storm.click_to_last_card_update_p99_ms'] = p(clickToLastUpdate, 99);
    figures['click_storm.chat_update_calls'] = fake
      .callsTo('chat.update')
      .filter((c) => firstClick.has(String(c.params.ts ?? ''))).length;
    const total = (calls: Array<[string, number]>) => calls.reduce((sum, [, n]) => sum + n, 0);
    const redisCalls = callsBetween(redisBefore, await commandCalls(redis.url));
    const redisTotal = total(redisCalls);
    figures['click_storm.redis_commands_per_click'] = redisTotal / Math.max(1, clicks.length);
    figures['click_storm.redis_commands_per_click_at_acks'] =
      total(callsBetween(redisBefore, redisAtAcks)) / Math.max(1, clicks.length);
    notes.push(
      `storm Redis commands (${redisTotal} for ${clicks.length} clicks, lease renewals included): ${redisCalls
        .slice(0, 12)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ')}.`,
    );
    figures['footprint.rss_after_storm_mb'] = await cosjob.rssMb();
    const memory = await cosjob.memoryMb();
    figures['footprint.heap_used_after_storm_mb'] = memory.heapUsed;
    figures['footprint.heap_total_after_storm_mb'] = memory.heapTotal;
    figures['footprint.external_after_storm_mb'] = memory.external;
    figures['footprint.bare_bolt_rss_after_storm_mb'] = await bare.rssMb();
    await options.onPhase?.('after_storm', cosjob);

    const stats = await emulator.stats();
    figures['click_storm.update_job_status_calls'] = stats.statusUpdates;
    figures['click_storm.duplicates'] = stats.duplicateCalls;
    figures['click_storm.clicks'] = sent.cosjob.length;

    const bareLatency = sent.bare.map((s) => s.latencyMs);
    const cosjobLatency = sent.cosjob.map((s) => s.latencyMs);
    figures['click_storm.bare_ack_p50_ms'] = p(bareLatency, 50);
    figures['click_storm.bare_ack_p99_ms'] = p(bareLatency, 99);
    figures['click_storm.cosjob_ack_p50_ms'] = p(cosjobLatency, 50);
    figures['click_storm.cosjob_ack_p99_ms'] = p(cosjobLatency, 99);
    figures['click_storm.ack_p99_ratio'] =
      figures['click_storm.cosjob_ack_p99_ms'] / figures['click_storm.bare_ack_p99_ms'];
    figures['click_storm.cosjob_event_loop_lag_p99_ms'] = stormProbe.lagP99Ms;
    figures['click_storm.cosjob_event_loop_lag_max_ms'] = stormProbe.lagMaxMs;
    figures['click_storm.cosjob_cpu_ms_per_click'] = stormProbe.cpuMs / Math.max(1, sent.cosjob.length);

    const bareRow = row(
      'app.clickStorm.bare',
      `bare Bolt app, ${clicks.length} Approve clicks, ${app.inFlight} in flight`,
      measurementFromSamples('bare', bareLatency, rates.bare, app.inFlight),
      { unit: 'clicks/s', headline: 'latency', details: { p99Ms: figures['click_storm.bare_ack_p99_ms'] } },
    );
    const cosjobRow = row(
      'app.clickStorm.cosjob',
      `cosjob, the same clicks (${app.stormJobs} jobs × ${app.approvers} approvers)`,
      measurementFromSamples('cosjob', cosjobLatency, rates.cosjob, app.inFlight),
      {
        unit: 'clicks/s',
        headline: 'latency',
        details: {
          p99Ms: figures['click_storm.cosjob_ack_p99_ms'],
          updateJobStatusCalls: stats.statusUpdates,
          duplicates: stats.duplicateCalls,
        },
      },
    );
    compare(
      cosjobRow,
      bareRow,
      'p50',
      (r) =>
        `cosjob acknowledges at ${formatRatio(r)} the bare app's p50 and ` +
        `${formatRatio(figures['click_storm.ack_p99_ratio'] ?? Number.NaN)} its p99 (target ≤ 1.5× at p99)`,
    );
    const cardRow = row(
      'app.clickStorm.clickToCard',
      'first click on a job → the chat.update that shows its decision',
      measurementFromSamples('click to card', clickToCard, [1000 / Math.max(1, p(clickToCard, 50))], 1),
      {
        unit: 'cards/s',
        headline: 'latency',
        details: { p99Ms: figures['click_storm.click_to_card_p99_ms'] },
      },
    );
    compare(
      cardRow,
      cosjobRow,
      'p50',
      (r) => `a card shows the decision ${formatRatio(r)} as late as the click's acknowledgement (p50)`,
    );
    rows.push(bareRow, cosjobRow, cardRow);
    notes.push(
      `storm: ${clicks.length} clicks in ${app.rounds} rounds alternating which app goes first; cards for ` +
        `${app.stormJobs} jobs took ${figures['click_storm.cards_posted_s']?.toFixed(1)} s to be posted before it.`,
    );
  } catch (error) {
    const tails = processes.map(
      (proc) => `--- ${proc.name} output (tail) ---\n${proc.output().slice(-3_000)}`,
    );
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tails.join('\n')}`);
  } finally {
    for (const sender of senders) await sender.close();
    for (const proc of processes) await proc.stop();
    await emulator.close();
    await redis.close();
    await fake.close();
  }
}

// ---- discovery ----

interface Cycle {
  start: number;
  end: number;
  requests: number;
  byApi: Record<string, number>;
}

/**
 * Splits the requests into poll cycles. A cycle lists the waiting jobs (ListJobs pages) and describes each
 * new one, then describes every tracked job once. So the first cycle (everything new) ends once
 * 2 × `waiting` DescribeJob requests have been made, and every later cycle starts with a ListJobs that
 * follows a DescribeJob (with nothing new, its pages come back to back). No timing is involved: a slow
 * moment inside a cycle cannot split it.
 */
export function cycles(entries: readonly LoggedRequest[], waiting: number, gapMs = 300): Cycle[] {
  const out: Cycle[] = [];
  let current: Cycle | undefined;
  let describes = 0;
  let previous: { api: string; at: number } | undefined;
  for (const [api, at] of entries) {
    if (api === 'UpdateJobStatus') continue;
    // The first cycle describes every waiting job once. A later cycle starts at a ListJobs after another
    // call, or after a pause of `gapMs` (the poll interval is seconds; one cycle's requests follow one
    // another within milliseconds): a quiet cycle may be a single ListJobs with no DescribeJob at all.
    const firstCycleDone = describes >= waiting;
    const startsCycle =
      previous !== undefined &&
      api === 'ListJobs' &&
      firstCycleDone &&
      (previous.api !== 'ListJobs' || at - previous.at >= gapMs);
    if (!current || startsCycle) {
      current = { start: at, end: at, requests: 0, byApi: {} };
      out.push(current);
    }
    if (api === 'DescribeJob') describes += 1;
    current.end = at;
    current.requests += 1;
    current.byApi[api] = (current.byApi[api] ?? 0) + 1;
    previous = { api, at };
  }
  return out;
}

export async function discovery(
  app: AppParams,
  figures: Figures,
  rows: BenchRow[],
  notes: string[],
): Promise<void> {
  const approvers = approverIds(app.approvers);
  const fake = await startFakeSlack({
    expectedToken: BOT_TOKEN,
    users: approvers.map((id, i) => ({ id, name: `approver${i + 1}` })),
  });
  const emulator: EmulatorProcess = await startEmulatorProcess(app.discoveryJobs, app.discoveryWaiting);
  const redis = await startBenchRedis('none');
  let cosjob: AppProcess | undefined;
  let sender: ClickSender | undefined;
  try {
    const waitingIds = await emulator.waitingJobs();
    cosjob = await startApp(
      'cosjob',
      COSJOB_ENTRY,
      cosjobEnv({
        emulatorUrl: emulator.url,
        slackApiUrl: fake.apiUrl,
        redisUrl: redis.url,
        keyPrefix: redis.newPrefix(),
        approvers,
        pollIntervalSeconds: 1,
        postIntervalMs: app.postIntervalMs,
      }),
      await freePort(),
      cosjobNodeOptions(),
    );
    await cosjob.record();
    sender = new ClickSender(cosjob.baseUrl, SIGNING_SECRET, 4);

    // Clicks while the first cycle runs, one every discoveryClickIntervalMs, by the approvers in turn. Until
    // the job is discovered a click is refused as unknown; either way it must be answered at once.
    const clickResults: SentClick[] = [];
    let clicking = true;
    let clickIndex = 0;
    const clicker = (async () => {
      const pending: Promise<void>[] = [];
      while (clicking) {
        // All on one job: the first accepted click approves it (one DescribeJob and one UpdateJobStatus),
        // every later one is refused as already decided without a COS call, so clicks never bridge the gap
        // that separates two poll cycles at the emulator.
        const jobId = waitingIds[0] as string;
        const userId = approvers[clickIndex % approvers.length] as string;
        clickIndex += 1;
        const click = approveClick(
          {
            channel: CHANNEL,
            messageTs: `1700000000.${String(clickIndex).padStart(6, '0')}`,
            value: `${BENCH_REGION}|${jobId}`,
            job: jobId,
          },
          userId,
          APPROVE_ACTION_ID,
          fake.responseUrl(`discovery-${clickIndex}`, { user: userId, channel: CHANNEL }),
        );
        const s = sender;
        if (s) pending.push(s.send(click).then((r) => void clickResults.push(r)));
        await sleep(app.discoveryClickIntervalMs);
      }
      await Promise.all(pending);
    })();

    // UpdateJobStatus comes from the one approving click, not the watcher. The first cycle ends at its
    // first quiet gap; then two more cycles.
    const deadline = Date.now() + app.discoveryTimeoutS * 1000;
    let next = 0;
    let all: LoggedRequest[] = [];
    let found: Cycle[] = [];
    // "Nothing new" includes the channel: no steady cycle starts before every card is posted.
    // From then on the probe's delay timer is off, so the steady windows' CPU is cosjob's own (at a 10 ms
    // resolution the timer alone cost ~8 ms per second here); no lag is measured in them.
    let cardsPostedAt: number | undefined;
    // The first cycle after the cards reads again every record their posting changed; the steady ones
    // start with the cycle after it, when nothing has changed since the previous cycle, in COS or in Redis.
    let firstQuietIndex = -1;
    let steadyIndex = -1;
    for (;;) {
      const page = await emulator.log(next);
      next = page.next;
      all = all.concat(page.entries);
      const now = Date.now();
      found = cycles(all, app.discoveryWaiting);
      // Clicks stop when the second cycle starts; the third is complete once a fourth starts.
      if (found.length >= 2) clicking = false;
      if (
        cardsPostedAt === undefined &&
        fake.messages(CHANNEL).filter(isCard).length >= app.discoveryWaiting
      ) {
        await cosjob.sampleLag(false);
        cardsPostedAt = Date.now();
      }
      if (cardsPostedAt !== undefined && steadyIndex < 0) {
        // A window starts 50 ms before its cycle: wholly after the timer went off.
        firstQuietIndex = found.findIndex((c, i) => i >= 2 && c.start - 50 > (cardsPostedAt as number));
        if (firstQuietIndex >= 0) steadyIndex = firstQuietIndex + 1;
      }
      if (found.length >= 4 && steadyIndex >= 2 && found.length > steadyIndex + STEADY_CYCLES) break;
      if (now > deadline)
        throw new Error(`discovery: ${found.length} poll cycle(s) in ${app.discoveryTimeoutS} s`);
      await sleep(100);
    }
    clicking = false;
    await clicker;
    checkAcks('cosjob (discovery)', clickResults);

    const first = found[0] as Cycle;
    const steady = found[steadyIndex] as Cycle;
    const firstProbe = await cosjob.summary(first.start, first.end);
    // The steady cycle's CPU: from a little before its first request (lease, reconciliation) to a little
    // before the next cycle's, so the Redis reads and bookkeeping after its last COS request count too
    // (and so does the idle time in between: an upper bound).
    // Several quiet cycles, their median: one cycle's window is at the mercy of one noisy moment.
    const windowOf = (index: number) => ({
      from: (found[index] as Cycle).start - 50,
      to: (found[index + 1] as Cycle).start - 50,
    });
    const steadyProbes = [];
    // Slack calls in the windows: "nothing new" should mean none (a job still moving would refresh its card).
    const steadySlackCalls: number[] = [];
    for (let k = 0; k < STEADY_CYCLES; k++) {
      const { from, to } = windowOf(steadyIndex + k);
      steadyProbes.push(await cosjob.summary(from, to));
      steadySlackCalls.push(fake.calls.filter((c) => c.receivedAt >= from && c.receivedAt < to).length);
    }
    const firstQuiet = windowOf(firstQuietIndex);
    figures['discovery.first_quiet_cycle_cpu_ms'] = (
      await cosjob.summary(firstQuiet.from, firstQuiet.to)
    ).cpuMs;
    steadyProbes.sort((a, b) => a.cpuMs - b.cpuMs);
    const steadyCpu = steadyProbes.map((probe) => probe.cpuMs);
    const steadyProbe = steadyProbes[Math.floor(steadyProbes.length / 2)];
    if (!steadyProbe) throw new Error('discovery: no steady cycle was measured');
    const stats = await emulator.stats();
    const stillWaiting = app.discoveryWaiting - stats.statusUpdates;
    // One page per 1,000 waiting jobs, plus DescribeJob only for tracked jobs that left the waiting list:
    // at most the ones decided by a click (the watcher knows a listed job's status without asking).
    const expectedCalls = Math.ceil(stillWaiting / 1000) + stats.statusUpdates;
    const acksDuring = clickResults.filter((r) => r.sentAt >= first.start && r.sentAt <= first.end);

    figures['discovery.first_cycle_s'] = (first.end - first.start) / 1000;
    figures['discovery.event_loop_lag_p99_ms'] = firstProbe.lagP99Ms;
    figures['discovery.event_loop_lag_max_ms'] = firstProbe.lagMaxMs;
    figures['discovery.first_cycle_cpu_ms'] = firstProbe.cpuMs;
    figures['discovery.click_ack_p99_ms'] = p(
      acksDuring.map((r) => r.latencyMs),
      99,
    );
    figures['discovery.clicks_during_first_cycle'] = acksDuring.length;
    figures['discovery.steady_cycle_cpu_ms'] = steadyProbe.cpuMs;
    figures['discovery.steady_cycle_cpu_ms_max'] = steadyCpu[steadyCpu.length - 1] ?? Number.NaN;
    figures['discovery.steady_cycles_measured'] = steadyCpu.length;
    figures['discovery.steady_cycle_slack_calls'] = Math.max(...steadySlackCalls);
    figures['discovery.steady_cycle_s'] = (steady.end - steady.start) / 1000;
    figures['discovery.steady_cycle_cos_calls'] = steady.requests;
    figures['discovery.steady_cycle_list_jobs_calls'] = steady.byApi.ListJobs ?? 0;
    figures['discovery.steady_cycle_describe_job_calls'] = steady.byApi.DescribeJob ?? 0;
    figures['discovery.steady_cycle_cos_calls_target'] = expectedCalls;
    // The issue's own formula, which describes every tracked unfinished job (listed or not).
    figures['discovery.steady_cycle_cos_calls_issue_formula'] =
      Math.ceil(stillWaiting / 1000) + app.discoveryWaiting;
    // The poll's own CPU: from 20 ms before the watcher started the poll to 100 ms after it ended, by the
    // bounds it published (POLL_CHANNEL), for the same quiet cycles; the window figure above also holds the
    // idle time until the next cycle.
    const polls = await cosjob.polls();
    const ownCpu: number[] = [];
    for (let k = 0; k < STEADY_CYCLES; k++) {
      const cycle = found[steadyIndex + k] as Cycle;
      // The poll that started last before the cycle's first COS request (the lease and reconciliation come first).
      const poll = polls.filter((p) => p.leader && p.startedAt <= cycle.start + 5).at(-1);
      if (poll) ownCpu.push((await cosjob.summary(poll.startedAt - 20, poll.endedAt + 100)).cpuMs);
    }
    ownCpu.sort((a, b) => a - b);
    figures['discovery.steady_poll_own_cpu_ms'] = ownCpu[Math.floor(ownCpu.length / 2)] ?? Number.NaN;
    figures['discovery.steady_poll_own_cpu_ms_max'] = ownCpu.at(-1) ?? Number.NaN;
    // What explains a dear window: the GC pauses in it and the full collections among them.
    figures['discovery.steady_cycle_gc_pause_ms'] = steadyProbe.gcPauseMs;
    figures['discovery.steady_cycle_full_gcs'] = steadyProbe.gcMajor;
    figures['discovery.steady_cycle_window_ms'] = steadyProbe.coveredMs;

    const lagRow = row(
      'app.discovery.clicksDuringFirstCycle',
      `clicks answered during the first cycle (${app.discoveryJobs} jobs, ${app.discoveryWaiting} waiting)`,
      measurementFromSamples(
        'discovery clicks',
        acksDuring.length > 0 ? acksDuring.map((r) => r.latencyMs) : [Number.NaN],
        [acksDuring.length / Math.max(0.001, (first.end - first.start) / 1000)],
        1,
      ),
      {
        unit: 'clicks/s',
        headline: 'latency',
        details: {
          firstCycleS: figures['discovery.first_cycle_s'],
          eventLoopLagP99Ms: firstProbe.lagP99Ms,
          eventLoopLagMaxMs: firstProbe.lagMaxMs,
          firstCycleCpuMs: firstProbe.cpuMs,
        },
      },
    );
    const steadyRow = row(
      'app.discovery.steadyCycle',
      'a poll cycle with nothing new (COS requests/s while it runs)',
      measurementFromSamples(
        'steady cycle',
        [steady.end - steady.start],
        [steady.requests / Math.max(0.001, (steady.end - steady.start) / 1000)],
        1,
      ),
      {
        unit: 'req/s',
        details: {
          cpuMs: steadyProbe.cpuMs,
          cosCalls: steady.requests,
          cosCallsTarget: expectedCalls,
          listJobs: steady.byApi.ListJobs ?? 0,
          describeJob: steady.byApi.DescribeJob ?? 0,
        },
      },
    );
    compare(
      steadyRow,
      lagRow,
      'rate',
      () =>
        `${steady.requests} COS requests (${steady.byApi.ListJobs ?? 0} ListJobs, ${steady.byApi.DescribeJob ?? 0} ` +
        `DescribeJob; target ${expectedCalls}) and ${steadyProbe.cpuMs.toFixed(0)} ms CPU (target < 50)`,
    );
    compare(
      lagRow,
      steadyRow,
      'rate',
      () =>
        `first cycle ${figures['discovery.first_cycle_s']?.toFixed(1)} s, event-loop lag p99 ` +
        `${firstProbe.lagP99Ms.toFixed(1)} ms (target < 20), max ${firstProbe.lagMaxMs.toFixed(0)} ms`,
    );
    rows.push(lagRow, steadyRow);
    notes.push(
      `discovery: poll interval 1 s, cards posted every ${app.postIntervalMs} ms; cycle bounds from the emulator’s request log (the first ends once ` +
        `${app.discoveryWaiting} jobs are described, later ones start at a ListJobs after another call or a 300 ms pause); the steady figure is the median of ${STEADY_CYCLES} quiet cycles from ` +
        `the second cycle to start after every card was posted (cycle #${steadyIndex + 1}; the one before it reads the records the cards changed: ` +
        `${figures['discovery.first_quiet_cycle_cpu_ms']?.toFixed(0)} ms; ${stats.statusUpdates} jobs approved by ` +
        "clicks in the first), each one's CPU from 50 ms before it to 50 ms before the next one, with the probe's delay timer off.",
    );
  } catch (error) {
    const tail = cosjob ? `\n--- cosjob output (tail) ---\n${cosjob.output().slice(-3_000)}` : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}${tail}`);
  } finally {
    await sender?.close();
    await cosjob?.stop();
    await emulator.close();
    await redis.close();
    await fake.close();
  }
}

export async function runAppBench(params: BenchParams): Promise<BenchGroup> {
  const figures: Figures = {};
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const buildS = buildIfStale();
  if (buildS > 0) notes.push(`built dist/ first (${buildS.toFixed(1)} s, not measured).`);
  notes.push(`cosjob ran with node options: ${cosjobNodeOptions().join(' ') || '(none)'}.`);
  await clickStorm(params.app, figures, rows, notes);
  await discovery(params.app, figures, rows, notes);
  return {
    id: 'app',
    title: 'cosjob from outside: click storm vs a bare Bolt app, discovery at scale, footprint',
    rows,
    notes,
    figures,
  };
}
