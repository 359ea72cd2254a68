import type { WebClient } from '@slack/web-api';
import { DEFAULT_ACCOUNT_NAME } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { SlackMessage } from './blocks/text.js';

/** Slack allows about one chat.postMessage per second per channel; bursts are tolerated, floods are not. */
const DEFAULT_MIN_INTERVAL_MS = 1_100;
const MAX_BACKOFF_MS = 5 * 60_000;
const CARD_EVENT_TYPE = 'cosjob_card';
const DIGEST_EVENT_TYPE = 'cosjob_digest';

export type PostItem =
  | {
      kind: 'card';
      /** The JobRef key text (`[account|]region|jobId`): one card per job, whatever happens. */
      key: string;
      account: string;
      region: string;
      jobId: string;
      /** Builds the card at send time; undefined when it must not be posted (already posted). */
      build: () => Promise<SlackMessage | undefined>;
      onPosted: (ts: string) => Promise<void>;
    }
  | {
      /** One message listing many new jobs, each with its buttons; sent before any card. */
      kind: 'digest';
      /** Unique per digest: found again in the channel's history after an ambiguous failure. */
      digestId: string;
      /** Built at send time, so jobs decided while it waited show their outcome. */
      build: () => Promise<SlackMessage>;
      onPosted: (ts: string) => Promise<void>;
    }
  | {
      kind: 'reply';
      /** Resolved at send time: a reply can be queued before its card has been posted. */
      threadTs: () => Promise<string | undefined>;
      message: SlackMessage;
      /** `echo` (notes about refusals) waits behind cards and decisions; default `decision`. */
      priority?: ReplyPriority;
    };

export type ReplyPriority = 'decision' | 'echo';

/**
 * Lower goes first: digests of a burst (they make every job in it actionable at once), then cards and
 * replies about decisions in one FIFO (a decision's echo follows its card), then echoes of refusals, so
 * people who may not act can never delay a card.
 */
function rankOf(item: PostItem): 0 | 1 | 2 {
  if (item.kind === 'digest') return 0;
  return item.kind === 'reply' && item.priority === 'echo' ? 2 : 1;
}

/** A card's message metadata: the job, with its account unless it is the default one (as cards were). */
function cardPayload(account: string, region: string, jobId: string): Record<string, string> {
  return account === DEFAULT_ACCOUNT_NAME ? { region, job_id: jobId } : { account, region, job_id: jobId };
}

