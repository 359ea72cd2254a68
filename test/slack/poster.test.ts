/**
 * The paced channel queue against the fake Slack Web API with the production WebClient settings
 * (no automatic retries, 429 surfaced). Time is injected: `sleep` records what it was asked to wait and
 * moves a manual clock, so pacing is checked without waiting or reading the wall clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/logger.js';
import { createSlackWebClient } from '../../src/slack/app.js';
import type { SlackMessage } from '../../src/slack/blocks/text.js';
import { ChannelPoster, type PostItem } from '../../src/slack/poster.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';

const TOKEN = 'xoxb-poster-test-token';
const CHANNEL = 'C0POSTER';
const INTERVAL = 1_100;

let slack: FakeSlack;
let clock: ManualClock;
let sleeps: number[];
let poster: ChannelPoster;

function makePoster(options: { minIntervalMs?: number; channel?: string } = {}): ChannelPoster {
  const client = createSlackWebClient(
    { botToken: TOKEN, channelId: CHANNEL, port: 0, apiUrl: slack.apiUrl },
    silentLogger,
  );
  return new ChannelPoster({
    client,
    channel: options.channel ?? CHANNEL,
    logger: silentLogger,
    minIntervalMs: options.minIntervalMs ?? INTERVAL,
    now: () => clock.now(),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
  });
}

beforeEach(async () => {
  slack = await startFakeSlack({ expectedToken: TOKEN });
  clock = new ManualClock(1_800_000_000_000);
  sleeps = [];
  poster = makePoster();
});

afterEach(async () => {
  poster.stop();
  await slack.close();
});

const message = (text: string): SlackMessage => ({ text, blocks: [] });

/** A card item whose posted ts lands in `posted` (the job record, in production). */
function card(
  jobId: string,
  posted: Map<string, string>,
  build?: () => Promise<SlackMessage | undefined>,
): PostItem {
  return {
    account: 'default',
    kind: 'card',
    key: `ap-guangzhou|${jobId}`,
    region: 'ap-guangzhou',
    jobId,
    build: build ?? (async () => (posted.has(jobId) ? undefined : message(`card ${jobId}`))),
    onPosted: async (ts) => {
      posted.set(jobId, ts);
    },
  };
}

function reply(
  text: string,
  threadTs: () => Promise<string | undefined>,
  priority?: 'decision' | 'echo',
): PostItem {
  return { kind: 'reply', threadTs, message: message(text), ...(priority ? { priority } : {}) };
}

const texts = () => slack.callsTo('chat.postMessage').map((c) => c.params.text);

