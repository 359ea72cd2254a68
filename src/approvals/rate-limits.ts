/**
 * Per-user limits on what people who may not act can make cosjob do: refused attempts beyond a
 * per-minute limit are counted instead of audited one by one (one Redis hash per user and window, and
 * one audit entry per window for the excess), and COS look-ups on a person's behalf are capped.
 *
 * Windows are fixed, aligned minutes of the engine's clock, so every replica counts into the same key.
 * Each key is a plain key touched alone (never two in one script), so this works on Redis Cluster too.
 */
import type { AuditTrail } from '../audit/types.js';
import type { Clock } from '../clock.js';
import { DEFAULT_ACCOUNT_NAME } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { KeySpace } from '../redis/keys.js';
import type { RedisClient } from './ports.js';

export const RATE_WINDOW_MS = 60_000;
/** A window's hash outlives the window long enough for a later flush to read it. */
const WINDOW_KEY_TTL_MS = 30 * RATE_WINDOW_MS;

export type LimitBucket = 'refusals' | 'lookups';

export interface UserLimits {
  refusalsPerUserPerMinute: number;
  lookupsPerUserPerMinute: number;
}

export const DEFAULT_USER_LIMITS: UserLimits = { refusalsPerUserPerMinute: 10, lookupsPerUserPerMinute: 20 };

/** What a refused attempt is aimed at: the audit entry for the window's excess goes to the first one's job. */
export interface RefusalTarget {
  actor: { id: string; name: string };
  account: string;
  region: string;
  jobId: string;
}

interface FirstExcess {
  account: string;
  region: string;
  jobId: string;
  name: string;
}

export class UserRateLimiter {
  constructor(
    private readonly o: {
      redis: RedisClient;
      keys: KeySpace;
      audit: AuditTrail;
      clock: Clock;
      logger: Logger;
      limits: UserLimits;
    },
  ) {}

  private window(): number {
    return Math.floor(this.o.clock.now() / RATE_WINDOW_MS);
  }

  private limitOf(bucket: LimitBucket): number {
    return bucket === 'refusals'
      ? this.o.limits.refusalsPerUserPerMinute
      : this.o.limits.lookupsPerUserPerMinute;
  }

  /** Counts one attempt; returns its number in the current window. */
  private async count(bucket: LimitBucket, userId: string, window: number): Promise<number> {
    const key = this.o.keys.userWindow(bucket, userId, window);
    const replies = await this.o.redis.multi().hincrby(key, 'n', 1).pexpire(key, WINDOW_KEY_TTL_MS).exec();
    const [error, n] = replies?.[0] ?? [new Error('no reply to HINCRBY')];
    if (error) throw error;
    return Number(n);
  }

  /**
   * Whether this refused attempt is audited on its own (true) or only counted (false). The first attempt
   * over the limit in a window remembers its job and marks the window pending, so one entry is written
   * for the whole excess once the window has closed.
   */
  async admitRefusal(target: RefusalTarget): Promise<boolean> {
    const window = this.window();
    const n = await this.count('refusals', target.actor.id, window);
    const limit = this.limitOf('refusals');
    if (n <= limit) return true;
    if (n === limit + 1) {
      const key = this.o.keys.userWindow('refusals', target.actor.id, window);
      const first: FirstExcess = {
        account: target.account,
        region: target.region,
        jobId: target.jobId,
        name: target.actor.name,
      };
      await this.o.redis.hset(key, 'first', JSON.stringify(first), 'limit', String(limit));
      await this.o.redis.sadd(this.o.keys.limitPending(), `refusals|${target.actor.id}|${window}`);
    }
    return false;
  }

  /** Whether the person may have cosjob ask COS for them once more this minute. */
  async admitLookup(userId: string): Promise<boolean> {
    return (await this.count('lookups', userId, this.window())) <= this.limitOf('lookups');
  }

  /**
   * Writes one audit entry per closed window with counted refusals ("N more refused attempts by U").
   * The entry id is the window's, so replicas flushing together write it once. Returns how many it wrote.
   */
  async flush(): Promise<number> {
    const current = this.window();
    const pendingKey = this.o.keys.limitPending();
    let written = 0;
    for (const member of await this.o.redis.smembers(pendingKey)) {
      const [bucket, userId, windowText] = member.split('|');
      const window = Number(windowText);
      if (bucket !== 'refusals' || !userId || !Number.isInteger(window)) {
        await this.o.redis.srem(pendingKey, member);
        continue;
      }
      if (window >= current) continue;
      const key = this.o.keys.userWindow('refusals', userId, window);
      const fields = await this.o.redis.hgetall(key);
      const first = parseFirst(fields.first);
      const excess = Number(fields.n ?? 0) - Number(fields.limit ?? this.limitOf('refusals'));
      if (first && excess > 0) {
        const from = new Date(window * RATE_WINDOW_MS).toISOString();
        await this.o.audit.append({
          entryId: `refusals:${userId}:${window}`,
          actor: { id: userId, name: first.name },
          action: 'denied',
          outcome: 'refused (counted)',
          account: first.account,
          region: first.region,
          jobId: first.jobId,
          reason: `${excess} more refused attempts by ${userId} in the minute from ${from}, over the limit of ${fields.limit} a minute: counted, not audited one by one`,
          source: 'rate-limit',
        });
        written++;
      }
      await this.o.redis.srem(pendingKey, member);
      await this.o.redis.del(key);
    }
    return written;
  }
}

function parseFirst(raw: string | undefined): FirstExcess | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<FirstExcess>;
    if (
      typeof value.region === 'string' &&
      typeof value.jobId === 'string' &&
      typeof value.name === 'string'
    ) {
      // Windows counted before several accounts name no account: they were the default account's.
      const account = typeof value.account === 'string' ? value.account : DEFAULT_ACCOUNT_NAME;
      return { account, region: value.region, jobId: value.jobId, name: value.name };
    }
  } catch {
    // A damaged hash is dropped with its pending mark; the counted attempts were never audited anyway.
  }
  return undefined;
}
