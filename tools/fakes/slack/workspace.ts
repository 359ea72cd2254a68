import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../../../src/clock.js';
import type {
  FakeSlackOptions,
  FakeSlackUser,
  ResponseUrlPost,
  StoredEphemeral,
  StoredHomeView,
  StoredMessage,
  StoredView,
} from './types.js';

/**
 * Everything the fake Slack workspace holds: the bot's identity, messages and threads, ephemerals, views
 * and trigger ids, users and user groups, and response_url posts. The method families read and change it.
 */
export class Workspace {
  readonly clock: Clock;
  /** Message ts and trigger ids start from the fake's start time, in seconds, as Slack's are epoch-based. */
  readonly baseSeconds: number;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly validateBlocks: boolean;
  readonly triggerTtlMs: number | undefined;

  readonly messages = new Map<string, StoredMessage[]>();
  readonly ephemerals: StoredEphemeral[] = [];
  readonly views = new Map<string, StoredView>();
  /** Home tabs by user id (views.publish). */
  readonly homeViews = new Map<string, StoredHomeView>();
  readonly responses: ResponseUrlPost[] = [];
  readonly responseContexts = new Map<string, { user: string; channel: string }>();
  readonly users = new Map<string, FakeSlackUser>();
  readonly usergroups = new Map<string, string[]>();
  readonly issuedTriggers = new Map<string, number>();
  readonly usedTriggers = new Set<string>();
  readonly channelsWithoutBot: ReadonlySet<string>;
  #tsCounter = 0;
  #viewCounter = 0;

  constructor(options: FakeSlackOptions) {
    this.clock = options.clock ?? systemClock;
    this.baseSeconds = Math.floor(this.clock.now() / 1000);
    this.teamId = options.teamId ?? 'T0FAKE';
    this.botUserId = options.botUserId ?? 'U0BOT';
    this.botId = options.botId ?? 'B0BOT';
    this.validateBlocks = options.validateBlocks !== false;
    this.triggerTtlMs = options.triggerTtlMs;
    this.channelsWithoutBot = new Set(options.channelsWithoutBot ?? []);
    for (const user of options.users ?? []) this.users.set(user.id, user);
    for (const [id, members] of Object.entries(options.usergroups ?? {}))
      this.usergroups.set(id, [...members]);
  }

  /** Slack-shaped message ts: `<seconds>.<6 digits>`, unique and increasing. */
  nextTs(): string {
    this.#tsCounter++;
    const seconds = this.baseSeconds + Math.floor(this.#tsCounter / 1_000_000);
    return `${seconds}.${String(this.#tsCounter % 1_000_000).padStart(6, '0')}`;
  }

  nextViewId(): string {
    this.#viewCounter++;
    return `V${String(this.#viewCounter).padStart(8, '0')}`;
  }

  newViewHash(): string {
    return `${this.baseSeconds}.${randomBytes(4).toString('hex')}`;
  }

  /** Any message (top-level or reply) by its ts. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return (this.messages.get(channel) ?? []).find((m) => m.ts === ts);
  }

  /** Top-level messages in a channel, oldest first. */
  topLevel(channel: string): StoredMessage[] {
    return (this.messages.get(channel) ?? []).filter((m) => m.threadTs === undefined);
  }

  storeMessage(
    channel: string,
    text: string | undefined,
    blocks: unknown[] | undefined,
    threadTs: string | undefined,
    replyBroadcast: boolean,
  ): StoredMessage {
    const message: StoredMessage = {
      channel,
      ts: this.nextTs(),
      user: this.botUserId,
      botId: this.botId,
      replyBroadcast,
      updates: 0,
    };
    if (threadTs !== undefined) message.threadTs = threadTs;
    if (text !== undefined) message.text = text;
    if (blocks !== undefined) message.blocks = blocks;
    const list = this.messages.get(channel) ?? [];
    list.push(message);
    this.messages.set(channel, list);
    return message;
  }
}

export function messageJson(message: StoredMessage): Record<string, unknown> {
  return {
    type: 'message',
    ts: message.ts,
    text: message.text ?? '',
    blocks: message.blocks ?? [],
    user: message.user,
    bot_id: message.botId,
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
  };
}
