import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { RedisScript } from '../redis/scripts.js';
import type { RedisClient } from './ports.js';

const RENEW_IF_OWNER = new RedisScript<number>(
  'leader-renew',
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
);
const RELEASE_IF_OWNER = new RedisScript<number>(
  'leader-release',
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

export interface LeaderLeaseOptions {
  redis: RedisClient;
  key: string;
  ttlMs: number;
  logger: Logger;
  instanceId?: string;
}

/**
 * A lease in Redis so only one replica polls COS. Held for efficiency, not correctness: the work done
 * under it is idempotent, so a brief overlap after a pause or partition is harmless.
 */
export class LeaderLease {
  readonly instanceId: string;
  private held = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: LeaderLeaseOptions) {
    this.instanceId = o.instanceId ?? randomUUID();
  }

  get isLeader(): boolean {
    return this.held;
  }

  /** Acquires or renews once; returns whether this instance holds the lease afterwards. */
  async tick(): Promise<boolean> {
    const { redis, key, ttlMs } = this.o;
    try {
      if (this.held) {
        const renewed = await RENEW_IF_OWNER.run(redis, [key], [this.instanceId, ttlMs]);
        if (renewed !== 1) {
          this.held = false;
          this.o.logger.warn('leader lease lost', { key });
        }
      }
      if (!this.held) {
        const acquired = await redis.set(key, this.instanceId, 'PX', ttlMs, 'NX');
        if (acquired === 'OK') {
          this.held = true;
          this.o.logger.info('leader lease acquired', { key, instanceId: this.instanceId });
        }
      }
    } catch (error) {
      // Without Redis we cannot know we still hold the lease: stop acting as leader at once.
      if (this.held) this.o.logger.warn('leader lease renewal failed; stepping down', { error });
      this.held = false;
    }
    return this.held;
  }

  /** Renews every ttl/3, so a dead leader is replaced within two lease periods. */
  start(): void {
    if (this.timer) return;
    const every = Math.max(50, Math.floor(this.o.ttlMs / 3));
    void this.tick();
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.held) {
      this.held = false;
      await RELEASE_IF_OWNER.run(this.o.redis, [this.o.key], [this.instanceId]).catch(() => undefined);
    }
  }
}