export interface ChannelPosterOptions {
  client: WebClient;
  channel: string;
  logger: Logger;
  minIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Wall-clock milliseconds for pacing (Slack's limit is in real time); injectable for tests. */
  now?: () => number;
}

interface SlackErrorShape {
  code?: string;
  retryAfter?: number;
  data?: { error?: string };
}

/** Errors after which Slack certainly did not post: safe to send again. */
function certainlyNotPosted(error: SlackErrorShape): boolean {
  if (error.code === 'slack_webapi_rate_limited_error') return true;
  if (error.code === 'slack_webapi_platform_error') return true;
  return false;
}

/**
 * Slack refuses the message itself: sending it again can never succeed, and retrying it at the head of
 * the queue would hold up every card and reply behind it.
 */
const UNPOSTABLE_MESSAGE_ERRORS = new Set([
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'msg_blocks_too_long',
  'no_text',
  'invalid_metadata_format',
  'invalid_metadata_schema',
  'metadata_too_large',
]);

function unpostable(error: SlackErrorShape): boolean {
  return (
    error.code === 'slack_webapi_platform_error' &&
    error.data?.error !== undefined &&
    UNPOSTABLE_MESSAGE_ERRORS.has(error.data.error)
  );
}

/**
 * A queue per channel with three priorities, FIFO within each (digests; cards and decisions; refusal echoes), paced to Slack's per-channel posting limit. A failure keeps the item at the
 * head and retries with back-off (channel problems such as not_in_channel included, so an admin can fix
 * them without losing anything); only a message Slack refuses for its own content is dropped, with an
 * error log. A card is never posted twice: after an ambiguous failure (the request may have reached
 * Slack) the channel's recent history is searched for the card's metadata before posting again.
 */
export class ChannelPoster {
  /** By rank: a card or a decision never waits behind echoes queued before it. */
  private readonly queues: [PostItem[], PostItem[], PostItem[]] = [[], [], []];
  private readonly queuedCards = new Set<string>();
  private draining: Promise<void> | undefined;
  private lastPostAt = 0;
  private readonly minInterval: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: ChannelPosterOptions) {
    this.minInterval = o.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
    this.sleep = o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.()));
    this.now = o.now ?? Date.now;
  }

  get pending(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  private head(): PostItem | undefined {
    return this.queues.find((q) => q.length > 0)?.[0];
  }

  private remove(item: PostItem): void {
    const queue = this.queues[rankOf(item)];
    const index = queue.indexOf(item);
    if (index !== -1) queue.splice(index, 1);
    if (item.kind === 'card') this.queuedCards.delete(item.key);
  }

  enqueue(item: PostItem): void {
    if (item.kind === 'card') {
      if (this.queuedCards.has(item.key)) return;
      this.queuedCards.add(item.key);
    }
    this.queues[rankOf(item)].push(item);
    this.drain();
  }

  /** Resolves when everything queued so far has been posted, or the poster was stopped. */
  idle(): Promise<void> {
    if (this.stopped || (this.pending === 0 && !this.draining)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending (what is queued stays unsent) and releases anyone waiting for idle(). */
  stop(): void {
    this.stopped = true;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = this.run().finally(() => {
      this.draining = undefined;
      if (this.pending > 0 && !this.stopped) this.drain();
      else {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    // The item whose last attempt failed ambiguously: a higher-priority item may be sent in between.
    let ambiguous: PostItem | undefined;
    for (let item = this.head(); item && !this.stopped; item = this.head()) {
      const wait = this.lastPostAt + this.minInterval - this.now();
      if (wait > 0) await this.sleep(wait);
      // Something more urgent may have arrived while waiting.
      if (this.head() !== item) continue;
      try {
        await this.send(item, ambiguous === item);
        this.remove(item);
        failures = 0;
        if (ambiguous === item) ambiguous = undefined;
      } catch (error) {
        const e = error as SlackErrorShape;
        if (unpostable(e)) {
          this.o.logger.error('Slack refused a message for its content; dropped it so the queue moves on', {
            channel: this.o.channel,
            kind: item.kind,
            ...(item.kind === 'card'
              ? { account: item.account, region: item.region, jobId: item.jobId }
              : {}),
            slackError: e.data?.error,
          });
          this.remove(item);
          failures = 0;
          if (ambiguous === item) ambiguous = undefined;
          continue;
        }
        failures += 1;
        if (!certainlyNotPosted(e)) ambiguous = item;
        const retryAfterMs = e.retryAfter !== undefined ? e.retryAfter * 1000 : undefined;
        const backoff = retryAfterMs ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures, 12));
        const permanent = e.code === 'slack_webapi_platform_error' && e.data?.error !== 'ratelimited';
        const log = permanent ? this.o.logger.error : this.o.logger.warn;
        log.call(this.o.logger, 'posting to Slack failed; will retry', {
          channel: this.o.channel,
          kind: item.kind,
          slackError: e.data?.error ?? e.code,
          retryInMs: backoff,
        });
        await this.sleep(backoff);
      }
    }
  }

  /** `mayHavePosted`: an earlier attempt failed in a way that does not prove Slack ignored it. */
  private async send(item: PostItem, mayHavePosted: boolean): Promise<void> {
    if (item.kind === 'reply') {
      const threadTs = await item.threadTs();
      this.lastPostAt = this.now();
      if (threadTs === undefined) {
        // The card was never posted (e.g. the job was announced before a restart); post unthreaded.
        await this.o.client.chat.postMessage({ channel: this.o.channel, ...item.message });
      } else {
        await this.o.client.chat.postMessage({
          channel: this.o.channel,
          thread_ts: threadTs,
          ...item.message,
        });
      }
      return;
    }
    const message = await item.build();
    if (!message) return;
    const metadata =
      item.kind === 'digest'
        ? { event_type: DIGEST_EVENT_TYPE, event_payload: { digest_id: item.digestId } }
        : { event_type: CARD_EVENT_TYPE, event_payload: cardPayload(item.account, item.region, item.jobId) };
    if (mayHavePosted) {
      const existing = await this.findPosted(metadata.event_type, metadata.event_payload);
      if (existing) {
        await item.onPosted(existing);
        return;
      }
    }
    this.lastPostAt = this.now();
    const result = await this.o.client.chat.postMessage({ channel: this.o.channel, ...message, metadata });
    if (!result.ts) throw new Error('chat.postMessage returned no ts');
    await item.onPosted(result.ts);
  }

  /** A recent message of ours with this metadata type whose payload holds every given value. */
  private async findPosted(eventType: string, payload: Record<string, string>): Promise<string | undefined> {
    const history = await this.o.client.conversations.history({
      channel: this.o.channel,
      limit: 100,
      include_all_metadata: true,
    });
    for (const message of history.messages ?? []) {
      const meta = message.metadata as
        | { event_type?: string; event_payload?: Record<string, unknown> }
        | undefined;
      if (
        meta?.event_type === eventType &&
        Object.entries(payload).every(([key, value]) => meta.event_payload?.[key] === value)
      ) {
        return message.ts;
      }
    }
    return undefined;
  }
}

/**
 * One ChannelPoster per channel, made on first use: Slack's posting limit is per channel, so cards going
 * to an account's own channel are paced apart from those in the approval channel.
 */
export class ChannelPosters {
  private readonly posters = new Map<string, ChannelPoster>();
  /** Items on their way (their channel is being read): idle() waits for them to be queued. */
  private readonly onTheirWay = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: Omit<ChannelPosterOptions, 'channel'>) {}

  for(channel: string): ChannelPoster {
    let poster = this.posters.get(channel);
    if (!poster) {
      poster = new ChannelPoster({ ...this.o, channel });
      if (this.stopped) poster.stop();
      this.posters.set(channel, poster);
    }
    return poster;
  }

  /** Waits for `queueing` (which queues items once it knows their channel) in idle(). */
  arriving(queueing: Promise<void>): void {
    const tracked = queueing.catch(() => undefined).finally(() => this.onTheirWay.delete(tracked));
    this.onTheirWay.add(tracked);
  }

  /** Items queued in every channel. */
  get pending(): number {
    return [...this.posters.values()].reduce((n, poster) => n + poster.pending, 0);
  }

  /** Resolves when every channel's queue has posted what it holds (or was stopped). */
  async idle(): Promise<void> {
    // A poster made while waiting (a reply queued by a card being posted) is waited for too.
    for (;;) {
      await Promise.all([...this.onTheirWay]);
      const posters = [...this.posters.values()];
      await Promise.all(posters.map((poster) => poster.idle()));
      if (
        this.stopped ||
        (this.onTheirWay.size === 0 && this.posters.size === posters.length && this.pending === 0)
      ) {
        return;
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const poster of this.posters.values()) poster.stop();
  }
}
