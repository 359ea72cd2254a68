/**
 * Tells the channel once when Redis is lost and once when it is back. Every replica loses Redis at
 * the same moment and cannot agree through it, so only the replica that led at its last good check
 * speaks.
 */
import type { ChannelNotices } from './notices.js';

export class RedisLossNotifier {
  private leaderAtLastOk = false;
  private told = false;
  private posting: Promise<void> = Promise.resolve();

  constructor(
    private readonly notices: ChannelNotices,
    private readonly isLeader: () => boolean,
  ) {}

  update(ok: boolean, reason: string): void {
    if (ok) {
      this.leaderAtLastOk = this.isLeader();
      if (this.told) {
        this.told = false;
        this.enqueue(this.notices.redisRecovered());
      }
      return;
    }
    if (!this.told && this.leaderAtLastOk) {
      this.told = true;
      this.enqueue(this.notices.redisLost(reason));
    }
  }

  private enqueue(text: string): void {
    this.posting = this.posting.then(async () => {
      await this.notices.post(text);
    });
  }

  idle(): Promise<void> {
    return this.posting;
  }
}