describe('ChannelPoster', () => {
  it('posts in the order queued, spacing posts by the minimum interval', async () => {
    const posted = new Map<string, string>();
    poster.enqueue(card('job-1', posted));
    poster.enqueue(reply('reply to job-1', async () => posted.get('job-1')));
    poster.enqueue(card('job-2', posted));
    poster.enqueue(card('job-3', posted));
    await poster.idle();

    expect(texts()).toEqual(['card job-1', 'reply to job-1', 'card job-2', 'card job-3']);
    // The first post goes at once; each later one waits a full interval on the injected clock.
    expect(sleeps).toEqual([INTERVAL, INTERVAL, INTERVAL]);
    const times = slack.callsTo('chat.postMessage').map((c) => c.seq);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('sends cards and decisions before refusal echoes queued earlier (40 echoes cannot delay a card)', async () => {
    const posted = new Map<string, string>();
    poster.enqueue(card('job-1', posted));
    for (let i = 0; i < 40; i++) {
      poster.enqueue(reply(`echo ${i}`, async () => posted.get('job-1'), 'echo'));
    }
    poster.enqueue(card('job-2', posted));
    poster.enqueue(reply('decision on job-1', async () => posted.get('job-1')));
    await poster.idle();

    const sent = texts();
    expect(sent.slice(0, 3)).toEqual(['card job-1', 'card job-2', 'decision on job-1']);
    // The echoes all go out afterwards, in their own order, each once.
    expect(sent.slice(3)).toEqual(Array.from({ length: 40 }, (_, i) => `echo ${i}`));
    // Before, in one FIFO, job-2's card waited behind 40 paced echoes: 41 intervals instead of 1.
    expect(sent.indexOf('card job-2')).toBe(1);
  });

  it('sends burst digests before cards and replies queued earlier', async () => {
    const posted = new Map<string, string>();
    const digestTs: string[] = [];
    poster.enqueue(card('job-1', posted));
    poster.enqueue(reply('decision on job-1', async () => posted.get('job-1')));
    for (const n of [1, 2]) {
      poster.enqueue({
        kind: 'digest',
        digestId: `digest-${n}`,
        build: async () => message(`digest ${n}`),
        onPosted: async (ts) => {
          digestTs.push(ts);
        },
      });
    }
    await poster.idle();

    // job-1's card was already being sent when the digests arrived; both digests go before the reply.
    expect(texts()).toEqual(['card job-1', 'digest 1', 'digest 2', 'decision on job-1']);
    expect(digestTs).toHaveLength(2);
    expect(slack.messages(CHANNEL)[1]?.metadata).toEqual({
      event_type: 'cosjob_digest',
      event_payload: { digest_id: 'digest-1' },
    });
  });

  it('after an ambiguous failure that did post a digest, adopts it instead of posting it again', async () => {
    const digestTs: string[] = [];
    slack.failNext('chat.postMessage', { status: 500, afterEffect: true });
    poster.enqueue({
      kind: 'digest',
      digestId: 'digest-once',
      build: async () => message('digest'),
      onPosted: async (ts) => {
        digestTs.push(ts);
      },
    });
    await poster.idle();

    expect(slack.messages(CHANNEL)).toHaveLength(1);
    expect(digestTs).toEqual([slack.messages(CHANNEL)[0]?.ts]);
  });

  it('waits only for what is left of the interval', async () => {
    const posted = new Map<string, string>();
    poster.enqueue(card('job-1', posted));
    await poster.idle();
    clock.advance(800);
    poster.enqueue(card('job-2', posted));
    await poster.idle();
    clock.advance(5_000);
    poster.enqueue(card('job-3', posted));
    await poster.idle();
    expect(sleeps).toEqual([INTERVAL - 800]);
  });

  it('waits Retry-After on a 429 and then posts the card once', async () => {
    const posted = new Map<string, string>();
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 3 });
    poster.enqueue(card('job-1', posted));
    await poster.idle();

    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(sleeps).toContain(3_000);
    expect(slack.messages(CHANNEL)).toHaveLength(1);
    expect(posted.get('job-1')).toBe(slack.messages(CHANNEL)[0]?.ts);
  });

  it('threads a reply queued before its card under the card once the card is posted', async () => {
    const posted = new Map<string, string>();
    // The card is held up by a rate limit while the reply waits behind it.
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    poster.enqueue(card('job-1', posted));
    poster.enqueue(reply('approved by alice', async () => posted.get('job-1')));
    expect(poster.pending).toBe(2);
    await poster.idle();

    const cardTs = posted.get('job-1');
    expect(cardTs).toBeDefined();
    expect(slack.messages(CHANNEL)).toHaveLength(1);
    const replies = slack.thread(CHANNEL, cardTs!);
    expect(replies.map((r) => r.text)).toEqual(['approved by alice']);
  });

  it('queues a card once however often it is enqueued, and skips one already posted', async () => {
    const posted = new Map<string, string>();
    poster.enqueue(card('job-1', posted));
    poster.enqueue(card('job-1', posted));
    poster.enqueue(card('job-1', posted));
    await poster.idle();
    poster.enqueue(card('job-1', posted)); // build() sees the recorded card and returns nothing
    await poster.idle();
    expect(texts()).toEqual(['card job-1']);
  });

  it('after an ambiguous failure that did post, adopts the posted card instead of posting again', async () => {
    const posted = new Map<string, string>();
    slack.failNext('chat.postMessage', { status: 500, afterEffect: true });
    poster.enqueue(card('job-1', posted));
    await poster.idle();

    expect(slack.messages(CHANNEL)).toHaveLength(1);
    expect(slack.callsTo('conversations.history')).toHaveLength(1);
    expect(posted.get('job-1')).toBe(slack.messages(CHANNEL)[0]?.ts);
    expect(sleeps.length).toBe(1); // one back-off, then the history check found it
  });

  it('does not adopt another job’s card from the history', async () => {
    const posted = new Map<string, string>();
    poster.enqueue(card('job-1', posted));
    await poster.idle();
    slack.failNext('chat.postMessage', { status: 500 });
    poster.enqueue(card('job-2', posted));
    await poster.idle();
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['card job-1', 'card job-2']);
    expect(posted.get('job-2')).toBe(slack.messages(CHANNEL)[1]?.ts);
  });

  it('keeps retrying a channel problem with growing back-off, and posts once it is fixed', async () => {
    const posted = new Map<string, string>();
    slack.failNext('chat.postMessage', { error: 'not_in_channel' }, 3);
    poster.enqueue(card('job-1', posted));
    await poster.idle();
    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([200, 200, 200, 200]);
    expect(slack.messages(CHANNEL)).toHaveLength(1);
    const backoffs = sleeps.filter((ms) => ms !== INTERVAL && ms > 0);
    expect(backoffs).toEqual([...backoffs].sort((a, b) => a - b));
    expect(new Set(backoffs).size).toBe(3);
  });

  it('drops a message Slack refuses for its content, so the rest of the queue still goes out', async () => {
    const posted = new Map<string, string>();
    slack.failNext('chat.postMessage', { error: 'msg_blocks_too_long' });
    poster.enqueue(card('job-1', posted));
    poster.enqueue(card('job-2', posted));
    await poster.idle();
    expect(posted.has('job-1')).toBe(false);
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['card job-2']);
  });

  it('stop() releases idle() waiters even while a post is failing', async () => {
    const posted = new Map<string, string>();
    slack.failNext('chat.postMessage', { status: 500 }, 1000);
    poster.enqueue(card('job-1', posted));
    const idle = poster.idle();
    await slack.waitForCall('chat.postMessage');
    poster.stop();
    await idle;
    expect(posted.size).toBe(0);
  });
});
