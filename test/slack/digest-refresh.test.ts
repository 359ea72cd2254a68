/**
 * Digest re-renders coalesced per digest message (BurstDigests.refresh), with the real engine on Redis and
 * the COS emulator, and chat.update sent by the real WebClient to the fake Slack. A gate in front of
 * chat.update can hold a render while it runs, so "a request made while a render runs" is arranged here
 * step by step rather than left to timing.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/approvals/job-records.js';
import type { JobRef } from '../../src/jobs/job-ref.js';
import { silentLogger } from '../../src/logger.js';
import type { CardPhase } from '../../src/slack/blocks/job-card.js';
import { CardService } from '../../src/slack/cards.js';
import { BurstDigests, type BurstDigestsOptions } from '../../src/slack/digests.js';
import { ChannelPosters } from '../../src/slack/poster.js';
import { REGIONS } from '../helpers/cos-fixture.js';
import { actor, type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { useRedis } from '../helpers/redis.js';

const TOKEN = 'xoxb-digest-refresh-0000-test';
const CHANNEL = 'C0DIGEST';
const REGION = REGIONS[0];

type DigestClient = BurstDigestsOptions['client'];
type UpdateArgs = Parameters<DigestClient['chat']['update']>[0];

/**
 * Forwards chat.update to the real WebClient; while `holding`, each call waits at the gate first (its
 * render has read its rows and is about to send them) until the test lets it through.
 */
class UpdateGate {
  holding = false;
  private readonly held: Array<() => void> = [];
  private readonly watchers: Array<() => void> = [];
  readonly client: DigestClient;

  constructor(real: WebClient) {
    this.client = {
      chat: {
        update: async (args: UpdateArgs) => {
          if (this.holding) {
            await new Promise<void>((resolve) => {
              this.held.push(resolve);
              for (const watcher of this.watchers.splice(0)) watcher();
            });
          }
          return real.chat.update(args);
        },
      },
    };
  }

