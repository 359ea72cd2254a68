/**
 * Plain-words notices in the approval channel when a region keeps failing or Redis is lost, and once
 * more when it recovers. Only transitions are told, so a long outage is one message, not one per poll.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';

/** Failed polls in a row before the channel is told. */
export const REGION_FAILURES_BEFORE_NOTICE = 3;

export class ChannelNotices {
  constructor(private readonly o: { client: WebClient; channel: string; logger: Logger }) {}

  /** Returns whether Slack accepted it; a failed notice is logged and tried again at the next change. */
  async post(text: string): Promise<boolean> {
    try {
      await this.o.client.chat.postMessage({ channel: this.o.channel, text, unfurl_links: false });
      this.o.logger.info('channel notice posted', { text });
      return true;
    } catch (error) {
      this.o.logger.warn('could not post a channel notice', { error, text });
      return false;
    }
  }

  regionFailing(region: string, failures: number, reason: string): string {
    return `:warning: cosjob cannot reach COS in *${region}*: ${failures} polls in a row failed. New jobs waiting there are not being announced.\nWhy: ${reason}\nFix that and cosjob picks up where it left off; this channel is told when it recovers.`;
  }

  regionRecovered(region: string): string {
    return `:white_check_mark: cosjob reaches COS in *${region}* again; waiting jobs there are announced as usual.`;
  }

  redisLost(reason: string): string {
    return `:warning: cosjob lost its connection to Redis: approvals and cancellations are refused (nothing reaches COS without an audit record) until it is back.\nWhy: ${reason}\nFix: check that Redis is running and reachable at REDIS_URL, and its credentials. This channel is told when it recovers.`;
  }

  redisRecovered(): string {
    return ':white_check_mark: cosjob is connected to Redis again; approvals and cancellations work as usual.';
  }
}
