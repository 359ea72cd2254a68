/**
 * /readyz: ready only when Redis answers and accepts a write, Slack's auth.test succeeded, and every
 * configured region had a successful poll within the last three poll intervals (by whichever replica
 * leads: the leader records poll health in Redis). Results are cached briefly so probes from several
 * sources never hammer Redis, Slack or COS.
 */
import type { WebClient } from '@slack/web-api';
import type { Clock } from '../clock.js';
import { type AccountRegion, accountRegionLabel } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import { explainFailure } from './explain.js';
import { type RegionHealthStore, regionPollVerdict } from './region-health.js';

export type CheckResult = 'ok' | string;

export interface ReadinessReport {
  ready: boolean;
  body: {
    status: 'ready' | 'not_ready';
    checks: { redis: CheckResult; slack: CheckResult; cos: Record<string, CheckResult> };
  };
}

export interface ReadinessOptions {
  redis: RedisClient;
  webClient: WebClient;
  regionHealth: RegionHealthStore;
  /** The (account, region) pairs polled; checks are named by accountRegionLabel (`region` for default). */
  targets: readonly AccountRegion[];
  pollIntervalMs: number;
  keyPrefix: string;
  instanceId: string;
  clock: Clock;
  logger: Logger;
  /** How long a ready evaluation is reused. Default 2000 ms. */
  cacheMs?: number;
  /**
   * How long a not-ready evaluation is reused. Default 250 ms: short, so a replica that has just become
   * ready (its first poll landed) says so at the next probe rather than seconds later.
   */
  notReadyCacheMs?: number;
  /** How long a successful auth.test is trusted. Default 60 s. */
  slackCacheMs?: number;
}

/** What Slack's auth.test error codes mean for the person running cosjob. */
function explainSlack(error: unknown): string {
  const code = (error as { data?: { error?: unknown } })?.data?.error;
  if (
    code === 'invalid_auth' ||
    code === 'not_authed' ||
    code === 'token_revoked' ||
    code === 'account_inactive'
  ) {
    return `${code}: check SLACK_BOT_TOKEN (the Bot User OAuth Token, xoxb-…)`;
  }
  if (typeof code === 'string') return `${code}: Slack refused auth.test`;
  return `Slack unreachable: ${explainFailure(error)} (check network access to Slack, or SLACK_API_URL)`;
}

export class Readiness {
  private cached: { at: number; report: ReadinessReport } | undefined;
  private inFlight: Promise<ReadinessReport> | undefined;
  private slackOkAt: number | undefined;
  /** Called after each evaluation of Redis (the Redis-loss notice watches it). */
  onRedisChecked: ((ok: boolean, reason: string) => void) | undefined;

  constructor(private readonly o: ReadinessOptions) {}

  async report(): Promise<ReadinessReport> {
    const now = this.o.clock.now();
    if (this.cached) {
      const reuseMs = this.cached.report.ready ? (this.o.cacheMs ?? 2_000) : (this.o.notReadyCacheMs ?? 250);
      if (now - this.cached.at < reuseMs) return this.cached.report;
    }
    this.inFlight ??= this.evaluate().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async evaluate(): Promise<ReadinessReport> {
    const [redis, slack] = await Promise.all([this.checkRedis(), this.checkSlack()]);
    const cos = await this.checkRegions(redis === 'ok');
    const ready = redis === 'ok' && slack === 'ok' && Object.values(cos).every((c) => c === 'ok');
    const report: ReadinessReport = {
      ready,
      body: { status: ready ? 'ready' : 'not_ready', checks: { redis, slack, cos } },
    };
    this.cached = { at: this.o.clock.now(), report };
    return report;
  }

  async checkRedis(): Promise<CheckResult> {
    let result: CheckResult;
    try {
      // A write, not only PING: a read-only replica or a full disk answers PING but refuses writes.
      const key = `${this.o.keyPrefix}:health:probe:${this.o.instanceId}`;
      await this.o.redis.set(key, String(this.o.clock.now()), 'PX', 60_000);
      result = 'ok';
    } catch (error) {
      result = `${explainFailure(error)} (check that Redis is running and reachable at REDIS_URL)`;
    }
    this.onRedisChecked?.(result === 'ok', result);
    return result;
  }

  private async checkSlack(): Promise<CheckResult> {
    const now = this.o.clock.now();
    if (this.slackOkAt !== undefined && now - this.slackOkAt < (this.o.slackCacheMs ?? 60_000)) return 'ok';
    try {
      await this.o.webClient.auth.test();
      this.slackOkAt = now;
      return 'ok';
    } catch (error) {
      this.slackOkAt = undefined;
      return explainSlack(error);
    }
  }

  private async checkRegions(redisOk: boolean): Promise<Record<string, CheckResult>> {
    const out: Record<string, CheckResult> = {};
    if (!redisOk) {
      for (const at of this.o.targets)
        out[accountRegionLabel(at)] = 'unknown: poll health is kept in Redis, which is unavailable';
      return out;
    }
    let records: Awaited<ReturnType<RegionHealthStore['all']>>;
    try {
      records = await this.o.regionHealth.all(this.o.targets);
    } catch (error) {
      for (const at of this.o.targets) out[accountRegionLabel(at)] = `unknown: ${explainFailure(error)}`;
      return out;
    }
    const now = this.o.clock.now();
    for (const region of this.o.targets.map(accountRegionLabel)) {
      const verdict = regionPollVerdict(records.get(region), now, this.o.pollIntervalMs);
      if (verdict.kind === 'ok') out[region] = 'ok';
      else if (verdict.kind === 'failing') out[region] = verdict.reason;
      else
        out[region] =
          verdict.kind === 'never'
            ? 'no successful poll yet'
            : `no successful poll for ${Math.round((now - verdict.lastOkAt) / 1000)} s (is any replica leading and polling?)`;
    }
    return out;
  }
}