  /** Resolves once `count` calls wait at the gate. */
  async untilHeld(count = 1): Promise<void> {
    while (this.held.length < count) await new Promise<void>((resolve) => this.watchers.push(resolve));
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Lets the oldest held call through. */
  releaseOne(): void {
    const next = this.held.shift();
    if (!next) throw new Error('no chat.update is held');
    next();
  }

  /** Stops holding and lets every held call through. */
  open(): void {
    this.holding = false;
    for (const next of this.held.splice(0)) next();
  }
}

const redisCtx = useRedis();
const stack = useEngineStack(redisCtx);
let slack: FakeSlack;
let posters: ChannelPosters | undefined;
let digests: BurstDigests | undefined;

beforeEach(async () => {
  slack = await startFakeSlack({ expectedToken: TOKEN });
});
afterEach(async () => {
  digests?.stop();
  posters?.stop();
  await slack.close();
});

interface DigestSetup {
  fx: EngineFixture;
  gate: UpdateGate;
  digests: BurstDigests;
  ts: string;
  refs: JobRef[];
  /** The job's record as the engine has it now (it carries the digest). */
  record(ref: JobRef): Promise<JobRecord>;
}

/** `count` announced jobs listed by one digest message the fake Slack holds. */
async function digestOf(count: number): Promise<DigestSetup> {
  const fx = await stack.engine();
  const real = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  const gate = new UpdateGate(real);
  posters = new ChannelPosters({ client: real, logger: silentLogger });
  const cards = new CardService({
    engine: fx.engine,
    client: real,
    posters,
    channelFor: () => CHANNEL,
    logger: silentLogger,
  });
  digests = new BurstDigests({
    engine: fx.engine,
    cards,
    posters,
    client: gate.client,
    logger: silentLogger,
  });
  const refs: JobRef[] = [];
  for (let i = 0; i < count; i += 1) {
    const jobId = stack.cos.createSuspendedJob(REGION);
    const job = await stack.cos.clients.get(REGION)!.describeJob(jobId);
    await fx.records.createIfAbsent({ account: 'default', region: REGION }, job, stack.cos.clock.now());
    refs.push({ account: 'default', region: REGION, jobId });
  }
  const ts = slack.seedMessage(CHANNEL, { text: 'digest as first posted' });
  await fx.engine.digestPosted({ channel: CHANNEL, ts, jobs: refs });
  const record = async (ref: JobRef) => {
    const found = await fx.engine.jobRecord(ref);
    if (!found?.digest) throw new Error(`no digest on the record of ${ref.jobId}`);
    return found;
  };
  return { fx, gate, digests, ts, refs, record };
}

/** The chat.update calls Slack accepted for the digest, oldest first. */
function updates(ts: string): { blocks?: unknown[] }[] {
  return slack
    .callsTo('chat.update')
    .filter((call) => call.params.ts === ts && call.status === 200)
    .map((call) => ({ ...(Array.isArray(call.params.blocks) ? { blocks: call.params.blocks } : {}) }));
}

/** The text of the job's row in a digest message. */
function rowText(message: { blocks?: unknown[] } | undefined, jobId: string): string {
  const row = ((message?.blocks ?? []) as { type?: string; text?: { text?: string } }[]).find(
    (block) => block.type === 'section' && block.text?.text?.includes(jobId),
  );
  return row?.text?.text ?? '';
}

const approving = (byUserId: string): CardPhase => ({ kind: 'in_progress', byUserId, action: 'approve' });
const cancelling = (byUserId: string): CardPhase => ({ kind: 'in_progress', byUserId, action: 'cancel' });
const PENDING = '*Approvals:* 0 of 1 approval';

describe('digest refreshes', () => {
  it('coalesces a storm of requests into few chat.updates, the last showing every row as it stands', async () => {
    const d = await digestOf(6);
    const [a, b, c, e] = d.refs as [JobRef, JobRef, JobRef, JobRef];
    expect(
      (await d.fx.engine.decide({ ...a, action: 'approve', actor: actor('UALICE'), source: 'slack-button' }))
        .kind,
    ).toBe('approved');
    expect(
      (
        await d.fx.engine.decide({
          ...b,
          action: 'cancel',
          actor: actor('UBOB'),
          reason: 'wrong bucket',
          source: 'slack-modal',
        })
      ).kind,
    ).toBe('cancelled');
    const records = await Promise.all(d.refs.map((ref) => d.record(ref)));

    // 24 requests at once (every row four times): one render serves them all.
    const storm = Array.from({ length: 4 }, () => records.map((record) => d.digests.refresh(record))).flat();
    await Promise.all(storm);
    expect(updates(d.ts)).toHaveLength(1);

    // A render running, 30 more requests meanwhile, while the rows change: one more render for all of them.
    d.gate.holding = true;
    const first = d.digests.refresh(records[0]!);
    await d.gate.untilHeld();
    expect(
      (await d.fx.engine.decide({ ...c, action: 'approve', actor: actor('UCAROL'), source: 'slack-button' }))
        .kind,
    ).toBe('approved');
    const meanwhile = Array.from({ length: 5 }, () =>
      records.map((record) => d.digests.refresh(record)),
    ).flat();
    d.gate.open();
    await Promise.all([first, ...meanwhile]);
    const sent = updates(d.ts);
    expect(sent).toHaveLength(3);

    // The last update shows every row as the engine has it now, the decision made during a render too.
    const last = sent.at(-1);
    expect(rowText(last, a.jobId)).toContain('*Approved* by <@UALICE>');
    expect(rowText(last, b.jobId)).toContain('*Cancelled* by <@UBOB>');
    expect(rowText(last, c.jobId)).toContain('*Approved* by <@UCAROL>');
    for (const ref of [e, ...d.refs.slice(4)]) expect(rowText(last, ref.jobId)).toContain(PENDING);
    expect(rowText(slack.message(CHANNEL, d.ts), c.jobId)).toContain('*Approved* by <@UCAROL>');
  });

  it('a request made while a render runs gets a render started after it, not the one already running', async () => {
    const d = await digestOf(3);
    const [a, b] = d.refs as [JobRef, JobRef];
    const recordA = await d.record(a);
    d.gate.holding = true;
    const running = d.digests.refresh(recordA);
    await d.gate.untilHeld();
    // The running render has read its rows: B is decided after that, and asks for a refresh.
    await d.fx.engine.decide({ ...b, action: 'approve', actor: actor('UALICE'), source: 'slack-button' });
    let laterDone = false;
    const later = d.digests.refresh(await d.record(b)).then(() => {
      laterDone = true;
    });

    d.gate.releaseOne();
    await running;
    expect(updates(d.ts)).toHaveLength(1);
    expect(rowText(updates(d.ts)[0], b.jobId)).toContain(PENDING);
    // The first render is sent, and B's request is not answered by it: its own render comes to the gate.
    await new Promise((resolve) => setImmediate(resolve));
    expect(laterDone).toBe(false);
    await d.gate.untilHeld();
    expect(laterDone).toBe(false);
    d.gate.open();
    await later;
    const sent = updates(d.ts);
    expect(sent).toHaveLength(2);
    expect(rowText(sent[1], b.jobId)).toContain('*Approved* by <@UALICE>');
  });

  it('an override asked while a render runs shows in the next render only; a later request without it drops it', async () => {
    const d = await digestOf(4);
    const [a, b, c] = d.refs as [JobRef, JobRef, JobRef];
    const [recordA, recordB, recordC] = await Promise.all([a, b, c].map((ref) => d.record(ref)));

    d.gate.holding = true;
    const first = d.digests.refresh(recordA!, approving('UALICE'));
    await d.gate.untilHeld();
    // While the first render (A approving) runs: B is being cancelled, and C asks and then stops asking.
    const second = d.digests.refresh(recordB!, cancelling('UBOB'));
    const third = d.digests.refresh(recordC!, approving('UCAROL'));
    const fourth = d.digests.refresh(recordC!);
    d.gate.open();
    await Promise.all([first, second, third, fourth]);

    const sent = updates(d.ts);
    expect(sent).toHaveLength(2);
    expect(rowText(sent[0], a.jobId)).toContain('<@UALICE> is approving this job');
    expect(rowText(sent[0], b.jobId)).toContain(PENDING);
    // The queued render shows what its own requests asked: B cancelling; A's override was the first one's.
    expect(rowText(sent[1], b.jobId)).toContain('<@UBOB> is cancelling this job');
    expect(rowText(sent[1], a.jobId)).toContain(PENDING);
    expect(rowText(sent[1], c.jobId)).toContain(PENDING);
    expect(rowText(sent[1], c.jobId)).not.toContain('approving');

    // A later request for B without an override: B shows its own phase again.
    await d.digests.refresh(recordB!);
    const after = updates(d.ts);
    expect(after).toHaveLength(3);
    expect(rowText(after[2], b.jobId)).toContain(PENDING);
    expect(rowText(after[2], b.jobId)).not.toContain('cancelling');
  });

  it('a failed render does not stop the next one', async () => {
    const d = await digestOf(2);
    const [a] = d.refs as [JobRef];
    const recordA = await d.record(a);
    slack.failNext('chat.update', { status: 500 });
    d.gate.holding = true;
    const failing = d.digests.refresh(recordA, approving('UALICE'));
    await d.gate.untilHeld();
    const next = d.digests.refresh(recordA);
    d.gate.open();
    await expect(failing).rejects.toThrow();
    await next;
    const sent = updates(d.ts);
    expect(sent).toHaveLength(1);
    expect(rowText(sent[0], a.jobId)).toContain(PENDING);
    expect(slack.callsTo('chat.update').map((call) => call.status)).toEqual([500, 200]);
  });
});
