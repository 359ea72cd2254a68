/**
 * Fault scenarios that need a real process kill: the bot (test/faults/bot-entry.ts, the runtime npm start
 * runs, as a child process) SIGKILLed between an audited intent and its result, restarted and reconciled;
 * two bots with the leader SIGKILLed. Real redis-server with appendonly yes + appendfsync always, the COS
 * emulator on the system clock, the fake Slack.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySpace } from '../../src/redis/keys.js';
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
import { copyJobInput, TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { redisTestsUseExternalServer, useRedis } from '../helpers/redis.js';
import { textOf } from '../slack/e2e/harness.js';
import {
  type AuditReader,
  auditReader,
  expectInvariants,
  IntentLedger,
  trackedClick,
  unanswered,
} from './world.js';

const REGION = 'ap-guangzhou';
const ENTRY = 'test/faults/bot-entry.ts';
const redis = useRedis({ persistence: 'aof' });

let emulator: RunningEmulator;
let slack: FakeSlack;
let reader: AuditReader;
let ledger: IntentLedger;
const bots: BotProcess[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ accounts: [TEST_ACCOUNT] });
  slack = await startFakeSlack({ expectedToken: BOT_TOKEN });
  reader = auditReader(redis.url, redis.keyPrefix);
  ledger = new IntentLedger(emulator, reader);
});
afterEach(async () => {
  for (const bot of bots.splice(0)) {
    if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
    await bot.exited;
  }
  ledger.detach();
  reader.close();
  await slack.close();
  await emulator.close();
});

async function launch(instanceId: string, extra: Record<string, string> = {}): Promise<BotProcess> {
  const env = {
    ...extra,
    ...botEnv({ emulator, slack, redisUrl: redis.url, keyPrefix: redis.keyPrefix, port: await freePort() }),
    APPROVER_USER_IDS: 'UALICE,UBOB',
    FAULT_INSTANCE_ID: instanceId,
  };
  const bot = startBot(env, ENTRY);
  bots.push(bot);
  await eventually(async () => (await bot.get('/livez')).status === 200, 15_000, `${instanceId} to start`);
  return bot;
}

async function sigkill(bot: BotProcess): Promise<void> {
  bot.child.kill('SIGKILL');
  await bot.exited;
}

const suspendedJob = () =>
  emulator.store.createJob(REGION, copyJobInput(), { status: 'Suspended', totalTasks: 10 }).id;
const cardsFor = (jobId: string) =>
  slack.messages(CHANNEL).filter((m) => JSON.stringify(m.blocks ?? []).includes(`|${jobId}"`));
const cardText = (jobId: string) => textOf(cardsFor(jobId)[0]);

/** A signed Approve click on the job's card, sent to one bot, whose answer the test can follow. */
const approveClick = (bot: BotProcess, jobId: string, cardTs: string, user = 'UALICE') =>
  trackedClick({
    eventsUrl: `http://127.0.0.1:${bot.port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    slack,
    channel: CHANNEL,
    region: REGION,
    jobId,
    messageTs: cardTs,
    user,
  });

describe.skipIf(redisTestsUseExternalServer())('fault suite: bot processes killed', () => {
  it('the bot SIGKILLed after COS applied the change and before the result: a restarted bot reconciles it, once', async () => {
    const first = await launch('bot-first');
    const jobId = suspendedJob();
    const card = await eventually(async () => cardsFor(jobId)[0], 10_000, 'the card');
    ledger.onEffect(async () => {
      await sigkill(first);
    });
    const before = await reader.all();

    const click = await approveClick(first, jobId, card.ts);
    expect(click.status).toBe(0); // the bot died holding the request
    expect(emulator.store.getJob(REGION, jobId)?.status).toBe('Ready');
    const afterKill = await reader.all();
    expect(afterKill.filter((e) => e.jobId === jobId).map((e) => e.action)).toEqual([
      'posted',
      'approve_requested',
    ]);

    ledger.onEffect(undefined);
    await launch('bot-second');
    const reconciled = await eventually(
      async () =>
        (await reader.trail.history({ account: 'default', region: REGION, jobId: jobId })).find(
          (e) => e.action === 'reconciled',
        ),
      15_000,
      'the reconciled entry',
    );
    expect(reconciled.outcome).toBe('applied');
    expect(reconciled.intentId).toBe(afterKill.find((e) => e.outcome === 'intent')?.entryId);
    const report = await expectInvariants({ emulator, ledger, reader, before: afterKill });
    expect(report.acceptedCalls).toBe(1);
    expect(emulator.stats.requests.UpdateJobStatus).toBe(1);
    expect(before.length).toBeLessThan(afterKill.length);
  });

  // When the restarted bot's watcher sees the job Ready while the dead bot's claim still holds, it refreshes
  // the card (no decision stored yet, so it still reads "awaits approval"); the reconciler then stores the
  // decision and says so (job_reconciled), and the card is refreshed again. A long claim on the killed bot,
  // expired by hand once the survivor's watcher has recorded Suspended → Ready (as its TTL would), makes
  // that order certain. The person whose request died with the bot learns the outcome from the card.
  it('after the reconciler settles a crashed decision, the card names who approved it', async () => {
    const first = await launch('bot-first', { FAULT_CLAIM_TTL_MS: '60000' });
    const jobId = suspendedJob();
    const card = await eventually(async () => cardsFor(jobId)[0], 10_000, 'the card');
    ledger.onEffect(async () => {
      await sigkill(first);
    });
    const click = await approveClick(first, jobId, card.ts);
    ledger.onEffect(undefined);
    await launch('bot-second');
    await eventually(
      async () =>
        (await reader.trail.history({ account: 'default', region: REGION, jobId: jobId })).some(
          (e) => e.action === 'status_changed',
        ),
      15_000,
      'the survivor to see the job Ready',
    );
    const admin = new Redis(redis.url);
    await admin.pexpire(
      new KeySpace(redis.keyPrefix).jobClaim({ account: 'default', region: REGION, jobId }),
      1,
    );
    admin.disconnect();
    await eventually(
      async () =>
        (await reader.trail.history({ account: 'default', region: REGION, jobId: jobId })).some(
          (e) => e.action === 'reconciled',
        ),
      15_000,
      'the reconciled entry',
    );
    await eventually(
      async () => unanswered(slack, [click], cardText).length === 0,
      2_000,
      'the card to name alice',
    );
  });

  it('two bots, the leader SIGKILLed: the survivor takes over, announces each job once and decides once', async () => {
    const a = await launch('bot-a');
    const b = await launch('bot-b');
    const first = suspendedJob();
    await eventually(async () => cardsFor(first)[0], 10_000, 'the first card');
    // The kill comes after the card is recorded: this scenario is about the lease, not a crash mid-post.
    const posted = (jobId: string) => async () =>
      (await reader.trail.history({ account: 'default', region: REGION, jobId: jobId })).some(
        (e) => e.action === 'posted',
      );
    await eventually(posted(first), 10_000, 'the first card recorded');
    const admin = new Redis(redis.url);
    const leaderId = await admin.get(new KeySpace(redis.keyPrefix).leader('watcher'));
    admin.disconnect();
    const [leader, survivor] = leaderId === 'bot-a' ? [a, b] : [b, a];
    expect(['bot-a', 'bot-b']).toContain(leaderId);
    await sigkill(leader);
    const before = await reader.all();

    const second = suspendedJob();
    const card = await eventually(async () => cardsFor(second)[0], 15_000, 'the card posted by the survivor');
    const clicks = await Promise.all(
      ['UALICE', 'UBOB', 'UALICE'].map((user) => approveClick(survivor, second, card.ts, user)),
    );
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);
    await eventually(
      async () => unanswered(slack, clicks, cardText).length === 0,
      10_000,
      'every click answered',
    );

    await eventually(posted(second), 10_000, 'the second card recorded');
    expect(cardsFor(first)).toHaveLength(1);
    expect(cardsFor(second)).toHaveLength(1);
    const entries = await reader.all();
    for (const jobId of [first, second]) {
      expect(
        entries.filter((e) => e.jobId === jobId && e.action === 'posted'),
        jobId,
      ).toHaveLength(1);
    }
    const report = await expectInvariants({ emulator, ledger, reader, before });
    expect(report.acceptedCalls).toBe(1);
    expect(emulator.store.getJob(REGION, second)?.status).toBe('Ready');
  });
});
